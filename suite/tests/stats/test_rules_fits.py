"""``suite.stats.rules.fits``: proportion claims about fitting (``random-labels-fit``,
``corruption-fit``), decided by the exact binomial test against the claim's share P."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from suite.stats import rules
from suite.stats.rules.fits import clopper_pearson, share_seeds_needed
from suite.stats.verdicts import Verdict


def seeds(accs: list[float]) -> dict[str, np.ndarray]:
    return {"seed": np.arange(len(accs)), "train_acc": np.asarray(accs, dtype=np.float32)}


def fit(accs: list[float], share: float = 0.5, alpha: float = 0.025):
    return rules.seeds_at_full_accuracy(seeds(accs), acc="train_acc", share=share, alpha=alpha)


# --- random-labels-fit -----------------------------------------------------------------------


def test_ten_seeds_with_one_miss_show_the_typical_run_fits():
    d = fit([1.0] * 9 + [0.999])
    assert d.verdict is Verdict.SUPPORTED
    assert d.statistic == pytest.approx(0.9)
    assert d.p_value == pytest.approx(stats.binom.sf(8, 10, 0.5))  # P(X >= 9)
    assert d.interval[0] > 0.5 and d.interval_level == pytest.approx(0.95)
    assert (d.margin, d.n_seeds) == (0.5, 10)


def test_three_clean_seeds_are_too_few_to_decide():
    d = fit([1.0, 1.0, 1.0])
    assert d.verdict is Verdict.INCONCLUSIVE  # 0.5^3 = 0.125 > 0.025
    assert d.seeds_needed == 6  # 0.5^6 = 0.0156 < 0.025
    assert "too few" in d.reason


def test_half_train_accuracy_in_every_seed_refutes_the_claim():
    d = fit([0.5] * 10)
    assert d.verdict is Verdict.REFUTED
    assert d.p_refute == pytest.approx(0.5**10)
    assert d.interval[1] < 0.5
    assert "shown below" in d.reason


def test_float32_accuracies_reach_one_exactly_or_not_at_all():
    n = np.float32(1000)
    accs = (np.array([1000] * 9 + [999], dtype=np.float32) / n).tolist()
    assert fit(accs).details["seeds_fitted"] == 9


def test_a_share_exactly_at_the_margin_is_never_decided():
    d = fit([1.0, 0.9] * 10)
    assert d.verdict is Verdict.INCONCLUSIVE
    assert d.seeds_needed is None  # the observed share is P itself: no count decides it


def test_clopper_pearson_bounds_are_the_exact_tests_inverted():
    low, high = clopper_pearson(9, 10, 0.025)
    assert stats.binom.sf(8, 10, low) == pytest.approx(0.025)
    assert stats.binom.cdf(9, 10, high) == pytest.approx(0.025)
    assert clopper_pearson(10, 10, 0.025)[1] == 1.0 and clopper_pearson(0, 10, 0.025)[0] == 0.0


def test_seeds_needed_rejects_at_that_count_and_not_before():
    m = share_seeds_needed(4, 5, 0.5, 0.025)
    assert stats.binom.sf(round(0.8 * m) - 1, m, 0.5) < 0.025
    assert stats.binom.sf(round(0.8 * (m - 1)) - 1, m - 1, 0.5) >= 0.025


def test_two_rows_for_one_seed_are_an_error():
    with pytest.raises(ValueError, match="one row per seed"):
        rules.seeds_at_full_accuracy(
            {"seed": [0, 0], "train_acc": [1.0, 1.0]}, acc="train_acc", share=0.5, alpha=0.05
        )


# --- corruption-fit ----------------------------------------------------------------------------


def corruption_runs(fit_epochs: dict[float, list[int]], budget: int = 100) -> pd.DataFrame:
    """One row per (fraction, seed); a run that never fits is measured at budget + 1."""
    rows = [
        {"seed": s, "fraction": f, "fitted": e <= budget, "epochs_to_fit": min(e, budget + 1)}
        for f, epochs in fit_epochs.items()
        for s, e in enumerate(epochs)
    ]
    return pd.DataFrame(rows)


def corruption(runs: pd.DataFrame, alpha: float = 0.025):
    return rules.seeds_fitting_every_group(
        runs, fitted="fitted", group="fraction", share=0.5, alpha=alpha
    )


def test_every_fraction_fitted_in_six_seeds_is_supported():
    runs = corruption_runs({0.0: [5] * 6, 0.5: [40] * 6, 1.0: [90, 80, 99, 95, 97, 70]})
    d = corruption(runs)
    assert d.verdict is Verdict.SUPPORTED
    assert (d.statistic, d.n_runs, d.n_seeds) == (1.0, 18, 6)
    assert d.details["per_fraction"]["1.0"] == {"fitted": 6, "runs": 6, "latest_fit_epoch": 99}


def test_one_unfitted_run_among_three_seeds_is_inconclusive_not_refuted():
    runs = corruption_runs({0.0: [5, 6, 7], 0.5: [40, 50, 45], 1.0: [90, 180, 99]})
    d = corruption(runs)
    assert d.verdict is Verdict.INCONCLUSIVE
    assert d.statistic == pytest.approx(2 / 3)
    assert d.details["runs_not_fitted"] == 1
    assert "1.0" in d.reason


def test_a_fraction_that_never_fits_is_refuted_after_bonferroni():
    runs = corruption_runs({0.0: [5] * 8, 1.0: [200] * 8})
    d = corruption(runs)
    assert d.verdict is Verdict.REFUTED  # 0.5^8 x 2 fractions = 0.0078 < 0.025
    assert d.p_refute == pytest.approx(2 * 0.5**8)
    assert d.interval[1] < 0.5
