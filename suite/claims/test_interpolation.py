"""Section 3: the loss between a small-batch/low-lr and a large-batch/high-lr solution.

Parametrized by how the two solutions start: from independent initializations (the homework)
or from a shared one (Frankle et al. 2020's linear mode connectivity asks for the same
hyperparameters and different SGD noise; here the two are the homework's two recipes from one
initialization). The decision (``suite.stats.catalog``): per seed the train and test loss peak
inside a in [0.3, 0.7], and the mean error barrier over a in [0, 1] exceeds 2 points.
"""

import pytest


@pytest.mark.generalization("interpolation-peak")
@pytest.mark.parametrize("init", ["independent", "shared"])
def test_loss_peaks_between_the_two_solutions(interpolation, claim, init):
    if init not in set(interpolation.frames["curve"]["init"]):
        pytest.skip(f"the profile trains no {init}-init pair")
    claim.decide(interpolation)
