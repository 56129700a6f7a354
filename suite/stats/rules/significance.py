"""The tests every rule is built from, each with the seed as its unit.

- :func:`t_greater` / :func:`t_less`: one-sided one-sample t-tests of per-seed statistics
  against a fixed value (a margin): the seed is the observation, so seeds are the df.
- :func:`tost`: two one-sided tests for equivalence within +-margin, and the test that the
  mean lies outside the margin (the refutation of an equivalence claim).
- :func:`stratified_kendall`: Kendall's S computed within each seed and summed over seeds, with
  the sum of the within-seed null variances (tie-corrected): a trend test in which rows of one
  seed are never compared with rows of another, so anything a seed shares across its rows
  (initialization, batch order, a collapsed run) cannot create a trend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats


def _t(values: np.ndarray, mu: float) -> tuple[float, int]:
    """The one-sample t statistic of mean(values) - mu and its df; +-inf for zero spread."""
    n = values.size
    if n < 2:
        raise ValueError(f"a t-test across seeds needs at least 2 seeds, got {n}")
    diff = float(values.mean()) - mu
    sd = float(values.std(ddof=1))
    if sd == 0.0:
        # Every seed gave the same value (e.g. an exact 0 barrier): the sign of the difference
        # is certain; no difference at all is no evidence either way.
        return (math.copysign(math.inf, diff) if diff else 0.0), n - 1
    return diff / (sd / math.sqrt(n)), n - 1


def t_greater(values: np.ndarray, mu: float = 0.0) -> float:
    """One-sided p of mean > mu (one-sample t, seeds as observations)."""
    t, df = _t(np.asarray(values, dtype=float), mu)
    return float(special.stdtr(df, -t))  # = stats.t.sf(t, df), without its per-call overhead


def t_less(values: np.ndarray, mu: float = 0.0) -> float:
    """One-sided p of mean < mu."""
    return t_greater(-np.asarray(values, dtype=float), -mu)


@dataclass(frozen=True)
class Tost:
    """Equivalence of a mean to 0 within +-margin: p_equivalent (TOST), p_outside (refutes).

    ``zero_spread``: every value was the same, so there is no evidence of the spread across
    seeds and both p are 1 (decides nothing). ``seeds_needed``: about how many seeds the
    observed mean and sd would need for either test to reject (None where they cannot: a mean
    exactly at the margin, zero spread, or more than 1000).
    """

    mean: float
    low: float  # the 1 - 2 alpha confidence interval of the mean, the TOST's own interval
    high: float
    p_equivalent: float
    p_outside: float
    zero_spread: bool = False
    seeds_needed: int | None = None


def _tost_p(m: float, sd: float, n: int, margin: float) -> tuple[float, float]:
    se = sd / math.sqrt(n)
    df = n - 1
    p_above_low = float(special.stdtr(df, -(m + margin) / se))  # mean > -margin
    p_below_high = float(special.stdtr(df, (m - margin) / se))  # mean < margin
    p_above_high = float(special.stdtr(df, -(m - margin) / se))  # mean > margin
    p_below_low = float(special.stdtr(df, (m + margin) / se))  # mean < -margin
    return max(p_above_low, p_below_high), min(1.0, 2 * min(p_above_high, p_below_low))


def tost(values: np.ndarray, margin: float, alpha: float) -> Tost:
    """Two one-sided t-tests (Schuirmann 1987) of -margin < mean < margin across seeds.

    ``p_equivalent`` = max of the p of mean > -margin and of mean < margin (equivalence shown
    when it is below alpha); ``p_outside`` = twice the smaller p of mean > margin or mean <
    -margin (Bonferroni over the two directions): below alpha the mean is shown to lie outside.
    Zero spread across seeds (every value the same; e.g. seeds that are not independent draws)
    gives p = 1 for both: the t of a zero sd would claim certainty from no evidence.
    """
    v = np.asarray(values, dtype=float)
    n = v.size
    if n < 2:
        raise ValueError(f"a t-test across seeds needs at least 2 seeds, got {n}")
    m = float(v.mean())
    sd = float(v.std(ddof=1))
    if sd <= 1e-12 * max(1.0, abs(m)):  # the same in every seed, up to rounding
        return Tost(m, m, m, 1.0, 1.0, zero_spread=True)
    p_eq, p_out = _tost_p(m, sd, n, margin)
    half = float(stats.t.ppf(1 - alpha, n - 1)) * sd / math.sqrt(n)
    needed = None
    if p_eq >= alpha and p_out >= alpha:

        def decides(k: int) -> bool:
            return min(_tost_p(m, sd, k, margin)) < alpha

        if decides(1000):
            lo, hi = n, 1000
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if decides(mid) else (mid, hi)
            needed = hi
    return Tost(m, m - half, m + half, p_eq, p_out, seeds_needed=needed)


@dataclass(frozen=True)
class Kendall:
    """Kendall's S summed over seeds, its null variance, and both one-sided p-values."""

    s: float
    variance: float
    z: float
    p_increasing: float
    p_decreasing: float
    taus: list[float]  # tau-b within each seed (for reading, not for the test)
    variances: list[float]  # each seed's null variance of S (0: x or y constant there)

    @property
    def tau(self) -> float:
        """The mean within-seed tau-b over the seeds where it is defined (x and y vary)."""
        defined = [t for t, v in zip(self.taus, self.variances, strict=True) if v > 0]
        return float(np.mean(defined)) if defined else 0.0


def _ties(values: np.ndarray) -> np.ndarray:
    _, counts = np.unique(values, return_counts=True)
    return counts[counts > 1].astype(float)


def kendall_s(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Kendall's S of one seed, its tie-corrected variance under independence, and tau-b."""
    n = x.size
    i, j = np.triu_indices(n, 1)
    dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
    s = float(np.sum(dx * dy))
    t, u = _ties(x), _ties(y)
    v0 = n * (n - 1) * (2 * n + 5)
    var = (v0 - np.sum(t * (t - 1) * (2 * t + 5)) - np.sum(u * (u - 1) * (2 * u + 5))) / 18.0
    if n > 2:
        var += (
            np.sum(t * (t - 1) * (t - 2))
            * np.sum(u * (u - 1) * (u - 2))
            / (9.0 * n * (n - 1) * (n - 2))
        )
    var += np.sum(t * (t - 1)) * np.sum(u * (u - 1)) / (2.0 * n * (n - 1))
    denom = math.sqrt(float(np.count_nonzero(dx)) * float(np.count_nonzero(dy)))
    tau = s / denom if denom > 0 else 0.0
    return s, float(var), tau


def stratified_kendall(seeds: Sequence[tuple[np.ndarray, np.ndarray]]) -> Kendall:
    """Kendall's trend test stratified by seed: one (x, y) pair of arrays per seed.

    S = sum over seeds of the within-seed S; under the null (no association within any seed)
    its variance is the sum of the within-seed variances, and Z = S / sqrt(Var) is normal
    (with a continuity correction of 1 towards zero, as in the Mann-Kendall test). A seed in
    which x or y is constant adds nothing; if that leaves nothing, tau is undefined.

    The permutation variance assumes the rows of a seed are exchangeable. When x and y are
    both noisier at the same grid points (e.g. the largest batch sizes) they are not, and the
    spread of S across seeds exceeds it (simulated: 6-7% false positives at alpha 0.05 for a
    3x spread, ``suite.stats.power``). So the variance used is the larger of the permutation
    variance and the observed one, n_seeds times the sample variance of the per-seed S: exact
    where the rows are exchangeable, conservative where they are not.
    """
    parts = []
    for x, y in seeds:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if x.shape != y.shape:
            raise ValueError(f"x and y of a seed differ in length: {x.size} vs {y.size}")
        if x.size < 3:
            raise ValueError(f"a within-seed trend needs at least 3 runs per seed, got {x.size}")
        parts.append(kendall_s(x, y))
    if not parts:
        raise ValueError("no seeds")
    s = sum(p[0] for p in parts)
    var = sum(p[1] for p in parts)
    informative = [p[0] for p in parts if p[1] > 0]
    if len(informative) > 1:
        var = max(var, len(informative) * float(np.var(informative, ddof=1)))
    if var <= 0:
        raise ValueError("x or y is constant within every seed: Kendall's tau is undefined")
    z = (s - math.copysign(1.0, s)) / math.sqrt(var) if abs(s) > 1 else 0.0
    return Kendall(
        s=s,
        variance=var,
        z=z,
        p_increasing=float(special.ndtr(-z)),
        p_decreasing=float(special.ndtr(z)),
        taus=[p[2] for p in parts],
        variances=[p[1] for p in parts],
    )
