"""``suite.run.looks``: the rounds of one experiment as one result, and when seeding stops."""

from __future__ import annotations

import pandas as pd

from suite.run.looks import in_rounds, merge
from suite.stats.verdicts import Decision, Verdict
from suite.train.frames import ExperimentResult
from suite.train.seeds import SeedSet


def part(start: int, count: int, **extra) -> tuple[SeedSet, ExperimentResult]:
    frame = pd.DataFrame({"seed": range(count), "y": [float(start)] * count})
    result = ExperimentResult(
        name="x",
        profile="ci",
        device="cpu",
        config={},
        frames={"f": frame},
        seconds=1.0,
        extra=extra,
    )
    return SeedSet(0, count, start), result


def test_rounds_stack_their_seeds_and_sum_their_costs():
    merged = merge([part(0, 3, n_train=10, collapsed=[1]), part(3, 3, n_train=10, collapsed=[4])])
    assert merged.frames["f"]["seed"].tolist() == [0, 1, 2, 3, 4, 5]
    assert merged.seconds == 2.0
    assert merged.extra == {"n_train": 10, "collapsed": [1, 4]}


def test_a_round_resumed_from_a_checkpoint_keeps_its_earlier_seconds_a_number():
    # the first round resumed after a stop, the second did not: the report reads a number
    merged = merge([part(0, 3, resumed_after_s=12.5), part(3, 3)])
    assert merged.extra["resumed_after_s"] == 12.5
    merged = merge([part(0, 3), part(3, 3, resumed_after_s=2.0)])
    assert merged.extra["resumed_after_s"] == 2.0


# --- in_rounds: when seeding stops ------------------------------------------------------------


def decision(verdict: Verdict, needed: int | None = None) -> Decision:
    return Decision("r", 0.0, "", 0.5, verdict, 3, 3, seeds_needed=needed)


def run(per_look: list[dict[str, Decision]]) -> tuple[ExperimentResult, list[int]]:
    """in_rounds over looks at 3, 6, 10 seeds, the k-th look deciding ``per_look[k]``."""
    trained: list[int] = []

    def obtain(seeds: SeedSet) -> ExperimentResult:
        trained.append(seeds.end)
        return part(seeds.start, seeds.count)[1]

    def decide(name, frames, n_looks):
        return per_look[len(trained) - 1]

    rounds = SeedSet(0, 10).rounds((3, 6, 10))
    return in_rounds("x", rounds, obtain, say=lambda _: None, decide=decide), trained


INC, SUP = Verdict.INCONCLUSIVE, Verdict.SUPPORTED


def test_seeding_stops_when_every_claim_is_decided():
    result, trained = run(
        [{"a": decision(SUP), "b": decision(INC, 5)}, {"a": decision(SUP), "b": decision(SUP)}]
    )
    assert trained == [3, 6]
    assert result.extra["looks"]["stopped"] == "decided"


def test_an_open_claim_keeps_seeding_to_the_cap_whatever_its_estimate_says():
    # no futility stop on a rule's estimate of the seeds it needs: at 3 seeds it is noise
    looks = [{"a": decision(SUP), "b": decision(INC, 40), "c": decision(INC, None)}] * 3
    result, trained = run(looks)
    assert trained == [3, 6, 10]
    assert result.extra["looks"]["stopped"] == "cap"
    assert result.extra["seed_count"] == 10


def test_a_premise_the_runs_do_not_meet_settles_a_claim():
    unmet = Decision("r", 0.0, "", 0.5, INC, 3, 3, premise_unmet="3 of 30 runs not fitted")
    result, trained = run([{"a": decision(SUP), "b": unmet}])
    assert trained == [3]
    assert result.extra["looks"]["stopped"] == "decided"
