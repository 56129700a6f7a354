"""``suite.run.looks.merge``: the rounds of one experiment as one result."""

from __future__ import annotations

import pandas as pd

from suite.run.looks import merge
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
