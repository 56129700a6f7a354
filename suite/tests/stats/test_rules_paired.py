"""``seed_difference``: one arm against another within seeds, simulated at its margin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from suite.stats.rules import seed_difference
from suite.stats.verdicts import Verdict


def _runs(diffs: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    shared = rng.normal(0.5, 0.2, size=len(diffs))  # what a seed's two arms have in common
    rows = [
        {"seed": s, "arm": "a", "y": b + d}
        for s, (b, d) in enumerate(zip(shared, diffs, strict=True))
    ]
    rows += [{"seed": s, "arm": "b", "y": b} for s, b in enumerate(shared)]
    return pd.DataFrame(rows)


def _share(verdict: Verdict, mean: float, n: int, draws: int = 1500) -> float:
    rng = np.random.default_rng(n)
    hits = 0
    for _ in range(draws):
        runs = _runs(rng.normal(mean, 0.1, size=n), rng)
        decision = seed_difference(
            runs, arm="arm", control="a", treatment="b", y="y", lowers=True, margin=0.05, alpha=0.05
        )
        hits += decision.verdict is verdict
    return hits / draws


@pytest.mark.slow
@pytest.mark.parametrize("n", [3, 5, 10])
def test_at_the_margin_it_supports_and_refutes_at_most_alpha(n):
    se = 2 * np.sqrt(0.05 * 0.95 / 1500)
    assert _share(Verdict.SUPPORTED, 0.05, n) <= 0.05 + se
    assert _share(Verdict.REFUTED, 0.05, n) <= 0.05 + se


def test_a_clear_effect_is_supported_and_a_null_one_refuted_at_ten_seeds():
    assert _share(Verdict.SUPPORTED, 0.25, 10, draws=300) > 0.95
    assert _share(Verdict.REFUTED, -0.1, 10, draws=300) > 0.95


def test_the_decision_keeps_each_seeds_difference_and_names_a_missing_arm():
    runs = _runs(np.array([0.2, 0.3, 0.25]), np.random.default_rng(0))
    d = seed_difference(
        runs, arm="arm", control="a", treatment="b", y="y", lowers=True, margin=0.0, alpha=0.05
    )
    assert d.details["difference"] == pytest.approx([0.2, 0.3, 0.25])
    assert d.statistic == pytest.approx(0.25)
    with pytest.raises(ValueError, match="no runs with arm = 'c'"):
        seed_difference(
            runs, arm="arm", control="a", treatment="c", y="y", lowers=True, margin=0, alpha=0.05
        )


def test_raises_reads_the_difference_the_other_way_and_one_arm_is_refused():
    runs = _runs(np.array([0.2, 0.3, 0.25, 0.22]), np.random.default_rng(1))  # a above b
    up = seed_difference(
        runs, arm="arm", control="b", treatment="a", y="y", lowers=False, margin=0.05, alpha=0.05
    )
    assert up.statistic == pytest.approx(0.2425) and up.verdict is Verdict.SUPPORTED
    with pytest.raises(ValueError, match="one arm"):
        seed_difference(
            runs, arm="arm", control="a", treatment="a", y="y", lowers=True, margin=0, alpha=0.05
        )
