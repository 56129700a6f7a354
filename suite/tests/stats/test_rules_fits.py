"""``suite.stats.rules.fits``: claims about every run (``random-labels-fit``, ``corruption-fit``).

No test across seeds: one run that misses refutes the claim, so there are two verdicts only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from suite.stats import rules
from suite.stats.verdicts import Verdict

# --- random-labels-fit: rules.all_reach(final["train_acc"], target=1.0) ------------------------


def test_every_seed_at_full_train_accuracy_is_supported():
    d = rules.all_reach([1.0, 1.0, 1.0], target=1.0)
    assert d.verdict is Verdict.SUPPORTED
    assert (d.statistic, d.p_value, d.n_seeds) == (1.0, None, 3)


def test_one_seed_missing_one_image_is_refuted():
    d = rules.all_reach([1.0, 999 / 1000, 1.0], target=1.0)
    assert d.verdict is Verdict.REFUTED
    assert d.statistic == pytest.approx(0.999)
    assert d.details["seeds_below"] == 1


def test_float32_accuracies_reach_one_exactly_or_not_at_all():
    n = np.float32(1000)
    assert rules.all_reach(np.array([1000, 1000], dtype=np.float32) / n).supported
    assert not rules.all_reach(np.array([1000, 999], dtype=np.float32) / n).supported


# --- corruption-fit: rules.every_run_fits(runs, fitted="fitted", group="fraction") -------------


def corruption_runs(fit_epochs: dict[float, list[int]], budget: int = 100) -> pd.DataFrame:
    """One row per (fraction, seed); a run that never fits is measured at budget + 1."""
    rows = [
        {"seed": s, "fraction": f, "fitted": e <= budget, "epochs_to_fit": min(e, budget + 1)}
        for f, epochs in fit_epochs.items()
        for s, e in enumerate(epochs)
    ]
    return pd.DataFrame(rows)


def test_every_run_fitted_is_supported():
    runs = corruption_runs({0.0: [5, 6, 7], 0.5: [40, 50, 45], 1.0: [90, 80, 99]})
    d = rules.every_run_fits(runs, fitted="fitted", group="fraction")
    assert d.verdict is Verdict.SUPPORTED
    assert (d.statistic, d.n_runs, d.n_seeds) == (1.0, 9, 3)
    assert d.details["per_fraction"]["1.0"] == {"fitted": 3, "runs": 3, "latest_fit_epoch": 99}


def test_one_run_that_never_fits_is_refuted():
    runs = corruption_runs({0.0: [5, 6, 7], 0.5: [40, 50, 45], 1.0: [90, 180, 99]})
    d = rules.every_run_fits(runs, fitted="fitted", group="fraction")
    assert d.verdict is Verdict.REFUTED
    assert d.statistic == pytest.approx(8 / 9)
    assert d.details["runs_not_fitted"] == 1
    assert d.details["per_fraction"]["1.0"]["fitted"] == 2
