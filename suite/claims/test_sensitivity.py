"""Section 4 (Novak et al. 2018): sensitivity, the softmax-output Jacobian norm, tracks
generalization across batch sizes 500..5000.

Decisions (``suite.stats.catalog``): within-seed Kendall trends across the batch sizes, tested
across seeds. The gap claim speaks of fitted networks (at most 1% train error): where some run
has not fitted, the gap there measures under-fitting and the claim is INCONCLUSIVE (premise
unmet), not refuted.
"""

import pytest


@pytest.mark.generalization("sensitivity-gap")
def test_sensitivity_correlates_with_the_generalization_gap(batch_sweep, claim):
    claim.decide(batch_sweep)


@pytest.mark.generalization("sensitivity-accuracy")
def test_sensitivity_is_larger_where_test_accuracy_is_smaller(batch_sweep, claim):
    claim.decide(batch_sweep)
