"""Section 1 (Zhang et al. 2017): a small MLP memorizes 1000 images with uniformly random labels.

Each seed is its own model with its own random relabelling; accuracy on the true test labels is
measured on the official 10,000 test images.
"""

import pytest

from suite.stats import rules


@pytest.mark.generalization("random-labels-fit")
def test_reaches_full_train_accuracy_on_random_labels(random_labels, claim):
    final = random_labels.final()
    claim.decide(rules.all_reach(final["train_acc"], target=1.0), random_labels)


@pytest.mark.generalization("random-labels-chance")
def test_test_accuracy_stays_at_chance(random_labels, claim):
    final = random_labels.final()  # one row per seed, with its own chance reference
    claim.decide(
        rules.at_chance(final, acc="test_acc", reference="chance_ref", margin=claim.margin),
        random_labels,
    )


@pytest.mark.generalization("random-labels-overfit")
def test_test_loss_rises_while_train_loss_falls(random_labels, claim):
    curves = random_labels.frames["epochs"]  # one row per (seed, evaluated epoch)
    claim.decide(
        rules.overfits(
            curves, x="epoch", test="test_loss", train="train_loss", margin=claim.margin, alpha=0.01
        ),
        random_labels,
    )
