"""Beyond the homework, section 5 (Zhang et al. 2017): a fraction f of wrong training labels.

The random-labels model (784-21-10, batch 100, Adam 3e-3, 1000 images) on labels of which
exactly round(f * 1000) are wrong, f in {0, 0.2, 0.4, 0.6, 0.8, 1.0}; one run per (f, seed).
A run is measured when it first reaches 100% train accuracy (test accuracy on the true labels
of the official 10,000 test images); a run that never does is measured at the end of the budget
and counts as fitting at budget + 1.
"""

import pytest

from suite.stats import rules


@pytest.mark.generalization("corruption-fit")
def test_every_corruption_level_is_fitted_within_the_budget(label_corruption, claim):
    runs = label_corruption.frames["final"]  # one row per (fraction, seed)
    claim.decide(rules.every_run_fits(runs, fitted="fitted", group="fraction"), label_corruption)


@pytest.mark.generalization("corruption-test-monotone")
def test_test_accuracy_falls_with_the_fraction_of_wrong_labels(label_corruption, claim):
    runs = label_corruption.frames["final"]
    claim.decide(
        rules.within_seed_trend(
            runs, x="fraction", y="test_acc", direction="decreasing", alpha=0.01
        ),
        label_corruption,
    )


@pytest.mark.generalization("fit-time-grows")
def test_epochs_to_fit_grow_with_the_fraction_of_wrong_labels(label_corruption, claim):
    runs = label_corruption.frames["final"]
    claim.decide(
        rules.censored_trend(
            runs, x="fraction", y="epochs_to_fit", direction="increasing", alpha=0.01
        ),
        label_corruption,
    )
