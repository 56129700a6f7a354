"""Beyond the homework, section 5 (Zhang et al. 2017): a fraction f of wrong training labels.

The random-labels model (784-21-10, batch 100, Adam 3e-3, 1000 images) on labels of which
exactly round(f * 1000) are wrong, f in {0, 0.2, 0.4, 0.6, 0.8, 1.0}; one run per (f, seed).
A run is measured when it first reaches 100% train accuracy (test accuracy on the true labels
of the official 10,000 test images); a run that never does is measured at the end of the budget
and counts as fitting at budget + 1. Decisions: ``suite.stats.catalog``.
"""

import pytest


@pytest.mark.generalization("corruption-fit")
def test_every_corruption_level_is_fitted_within_the_budget(label_corruption, claim):
    claim.decide(label_corruption)  # at every f, the share of seeds that fit > 0.5


@pytest.mark.generalization("corruption-test-monotone")
def test_test_accuracy_falls_with_the_fraction_of_wrong_labels(label_corruption, claim):
    claim.decide(label_corruption)  # within-seed trend of test accuracy in f, decreasing


@pytest.mark.generalization("fit-time-grows")
def test_epochs_to_fit_grow_with_the_fraction_of_wrong_labels(label_corruption, claim):
    claim.decide(label_corruption)  # within-seed trend of the (censored) epochs to fit in f
