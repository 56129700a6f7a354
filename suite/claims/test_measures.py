"""Beyond the homework, section 8 (Jiang et al. 2020): measures that predict generalization.

A one-at-a-time grid around a base point (batch size, learning rate, label corruption), every
run measured for its gap (test loss - train loss), sensitivity and sharpness. A measure's
granulated Kendall tau is the mean over the three axes of its tau with the gap among the runs
where only that axis varies; p-values by permuting the measure across runs (fixed seed).
"""

import pytest

from suite import rules
from suite.measure_table import AXES


@pytest.mark.generalization("sensitivity-granulated")
def test_sensitivity_ranks_runs_by_gap_within_each_axis(measures, claim):
    runs = measures.frames["runs"]  # one row per (grid point, seed)
    claim.decide(
        rules.within_each_axis(runs, measure="sensitivity", target="gap", axes=AXES, alpha=0.05),
        measures,
    )


@pytest.mark.generalization("sharpness-granulated")
def test_sharpness_ranks_runs_by_gap_within_each_axis(measures, claim):
    runs = measures.frames["runs"]
    claim.decide(
        rules.within_each_axis(runs, measure="sharpness", target="gap", axes=AXES, alpha=0.05),
        measures,
    )
