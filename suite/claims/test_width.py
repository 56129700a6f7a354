"""Section 2: wider networks (3 hidden layers of 5..90 units) reach higher test accuracy.

Decision (``suite.stats.catalog``): a within-seed trend of test accuracy in parameters, and no
width worse than a narrower one by more than 0.005 (paired by seed).
"""

import pytest


@pytest.mark.generalization("width-monotone")
def test_test_accuracy_is_monotone_in_width(width_sweep, claim):
    claim.decide(width_sweep)
