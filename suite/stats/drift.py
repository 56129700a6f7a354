"""Did a claim's evidence move between two runs by more than its seeds explain? (issue 27)

Each run of a claim keeps the per-seed values its statistic is the mean or share of
(:mod:`suite.stats.seed_values`); the seeds of one run are independent draws, so the two runs'
values are two independent samples when the seed sets are disjoint (and positively
dependent, which only makes the test conservative, when both runs used the same seeds). Per
claim, a two-sided two-sample test on the scale the values live on:

- ``mean``: Welch's t (unequal spreads, no pooling), the values as they are;
- ``log``: Welch's t on log(max(value, floor)): error barriers are non-negative and
  right-skewed (lognormal-like), and on the raw scale one large seed would decide alone;
- ``share``: Fisher's exact test on the 2x2 table of 0/1 outcomes (a proportion claim).

Across the claims compared, Holm's step-down keeps the family-wise error rate at ``alpha``
(valid under any dependence between claims, which claims on one experiment have): a "drift"
is a claim whose Holm-adjusted p is below ``alpha``. The simulation of the false-positive rate
and the power is :mod:`suite.stats.power.drift` (``python -m suite drift-power``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from suite.stats.seed_values import LOG_FLOOR, SCALES

#: The family-wise level over the claims of one comparison.
ALPHA = 0.05
METHODS = {
    "mean": "Welch t",
    "log": "Welch t on log values",
    "share": "Fisher exact",
}


@dataclass(frozen=True)
class DriftTest:
    """The two-sample test of one claim: its p (two-sided, before the multiplicity
    adjustment), the method, and the two runs' means on the values' own scale."""

    p: float
    method: str
    old_mean: float
    new_mean: float
    n_old: int
    n_new: int


def drift_test(old: Sequence[float], new: Sequence[float], scale: str) -> DriftTest:
    """The two-sided test of "the two runs' seed values come from one distribution".

    Each side needs two values (one for ``share``); with fewer the p is NaN (not tested).
    Values the same within each run give p 1 when the two runs agree and 0 when they differ:
    no seed spread can explain a shift that every seed shows.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    a, b = np.asarray(old, dtype=float), np.asarray(new, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    means = (float(a.mean()) if a.size else math.nan, float(b.mean()) if b.size else math.nan)
    least = 1 if scale == "share" else 2
    if a.size < least or b.size < least:
        return DriftTest(math.nan, METHODS[scale], *means, int(a.size), int(b.size))
    if scale == "share":
        hits_a, hits_b = int((a >= 0.5).sum()), int((b >= 0.5).sum())
        table = [[hits_a, a.size - hits_a], [hits_b, b.size - hits_b]]
        p = float(stats.fisher_exact(table, alternative="two-sided").pvalue)
    else:
        if scale == "log":
            a, b = np.log(np.maximum(a, LOG_FLOOR)), np.log(np.maximum(b, LOG_FLOOR))
        p = _welch(a, b)
    return DriftTest(min(1.0, p), METHODS[scale], *means, int(a.size), int(b.size))


def _welch(a: np.ndarray, b: np.ndarray) -> float:
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff = float(b.mean() - a.mean())
    # Zero spread on both sides: any difference is more than the seeds explain. The tolerance
    # keeps float noise in equal means (a mean of -1.0 read back from JSON) from counting.
    tol = 1e-12 * max(1.0, abs(float(a.mean())), abs(float(b.mean())))
    if va + vb <= tol * tol:
        return 1.0 if abs(diff) <= tol else 0.0
    with warnings.catch_warnings():  # nearly equal values: scipy warns, the p is still right
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.ttest_ind(b, a, equal_var=False).pvalue)


def holm(pvalues: Sequence[float], alpha: float = ALPHA) -> tuple[list[float], list[bool]]:
    """Holm's step-down adjusted p-values and which are below ``alpha``.

    NaN p-values (claims not tested) take no part and stay NaN / False; the family is the
    claims actually tested.
    """
    p = np.asarray(pvalues, dtype=float)
    tested = np.flatnonzero(np.isfinite(p))
    adjusted = np.full(p.size, math.nan)
    m = tested.size
    running = 0.0
    for rank, i in enumerate(tested[np.argsort(p[tested], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return [float(x) for x in adjusted], [bool(x < alpha) for x in adjusted]
