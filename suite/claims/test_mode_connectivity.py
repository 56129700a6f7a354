"""Beyond the homework, section 7 (Frankle et al. 2020): linear mode connectivity.

The interpolation experiment's two curves per seed share theta1 (small batch 64, lr 1e-3);
theta2 (large batch 1024, lr 1e-2) starts either from theta1's initialization (shared) or from
an independent one. The error barrier of a curve is the maximum over a in [0, 1] (31 points
there, of 51 on [-1, 2]) of the error minus the mean of the two endpoint errors, in points; the
claim compares the two curves of each seed (``suite.stats.catalog``).

This differs from Frankle et al.'s protocol: there both solutions share the hyperparameters and
differ in SGD noise only; here they are the homework's two different recipes from one init, so
a shared-init barrier above 2 points is no contradiction of the paper.
"""

import pytest


@pytest.mark.generalization("shared-init-lower-barrier")
def test_shared_initialization_gives_a_lower_barrier(interpolation, claim):
    claim.decide(interpolation)
