"""Section 2: wider networks (3 hidden layers of 5..90 units) reach higher test accuracy."""

import pytest

from suite.stats import rules


@pytest.mark.generalization("width-monotone")
def test_test_accuracy_is_monotone_in_width(width_sweep, claim):
    runs = width_sweep.final(by=("width", "seed"))  # one row per (width, seed)
    claim.decide(
        rules.monotone_in_width(
            runs, x="params", y="test_acc", group="width", alpha=0.01, margin=claim.margin
        ),
        width_sweep,
    )
