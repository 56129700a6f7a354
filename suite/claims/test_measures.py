"""Beyond the homework, section 8 (Jiang et al. 2020): measures that predict generalization.

A one-at-a-time grid around a base point (batch size, learning rate, label corruption), every
run trained to a common stopping criterion (train cross-entropy <= 0.01) and measured for its
gap (test loss - train loss), sensitivity and sharpness. A measure's granulated Kendall tau is
the mean over the three axes of its tau with the gap among the runs where only that axis
varies; the claim says "within each axis", so the rule asks every axis to show a positive
within-seed tau. Runs stopped by the epoch cap instead of the criterion leave the claim
INCONCLUSIVE (premise unmet). Decisions: ``suite.stats.catalog``.
"""

import pytest


@pytest.mark.generalization("sensitivity-granulated")
def test_sensitivity_ranks_runs_by_gap_within_each_axis(measures, claim):
    claim.decide(measures)


@pytest.mark.generalization("sharpness-granulated")
def test_sharpness_ranks_runs_by_gap_within_each_axis(measures, claim):
    claim.decide(measures)
