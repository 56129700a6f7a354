"""Seeds added until the evidence decides: an experiment trained in rounds, looked at after each.

An experiment's seeds come in rounds (``SeedSet.rounds``: seed sets extend by prefix, so the
seeds of a run that stops at look 2 are the first seeds of one that goes on). After each round
every claim on the experiment (``suite.stats.catalog.claims_on``) is decided on all the seeds
so far at its alpha divided by the number of planned looks (Bonferroni over the looks: whatever
look a claim's verdict is read at, its error rate stays <= its alpha). The experiment stops
adding seeds when every claim on it is decided (SUPPORTED or REFUTED) or cannot be decided by
more seeds (a premise its runs do not meet), or at its cap, the last look. Each round is its own
run-cache entry and checkpoint, so a stopped session resumes at the round it was in.

There is no futility stop on a rule's estimate of the seeds it needs (``Decision.seeds_needed``,
which an earlier version used): at the first look that estimate comes from 3-6 noisy seeds,
and stopping on it made the outcome depend on the draw (in the first 20-set stability run
``corruption-fit`` stopped at 3 seeds, inconclusive, in 3 sets after one early miss). The looks
themselves are chosen by simulating them (``suite.stats.power.looks``).

What each look found travels in ``result.extra["looks"]``: the planned seed counts, and per
look taken its seeds and every claim's verdict; and why the experiment stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from suite.stats.verdicts import Decision, Verdict
from suite.train.frames import ExperimentResult

if TYPE_CHECKING:  # the claim fixture reads the looks; it need not load torch to do so
    from suite.train.seeds import SeedSet

#: Why an experiment stopped adding seeds.
DECIDED, CAP = "decided", "cap"


def look_alpha(alpha: float, n_looks: int) -> float:
    """The level each look tests at: ``alpha`` spent evenly over the planned looks."""
    return alpha / max(1, n_looks)


def decide_all(experiment: str, frames: dict[str, pd.DataFrame], n_looks: int) -> dict[str, Any]:
    """Every claim on ``experiment`` decided on ``frames`` at its look level: id -> Decision,
    or the one-line reason the data could not be decided (a rule's ValueError)."""
    from suite.stats.catalog import claims_on  # the rules load scipy: only when deciding

    out: dict[str, Any] = {}
    for spec in claims_on(experiment):
        for claim_id, case in zip(spec.ids, spec.cases or (None,), strict=True):
            try:
                out[claim_id] = spec.decision(frames, look_alpha(spec.alpha, n_looks), case)
            except ValueError as exc:
                out[claim_id] = str(exc)
    return out


def settled(decision: Decision | str) -> bool:
    """Decided, or beyond what more seeds can change (its runs do not meet the premise)."""
    if isinstance(decision, str):
        return False
    return decision.verdict is not Verdict.INCONCLUSIVE or decision.premise_unmet is not None


def merge(parts: Sequence[tuple[SeedSet, ExperimentResult]]) -> ExperimentResult:
    """The rounds of one experiment as one result: frames stacked with each round's seed index
    made global, costs summed, per-run counts summed, seed ids in order."""
    (_, first), *_ = parts
    if len(parts) == 1 and parts[0][0].start == 0:
        return first
    frames = {}
    for key in first.frames:
        tables = []
        for seeds, part in parts:
            table = part.frames[key].copy()
            if "seed" in table:
                table["seed"] = table["seed"] + seeds.start
            tables.append(table)
        frames[key] = pd.concat(tables, ignore_index=True)
    extra: dict[str, Any] = {}
    keys = dict.fromkeys(k for _, part in parts for k in part.extra)  # every round's, in order
    for key in keys:
        values = [part.extra.get(key) for _, part in parts]
        present = [v for v in values if v is not None]  # a round may lack a key (not resumed)
        if len(present) == len(values) and all(v == present[0] for v in present):
            extra[key] = present[0]
        elif all(isinstance(v, list) for v in present):
            extra[key] = [x for v in present for x in v]
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            extra[key] = sum(present)
        else:
            extra[key] = values
    weights = {
        f"{stage}@{seeds.start}": w for seeds, part in parts for stage, w in part.weights.items()
    }
    return ExperimentResult(
        name=first.name,
        profile=first.profile,
        device=first.device,
        config=first.config,
        frames=frames,
        seconds=sum(part.seconds for _, part in parts),
        steps=sum(part.steps for _, part in parts),
        samples=sum(part.samples for _, part in parts),
        extra=extra,
        weights=weights,
    )


def in_rounds(
    name: str,
    rounds: Sequence[SeedSet],
    obtain: Callable[[SeedSet], ExperimentResult],
    say: Callable[[str], None] = print,
    decide: Callable[[str, dict[str, pd.DataFrame], int], dict[str, Any]] = decide_all,
) -> ExperimentResult:
    """Experiment ``name`` trained round by round (``obtain`` trains or reads one round) until
    every claim on it is settled or the last round is in; the merged
    result, with its looks. ``decide`` (tests) replaces :func:`decide_all`."""
    parts: list[tuple[SeedSet, ExperimentResult]] = []
    taken: list[dict[str, Any]] = []
    stopped = CAP
    result: ExperimentResult | None = None
    for k, seeds in enumerate(rounds, start=1):
        parts.append((seeds, obtain(seeds)))
        result = merge(parts)
        decisions = decide(name, result.frames, len(rounds))
        verdicts = {
            cid: (d.verdict.value if isinstance(d, Decision) else Verdict.INCONCLUSIVE.value)
            for cid, d in decisions.items()
        }
        taken.append({"look": k, "seeds": seeds.end, "verdicts": verdicts})
        open_claims = [cid for cid, d in decisions.items() if not settled(d)]
        if not open_claims:
            stopped = DECIDED
            break
        if k < len(rounds):
            say(
                f"{name}: look {k} of {len(rounds)} at {seeds.end} seeds leaves "
                f"{', '.join(open_claims)} undecided; adding seeds {rounds[k].start}.."
                f"{rounds[k].end - 1}"
            )
    assert result is not None, "an experiment has at least one round"
    result.extra["looks"] = {
        "planned": [r.end for r in rounds],
        "taken": taken,
        "stopped": stopped,
    }
    result.extra["seed_count"] = parts[-1][0].end
    return result


def claim_looks(claim: str, looks: dict[str, Any] | None) -> dict[str, Any]:
    """One claim's part of its experiment's looks (``result.extra["looks"]``): the planned seed
    counts, its verdict at each look taken, the look it was first decided at (None: never),
    and why seeding stopped; {} for a result without looks."""
    if not looks:
        return {}
    taken = [
        {"look": t["look"], "seeds": t["seeds"], "verdict": t["verdicts"].get(claim)}
        for t in looks["taken"]
    ]
    decided = next((t["look"] for t in taken if t["verdict"] not in (None, "inconclusive")), None)
    return {
        "planned": looks["planned"],
        "taken": taken,
        "decided_at": decided,
        "stopped": looks["stopped"],
    }
