"""Beyond the homework, section 7 (Frankle et al. 2020): linear mode connectivity.

The interpolation experiment's two curves per seed share theta1 (small batch); theta2 (large
batch) starts either from theta1's initialization (shared) or from an independent one. The
error barrier of a curve is max over a in [0, 1] of the error minus the mean of the two
endpoint errors, in points; the claim compares the two per seed (``suite.stats.catalog``).
"""

import pytest


@pytest.mark.generalization("shared-init-lower-barrier")
def test_shared_initialization_gives_a_lower_barrier(interpolation, claim):
    claim.decide(interpolation)
