"""Section 4 (Novak et al. 2018): sensitivity, the softmax-output Jacobian norm, tracks
generalization across batch sizes 500..5000."""

import pytest

from suite.plugin.claim import refuted_at
from suite.stats import rules


@pytest.mark.generalization("sensitivity-gap")
@refuted_at(
    "ci",
    "within-seed tau(sensitivity, gap) -0.51, -0.50, -0.39, -0.39 in seed sets 0-3 (3 seeds "
    "each): larger batches have both lower sensitivity and a larger gap at 20 epochs",
    interval=(-0.9, -0.15),
)
def test_sensitivity_correlates_with_the_generalization_gap(batch_sweep, claim):
    runs = batch_sweep.frames["final"]  # one row per (batch size, seed)
    claim.decide(
        rules.within_seed_trend(
            runs, x="sensitivity", y="gap", direction="increasing", alpha=0.05, keys=("batch_size",)
        ),
        batch_sweep,
    )


@pytest.mark.generalization("sensitivity-accuracy")
def test_sensitivity_is_larger_where_test_accuracy_is_smaller(batch_sweep, claim):
    runs = batch_sweep.frames["final"]
    claim.decide(
        rules.within_seed_trend(
            runs,
            x="sensitivity",
            y="test_acc",
            direction="decreasing",
            alpha=0.05,
            keys=("batch_size",),
        ),
        batch_sweep,
    )
