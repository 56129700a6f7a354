"""Section 1 (Zhang et al. 2017): a small MLP memorizes 1000 images with uniformly random labels.

Each seed is its own model with its own random relabelling; accuracy on the true test labels is
measured on the official 10,000 test images. Decisions: ``suite.stats.catalog``.
"""

import pytest


@pytest.mark.generalization("random-labels-fit")
def test_reaches_full_train_accuracy_on_random_labels(random_labels, claim):
    claim.decide(random_labels)  # share of seeds at 100% final train accuracy >= 0.5


@pytest.mark.generalization("random-labels-chance")
def test_test_accuracy_stays_at_chance(random_labels, claim):
    claim.decide(random_labels)  # TOST of test accuracy - each seed's chance reference


@pytest.mark.generalization("random-labels-overfit")
def test_test_loss_rises_while_train_loss_falls(random_labels, claim):
    claim.decide(random_labels)  # per seed: rise of the test loss after its minimum
