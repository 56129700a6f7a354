"""``suite.stats.power.looks``: a claim's sequential looks simulated as ``suite.run.looks`` runs
them (prefix seed sets, alpha spent over the looks, stop at the first decided look)."""

from __future__ import annotations

import numpy as np

from suite.stats.power.looks import first_seeds, sequential_outcome
from suite.stats.power.trends import corruption_draws, measured_draws


def test_first_seeds_keeps_the_rows_of_a_prefix_of_the_seeds():
    table = {"seed": np.array([0, 0, 1, 1, 2, 2]), "y": np.arange(6.0)}
    sub = first_seeds(table, 2)
    assert sub["seed"].tolist() == [0, 0, 1, 1]
    assert sub["y"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_a_strong_effect_is_decided_at_the_first_look():
    strong = measured_draws("sensitivity", "test_acc", -0.9)
    o = sequential_outcome("sensitivity-accuracy", strong, (6, 10), 50)
    assert o.supported == 1.0
    assert o.mean_seeds == 6.0


def test_no_effect_goes_on_to_the_cap_and_stays_undecided_mostly():
    null = measured_draws("sensitivity", "test_acc", 0.0)
    o = sequential_outcome("sensitivity-accuracy", null, (6, 10), 200)
    assert o.supported + o.refuted <= 0.15  # two looks, each at 0.025, both directions
    assert o.mean_seeds > 9.0


def test_a_proportion_claim_cannot_be_supported_before_six_seeds():
    every_run_fits = corruption_draws(0.72, 0.001)
    o = sequential_outcome("corruption-fit", every_run_fits, (3, 6), 50)
    assert o.supported == 1.0
    assert o.mean_seeds == 6.0  # 3 of 3 give p 0.125: the first look cannot decide it
