"""``suite.stats.rules.granulated``: a measure ranks runs by their gap within each
hyperparameter axis
(``sensitivity-granulated``, ``sharpness-granulated``; Jiang et al. 2020).

The grid is the measures experiment's: one-at-a-time around a base point (batch size 1000,
lr 3e-3, no corruption), four values per axis, three seeds. Along each axis the gap grows
with the step away from the base; how the measure follows it is chosen per axis.
"""

from __future__ import annotations

import pandas as pd
import pytest

from suite.stats import rules
from suite.stats.grid import AXES
from suite.stats.verdicts import Verdict

BASE = {"batch_size": 1000, "lr": 3e-3, "corruption": 0.0}
STEPS = {  # axis value -> steps from the base value
    "batch_size": {500: -1, 1000: 0, 2000: 1, 4000: 2},
    "lr": {1e-3: -1, 3e-3: 0, 1e-2: 1, 3e-2: 2},
    "corruption": {0.0: 0, 0.2: 1, 0.4: 2, 0.6: 3},
}
# The measure along an axis, by step: rising with the gap (+), falling (-), or no relation (0:
# Kendall's S is 0 on the four steps of every axis). All agree at the base point (step 0).
MEASURE = {
    "+": {-1: 0.9, 0: 1.0, 1: 1.1, 2: 1.2, 3: 1.3},
    "-": {-1: 1.1, 0: 1.0, 1: 0.9, 2: 0.8, 3: 0.7},
    "0": {-1: 1.1, 0: 1.0, 1: 0.8, 2: 1.2, 3: 0.9},
}


def grid(relation: dict[str, str], seeds: int = 3) -> pd.DataFrame:
    """One row per (grid point, seed); each seed shifts gap and measure by its own amount."""
    rows = []
    for seed in range(seeds):
        points = {}  # grid point -> measure; the base point is on every axis, at step 0
        for axis, steps in STEPS.items():
            for value, step in steps.items():
                point = tuple(value if a == axis else BASE[a] for a in AXES)
                points[point] = MEASURE[relation[axis]][step]
        for (batch, lr, corruption), measure in points.items():
            step = STEPS["batch_size"][batch] + STEPS["lr"][lr] + STEPS["corruption"][corruption]
            rows.append(
                {
                    "seed": seed,
                    "batch_size": batch,
                    "lr": lr,
                    "corruption": corruption,
                    "gap": 0.2 + 0.05 * step + 0.03 * seed,
                    "sensitivity": measure + 0.1 * seed,
                }
            )
    return pd.DataFrame(rows)


def granulated(runs: pd.DataFrame):
    return rules.within_each_axis(runs, measure="sensitivity", target="gap", axes=AXES, alpha=0.05)


def test_each_axis_is_one_stratum_per_seed_of_its_four_runs():
    d = granulated(grid({"batch_size": "+", "lr": "+", "corruption": "+"}))
    assert d.n_runs == 3 * 10
    for axis in AXES:
        assert d.details["axes"][axis]["strata"] == 3
        assert d.details["axes"][axis]["runs"] == 12


def test_positive_within_every_axis_is_supported():
    d = granulated(grid({"batch_size": "+", "lr": "+", "corruption": "+"}))
    assert d.verdict is Verdict.SUPPORTED
    assert d.statistic == pytest.approx(1.0)


def test_one_axis_strongly_negative_is_refuted():
    d = granulated(grid({"batch_size": "+", "lr": "-", "corruption": "+"}))
    assert d.verdict is Verdict.REFUTED
    assert d.reason == "negative along lr"


def test_positive_on_average_but_flat_along_one_axis_is_not_supported():
    # Jiang et al.'s granulated tau (the mean over axes) is 2/3; the statement says "within
    # each axis", and along lr there is no relation.
    d = granulated(grid({"batch_size": "+", "lr": "0", "corruption": "+"}))
    assert d.statistic == pytest.approx(2 / 3)
    assert d.details["axes"]["lr"]["tau"] == pytest.approx(0.0)
    assert d.verdict is Verdict.INCONCLUSIVE
    assert d.reason == "not shown positive along lr"


def test_an_axis_without_a_stratum_is_an_error():
    runs = grid({"batch_size": "+", "lr": "+", "corruption": "+"})
    only_base_lr = runs[runs["lr"] == BASE["lr"]]
    with pytest.raises(ValueError, match="only 'lr' varies"):
        granulated(only_base_lr)
