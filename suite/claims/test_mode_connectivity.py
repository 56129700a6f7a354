"""Beyond the homework, section 7 (Frankle et al. 2020): linear mode connectivity.

The interpolation experiment's two curves per seed share theta1 (small batch); theta2 (large
batch) starts either from theta1's initialization (shared) or from an independent one. The
barrier of a curve is max_{a in [0,1]} L(a) - max(L(0), L(1)), for train and test loss.
"""

import pytest

from suite.stats import rules


@pytest.mark.generalization("shared-init-lower-barrier")
def test_shared_initialization_gives_a_lower_barrier(interpolation, claim):
    curve = interpolation.frames["curve"]
    claim.decide(
        rules.lower_barrier(
            curve,
            group="init",
            lower="shared",
            higher="independent",
            accs=("train_acc", "test_acc"),
            alpha=0.05,
        ),
        interpolation,
    )
