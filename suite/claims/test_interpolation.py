"""Section 3: the loss between a small-batch/low-lr and a large-batch/high-lr solution.

Parametrized by how the two solutions start: from independent initializations (the homework)
or from a shared one (linear mode connectivity, Frankle et al. 2020).
"""

import pytest

from suite.stats import rules


@pytest.mark.generalization("interpolation-peak")
@pytest.mark.parametrize("init", ["independent", "shared"])
def test_loss_peaks_between_the_two_solutions(interpolation, claim, init):
    curve = interpolation.frames["curve"]
    if init not in set(curve["init"]):
        pytest.skip(f"the profile trains no {init}-init pair")
    claim.decide(
        rules.interpolation_peak(
            curve[curve["init"] == init],
            losses=("train_loss", "test_loss"),
            accs=("train_acc", "test_acc"),
            window=(0.3, 0.7),
            margin=claim.margin,  # 2 points of error barrier (Frankle et al. 2020)
            alpha=0.05,
        ),
        interpolation,
    )
