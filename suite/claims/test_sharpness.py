"""Beyond the homework, section 6 (Keskar et al. 2017): large batches find sharper minima.

Epsilon-sharpness of every run of the batch-size sweep (batch sizes 500..5000, lr 1e-2): the
largest relative rise of the training loss, 100 (max L - L) / (1 + L), over the box
|delta_i| <= eps (|theta_i| + 1) in the full parameter space, found by projected sign-gradient
ascent (eps, steps and the probe set are in the profile's ``batch_sweep`` settings).
Decisions: within-seed Kendall trends (``suite.stats.catalog``). Both claims presume fitted
networks: Keskar et al. compare the minimizers small and large batches reach, and away from a
minimizer the gradient dominates epsilon-sharpness (an unfitted run is "sharp" for being
unfitted).
"""

import pytest


@pytest.mark.generalization("sharpness-batch")
def test_sharpness_grows_with_batch_size(batch_sweep, claim):
    claim.decide(batch_sweep)


@pytest.mark.generalization("sharpness-gap")
def test_sharpness_correlates_with_the_generalization_gap(batch_sweep, claim):
    claim.decide(batch_sweep)
