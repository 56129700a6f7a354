"""The fixed decision rules of the claims (DESIGN.md section 2), one plain function per rule.

Every rule takes measured data (a tidy DataFrame, one row per run or per observation, or a 1-D
array with one value per seed) and returns a :class:`~suite.verdicts.Decision`. The rules are
fixed in advance: their thresholds are the design's and must not be tuned to make a result
pass. ``suite.rule_power`` measures how often each rule is fooled by data without the effect
and how often it finds an effect of the size the calibration saw.

Data that a rule cannot decide honestly raise :class:`ValueError` with a one-line reason, and
the claim fixture turns that into an INCONCLUSIVE error (never a pass): NaN or inf anywhere in
the columns a rule reads (a diverged run), missing columns, an incomplete (epoch, seed) grid,
too few observations for the statistic, a variable that is constant so that Kendall's tau is
undefined, or seeds whose t-test statistic is undefined because they are not independent runs.

Rules and the claims they decide:

- :func:`all_reach`: ``random-labels-fit``
- :func:`within_chance`: ``random-labels-chance``
- :func:`rises_after_minimum`: ``random-labels-overfit``
- :func:`monotone_trend`: ``width-monotone``
- :func:`interpolation_peak`: ``interpolation-peak``
- :func:`kendall_trend`: ``sensitivity-gap`` (increasing), ``sensitivity-accuracy`` (decreasing)

and, beyond the homework (issue 7; listed at the end of the module): :func:`every_run_fits`,
:func:`censored_trend`, :func:`lower_barrier`, :func:`granulated_kendall`.

Tables are pandas DataFrames or any mapping of column name to 1-D array (the power simulations
pass dicts); key columns (seed, width) may hold any hashable values.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from suite.verdicts import Decision

__all__ = [
    "ALPHA_TOL",
    "all_reach",
    "censored_trend",
    "every_run_fits",
    "granulated_kendall",
    "interpolation_peak",
    "kendall_trend",
    "lower_barrier",
    "monotone_trend",
    "rises_after_minimum",
    "within_chance",
]

#: Tolerance on interpolation coefficients (grids come from ``np.linspace``, whose points are
#: within a few ulps of the decimal values such as 0.3 or 1.0).
ALPHA_TOL = 1e-9

#: Tolerance on an accuracy computed as correct / n (exact for n = correct, a few ulps
#: otherwise; float32 accuracies are within 1e-7 of the fraction but 1.0 is exact).
ACC_TOL = 1e-12

Table = pd.DataFrame | Mapping[str, ArrayLike]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _finite(values: ArrayLike, name: str) -> np.ndarray:
    """``values`` as a 1-D float array; ValueError if empty or not all finite."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: not numeric ({exc})") from None
    arr = arr.reshape(-1)
    if arr.size == 0:
        raise ValueError(f"{name}: no data")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(
            f"{name}: {int(bad.sum())} of {arr.size} values are NaN or inf (a diverged run "
            "cannot be decided)"
        )
    return arr


def _column(df: Table, col: str) -> np.ndarray:
    if col not in df:
        have = list(df.columns) if isinstance(df, pd.DataFrame) else list(df)
        raise ValueError(f"missing column {col!r} (have {have})")
    return _finite(df[col], f"column {col!r}")


def _labels(df: Table, col: str) -> np.ndarray:
    """A key column (seed, width): any hashable values, but no missing ones."""
    if col not in df:
        have = list(df.columns) if isinstance(df, pd.DataFrame) else list(df)
        raise ValueError(f"missing column {col!r} (have {have})")
    arr = np.asarray(df[col])
    if pd.isna(arr).any():
        raise ValueError(f"column {col!r}: missing values")
    return arr


def _kendall(x: np.ndarray, y: np.ndarray, alternative: str, what: str) -> tuple[float, float]:
    """Kendall's tau-b and its one-sided p (scipy: exact for small tie-free data, else normal)."""
    if x.size < 3:
        raise ValueError(f"{what}: Kendall tau needs at least 3 observations, got {x.size}")
    if np.all(x == x[0]) or np.all(y == y[0]):
        raise ValueError(f"{what}: a variable is constant, Kendall tau is undefined")
    res = stats.kendalltau(x, y, alternative=alternative)
    tau, p = float(res.statistic), float(res.pvalue)
    if not (math.isfinite(tau) and math.isfinite(p)):  # pragma: no cover - guarded above
        raise ValueError(f"{what}: Kendall tau is undefined on these data")
    return tau, p


def _jf(x: float) -> float | None:
    """A float for ``details``, None where it is not finite (JSON has no inf or NaN)."""
    x = float(x)
    return x if math.isfinite(x) else None


def _py(x: Any) -> Any:
    """numpy scalars to plain Python, so that ``details`` serializes to JSON."""
    if isinstance(x, np.generic):
        return x.item()
    return x


# --------------------------------------------------------------------------------------------
# random-labels-fit, random-labels-chance
# --------------------------------------------------------------------------------------------


def all_reach(values: ArrayLike, target: float = 1.0) -> Decision:
    """``random-labels-fit``: the final train accuracy equals ``target`` (1.0) in every seed.

    Rule: supported iff every seed's value is >= ``target`` - 1e-12 (an accuracy computed as
    correct / n is exactly 1.0 when every example is right; the tolerance only absorbs
    rounding in other targets). Statistic: the minimum over seeds. No test, so p is None:
    the claim is about every run, and one run that misses a single example refutes it.
    """
    acc = _finite(values, "train accuracy")
    worst = float(acc.min())
    supported = bool(np.all(acc >= target - ACC_TOL))
    return Decision(
        rule="all_reach",
        statistic=worst,
        threshold=f"== {float(target)!r} in every seed",
        p_value=None,
        supported=supported,
        n_runs=int(acc.size),
        details={
            "per_seed": [float(a) for a in acc],
            "target": float(target),
            "seeds_below": int(np.sum(acc < target - ACC_TOL)),
        },
    )


def within_chance(
    test_acc: ArrayLike, n_test: int, chance: float = 0.1, k: float = 3.0
) -> Decision:
    """``random-labels-chance``: every seed's test accuracy is within chance +- k binomial SEs.

    Rule: with se = sqrt(chance (1 - chance) / n_test) (the standard error of the accuracy of
    a classifier that is right with probability ``chance`` on each of ``n_test`` independent
    examples), supported iff |acc - chance| / se <= k in every seed. Statistic: the largest
    |acc - chance| / se over seeds. No p-value (a per-seed band, not a test); for a model
    exactly at chance each seed leaves the 3-SE band with probability ~0.27%.
    """
    acc = _finite(test_acc, "test accuracy")
    if not (isinstance(n_test, int | np.integer) and n_test >= 1):
        raise ValueError(f"n_test must be a positive integer, got {n_test!r}")
    if not 0.0 < chance < 1.0:
        raise ValueError(f"chance must be in (0, 1), got {chance!r}")
    if np.any((acc < 0) | (acc > 1)):
        raise ValueError(f"test accuracy outside [0, 1]: {acc.tolist()}")
    se = math.sqrt(chance * (1.0 - chance) / int(n_test))
    z = np.abs(acc - chance) / se
    worst = float(z.max())
    return Decision(
        rule="within_chance",
        statistic=worst,
        threshold=f"<= {k:g} SE of {chance:g} in every seed",
        p_value=None,
        supported=bool(np.all(z <= k)),
        n_runs=int(acc.size),
        details={
            "per_seed": [float(a) for a in acc],
            "z_per_seed": [float(v) for v in z],
            "chance": float(chance),
            "se": se,
            "n_test": int(n_test),
            "band": [chance - k * se, chance + k * se],
        },
    )


# --------------------------------------------------------------------------------------------
# random-labels-overfit
# --------------------------------------------------------------------------------------------


def _seed_grid(
    df: Table, x: str, seed: str, ys: Sequence[str], decimals: int | None = None
) -> tuple[np.ndarray, list]:
    """Values of ``ys`` as (len(ys), n_seeds, n_x) arrays on a complete (seed, x) grid.

    ``decimals`` rounds x first, so that grids computed in different ways (linspace, a + k h)
    that agree to that many decimals are the same grid.
    """
    xs = _column(df, x)
    if decimals is not None:
        xs = np.round(xs, decimals)
    seeds = _labels(df, seed)
    if len(seeds) != len(xs):
        raise ValueError(f"columns {x!r} and {seed!r} differ in length")
    seed_keys, si = np.unique(seeds, return_inverse=True)
    x_keys, xi = np.unique(xs, return_inverse=True)
    n_s, n_x = len(seed_keys), len(x_keys)
    counts = np.bincount(si * n_x + xi, minlength=n_s * n_x)
    if counts.max() > 1:
        raise ValueError(f"duplicate ({seed}, {x}) rows")
    if counts.min() == 0:
        raise ValueError(
            f"incomplete ({seed}, {x}) grid: {int(np.sum(counts == 0))} of {n_s * n_x} "
            f"combinations missing (every seed must be measured at the same {x} values)"
        )
    out = np.empty((len(ys), n_s, n_x))
    for k, col in enumerate(ys):
        out[k, si, xi] = _column(df, col)
    return out, [x_keys, seed_keys]


def rises_after_minimum(
    df: Table,
    x: str = "epoch",
    y: str = "test_loss",
    seed: str = "seed",
    alpha: float = 0.01,
    min_after: int = 3,
    train: str | None = "train_loss",
) -> Decision:
    """``random-labels-overfit``: test loss rises after its minimum (Kendall tau > 0, p < 0.01).

    Procedure (fixed):

    1. Every seed must be evaluated at the same ``x`` values (epochs); the curve is the mean
       over seeds of ``y`` at each epoch.
    2. ``x_min`` is the epoch of that curve's minimum (the first one if tied).
    3. The rows taken are every (epoch, seed) observation with epoch strictly greater than
       ``x_min``. The minimum's own epoch is left out because it was selected for being low:
       keeping it would bias tau upwards even on a flat curve. After the (data-chosen)
       minimum the remaining epochs are exchangeable under a flat curve, so the test keeps its
       level.
    4. Kendall's tau-b between epoch and loss over those rows (ties in epoch across seeds are
       handled by tau-b), one-sided p for tau > 0 (scipy, ``alternative="greater"``).

    Supported iff at least ``min_after`` epochs follow the minimum, tau > 0 and p < ``alpha``.
    A curve whose minimum is at (or next to) the last evaluation does not rise after it and is
    refuted (statistic NaN). The rule reads only the test loss; when ``train`` names a column
    its tau over the same rows is reported in ``details`` (the "train loss falls" half of the
    statement, informative only).
    """
    cols = [y] + ([train] if train is not None and train in df else [])
    grid, (epochs, seed_keys) = _seed_grid(df, x, seed, cols)
    test = grid[0]
    curve = test.mean(axis=0)
    i_min = int(np.argmin(curve))
    after = np.arange(len(epochs)) > i_min
    n_after = int(after.sum())
    details: dict[str, Any] = {
        "min_epoch": _py(epochs[i_min]),
        "min_loss": float(curve[i_min]),
        "n_epochs_after": n_after,
        "n_seeds": len(seed_keys),
        "seed_mean_curve": [float(v) for v in curve],
        "epochs": [_py(e) for e in epochs],
    }
    threshold = f"tau > 0 after the minimum, one-sided p < {alpha:g}"
    if n_after < min_after:
        details["reason"] = (
            f"only {n_after} evaluation(s) after the test-loss minimum (need {min_after}): "
            "the loss does not rise after it"
        )
        return Decision(
            rule="rises_after_minimum",
            statistic=math.nan,
            threshold=threshold,
            p_value=None,
            supported=False,
            n_runs=len(seed_keys),
            details=details,
        )
    xs = np.broadcast_to(epochs[after], (len(seed_keys), n_after)).ravel().astype(float)
    ys = test[:, after].ravel()
    tau, p = _kendall(xs, ys, "greater", f"tau({x}, {y}) after the minimum")
    details.update(tau=tau, p_value=p, n_rows=int(ys.size))
    if len(cols) == 2:
        tr = grid[1][:, after].ravel()
        if not np.all(tr == tr[0]):
            t_tau, t_p = _kendall(xs, tr, "less", f"tau({x}, {train})")
            details.update(train_tau=t_tau, train_p_falls=t_p)
    return Decision(
        rule="rises_after_minimum",
        statistic=tau,
        threshold=threshold,
        p_value=p,
        supported=bool(tau > 0 and p < alpha),
        n_runs=len(seed_keys),
        details=details,
    )


# --------------------------------------------------------------------------------------------
# width-monotone
# --------------------------------------------------------------------------------------------


def _in_se(drop: float, se_diff: float) -> float:
    """``drop`` in units of ``se_diff``; with se_diff = 0, +inf for a drop and 0 otherwise."""
    if se_diff > 0:
        return drop / se_diff
    return math.inf if drop > 0 else 0.0


def monotone_trend(
    df: Table,
    x: str = "params",
    y: str = "test_acc",
    group: str = "width",
    alpha: float = 0.01,
    k_se: float = 2.0,
) -> Decision:
    """``width-monotone``: y rises with x over all runs, and no group falls clearly below.

    Rule (both parts must hold):

    1. Trend: Kendall's tau-b(x, y) over all runs (one row per (group, seed)) is > 0 with a
       one-sided p < ``alpha`` (0.01).
    2. No significant drop: groups are ordered by their x (the mean x of the group; x is the
       parameter count, constant within a width). For each group j after the first, let i be
       the group with the highest mean y among the groups before j. With
       se_g = std(y_g, ddof=1) / sqrt(n_g) and se_diff = sqrt(se_i^2 + se_j^2), the drop
       (mean_i - mean_j) / se_diff must be <= ``k_se`` (2). A drop with se_diff = 0 counts as
       infinitely many SEs if positive and as zero otherwise.

    Statistic: tau. p: the one-sided p of tau. Every group needs >= 2 runs (the SE of a
    single run is undefined): fewer is a ValueError (too few runs: inconclusive).
    """
    xs = _column(df, x)
    ys = _column(df, y)
    g = _labels(df, group)
    if not (len(xs) == len(ys) == len(g)):
        raise ValueError(f"columns {x!r}, {y!r}, {group!r} differ in length")
    keys, gi = np.unique(g, return_inverse=True)
    if len(keys) < 2:
        raise ValueError(f"need at least 2 groups of {group!r}, got {len(keys)}")
    n = np.bincount(gi)
    if n.min() < 2:
        few = [_py(keys[i]) for i in np.flatnonzero(n < 2)]
        raise ValueError(
            f"{group} {few}: fewer than 2 runs, so the standard error of the mean is "
            "undefined and the no-drop part cannot be decided"
        )
    mean_x = np.bincount(gi, weights=xs) / n
    mean_y = np.bincount(gi, weights=ys) / n
    sq = np.bincount(gi, weights=(ys - mean_y[gi]) ** 2)
    se = np.sqrt(sq / (n - 1) / n)
    order = np.lexsort((np.arange(len(keys)), mean_x))

    tau, p = _kendall(xs, ys, "greater", f"tau({x}, {y})")

    worst_z, worst_pair, worst_drop = -math.inf, None, math.nan
    drops = []
    best = order[0]
    for j in order[1:]:
        drop = mean_y[best] - mean_y[j]
        se_diff = math.hypot(se[best], se[j])
        z = _in_se(drop, se_diff)
        drops.append(
            {
                group: _py(keys[j]),
                "best_smaller": _py(keys[best]),
                "drop": float(drop),
                "se_diff": float(se_diff),
                "drop_se": _jf(z),
            }
        )
        if z > worst_z:
            worst_z, worst_pair, worst_drop = z, (_py(keys[best]), _py(keys[j])), float(drop)
        if mean_y[j] > mean_y[best]:
            best = j

    trend_ok = bool(tau > 0 and p < alpha)
    drop_ok = bool(worst_z <= k_se)
    return Decision(
        rule="monotone_trend",
        statistic=tau,
        threshold=f"tau > 0 with one-sided p < {alpha:g}, and no drop > {k_se:g} SE "
        f"below the best smaller {group}",
        p_value=p,
        supported=trend_ok and drop_ok,
        n_runs=len(ys),
        details={
            "trend_ok": trend_ok,
            "no_drop_ok": drop_ok,
            "worst_drop_se": _jf(worst_z),
            "worst_drop": worst_drop,
            "worst_pair": list(worst_pair) if worst_pair else None,
            "groups": [_py(keys[i]) for i in order],
            "mean_x": [float(mean_x[i]) for i in order],
            "mean_y": [float(mean_y[i]) for i in order],
            "se_y": [float(se[i]) for i in order],
            "n_per_group": [int(n[i]) for i in order],
            "drops": drops,
        },
    )


# --------------------------------------------------------------------------------------------
# interpolation-peak
# --------------------------------------------------------------------------------------------


def _one_sided_t(barriers: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """One-sided one-sample t-tests of mean > 0, one per row of ``barriers`` (rows x seeds).

    Returns (t, p) arrays, with the zero-variance cases decided: scipy gives NaN when all
    values are identical. All-zero barriers (the maximum on [0, 1] is an endpoint in every
    seed) are no evidence of a barrier: t = NaN, p = 1. Identical positive barriers cannot come
    from independently trained seeds (continuous quantities never tie exactly), so they are a
    ValueError (inconclusive), not a p of 0.
    """
    if barriers.shape[1] < 2:
        raise ValueError("the barrier t-test across seeds needs at least 2 seeds")
    t = np.full(barriers.shape[0], math.nan)
    p = np.ones(barriers.shape[0])
    const = np.all(barriers == barriers[:, :1], axis=1)
    tied = np.flatnonzero(const & (barriers[:, 0] > 0))
    if tied.size:
        k = int(tied[0])
        raise ValueError(
            f"{names[k]}: every seed has the same barrier {barriers[k, 0]:.6g}: the seeds are "
            "not independent runs, the t-test is undefined"
        )
    if not const.all():
        res = stats.ttest_1samp(barriers[~const], 0.0, axis=1, alternative="greater")
        t[~const] = res.statistic
        p[~const] = res.pvalue
    return t, p


def interpolation_peak(
    curve: Table,
    alpha_col: str = "alpha",
    losses: Sequence[str] = ("train_loss", "test_loss"),
    seed: str = "seed",
    peak: tuple[float, float] = (0.3, 0.7),
    p_max: float = 0.05,
) -> Decision:
    """``interpolation-peak``: the loss along theta(a) peaks near a = 0.5, with a real barrier.

    The grid of a must be the same in every seed, span [-1, 2] and have >= 31 points, and
    include a = 0 and a = 1 (within 1e-9); otherwise ValueError. For each loss in ``losses``:

    1. Location: in every seed the argmax of L(a) over the grid points with a in [0, 1] lies
       in ``peak`` = [0.3, 0.7] (both ends within 1e-9, as linspace grids place them).
    2. Barrier: b = max_{a in [0,1]} L(a) - max(L(0), L(1)) (Frankle et al. 2020; b >= 0 by
       construction) is > 0 on average: one-sided one-sample t-test across seeds, p < 0.05.
       All-zero barriers give p = 1; identical positive barriers in every seed are a
       ValueError (seeds that are not independent runs cannot be t-tested).

    Supported iff both parts hold for every loss. Statistic: the smaller of the mean barriers.
    p: the larger of the t-test p-values.
    """
    losses = list(losses)
    grid, (alphas, seed_keys) = _seed_grid(curve, alpha_col, seed, losses, decimals=9)
    lo, hi = float(alphas.min()), float(alphas.max())
    if lo > -1 + ALPHA_TOL or hi < 2 - ALPHA_TOL or len(alphas) < 31:
        raise ValueError(
            f"the {alpha_col} grid must span [-1, 2] with >= 31 points; got "
            f"[{lo:g}, {hi:g}] with {len(alphas)} points"
        )
    i0 = np.flatnonzero(np.abs(alphas) <= ALPHA_TOL)
    i1 = np.flatnonzero(np.abs(alphas - 1) <= ALPHA_TOL)
    if len(i0) != 1 or len(i1) != 1:
        raise ValueError(f"the {alpha_col} grid must contain the endpoints a = 0 and a = 1")
    inside = (alphas >= -ALPHA_TOL) & (alphas <= 1 + ALPHA_TOL)
    a_in = alphas[inside]
    L = grid[:, :, inside]  # (losses, seeds, alphas in [0, 1])
    arg = a_in[np.argmax(L, axis=2)]  # (losses, seeds)
    in_window = (arg >= peak[0] - ALPHA_TOL) & (arg <= peak[1] + ALPHA_TOL)
    barrier = L.max(axis=2) - np.maximum(grid[:, :, i0[0]], grid[:, :, i1[0]])
    t, p = _one_sided_t(barrier, losses)
    loss_ok = in_window.all(axis=1) & (p < p_max)
    per_loss = {
        name: {
            "supported": bool(loss_ok[k]),
            "argmax": [float(v) for v in arg[k]],
            "argmax_in_window": bool(in_window[k].all()),
            "barriers": [float(v) for v in barrier[k]],
            "mean_barrier": float(barrier[k].mean()),
            "t": float(t[k]) if math.isfinite(t[k]) else None,
            "p_value": float(p[k]),
        }
        for k, name in enumerate(losses)
    }
    return Decision(
        rule="interpolation_peak",
        statistic=float(barrier.mean(axis=1).min()),
        threshold=f"argmax in [{peak[0]:g}, {peak[1]:g}] in every seed and barrier > 0 "
        f"(one-sided t, p < {p_max:g}) for {' and '.join(losses)}",
        p_value=float(p.max()),
        supported=bool(loss_ok.all()),
        n_runs=len(seed_keys),
        details={"losses": per_loss, "seeds": [_py(s) for s in seed_keys]},
    )


# --------------------------------------------------------------------------------------------
# sensitivity-gap, sensitivity-accuracy
# --------------------------------------------------------------------------------------------


def kendall_trend(
    df: Table, x: str, y: str, direction: str = "increasing", alpha: float = 0.05
) -> Decision:
    """``sensitivity-gap`` / ``sensitivity-accuracy``: a one-sided Kendall trend over all runs.

    Rule: Kendall's tau-b(x, y) over all rows (one per (batch size, seed) run) is > 0 for
    ``direction="increasing"`` (< 0 for ``"decreasing"``) with the one-sided p-value of that
    direction below ``alpha`` (0.05). Statistic: tau. p: the one-sided p.
    """
    if direction not in ("increasing", "decreasing"):
        raise ValueError(f"direction must be 'increasing' or 'decreasing', got {direction!r}")
    xs = _column(df, x)
    ys = _column(df, y)
    if len(xs) != len(ys):
        raise ValueError(f"columns {x!r} and {y!r} differ in length")
    alternative = "greater" if direction == "increasing" else "less"
    tau, p = _kendall(xs, ys, alternative, f"tau({x}, {y})")
    sign_ok = tau > 0 if direction == "increasing" else tau < 0
    op = ">" if direction == "increasing" else "<"
    return Decision(
        rule="kendall_trend",
        statistic=tau,
        threshold=f"tau {op} 0, one-sided p < {alpha:g}",
        p_value=p,
        supported=bool(sign_ok and p < alpha),
        n_runs=len(xs),
        details={"x": x, "y": y, "direction": direction, "n": len(xs)},
    )


# ============================================================================================
# Beyond the homework (issue 7): label corruption, sharpness, mode connectivity, measures
# ============================================================================================
#
# - :func:`every_run_fits`: ``corruption-fit``
# - :func:`kendall_trend`: ``corruption-test-monotone`` (decreasing, alpha 0.01),
#   ``sharpness-batch`` and ``sharpness-gap`` (increasing, alpha 0.05)
# - :func:`censored_trend`: ``fit-time-grows``
# - :func:`lower_barrier`: ``shared-init-lower-barrier``
# - :func:`granulated_kendall`: ``sensitivity-granulated``, ``sharpness-granulated``


def every_run_fits(
    runs: Table, fitted: str = "fitted", epochs: str = "epochs_to_fit", group: str = "fraction"
) -> Decision:
    """``corruption-fit``: every run reaches 100% train accuracy within the training budget.

    Rule: supported iff ``fitted`` is true in every row (one row per (fraction, seed) run).
    Statistic: the fraction of runs that fitted. No p-value: the claim is about every run, and
    one run that never fits refutes it. ``details`` give, per ``group`` value, how many runs
    fitted and the latest epoch at which one did.
    """
    flags = _labels(runs, fitted)
    try:
        ok = np.asarray(flags, dtype=bool)
    except (TypeError, ValueError):  # pragma: no cover - _labels rejects missing values
        raise ValueError(f"column {fitted!r}: not boolean") from None
    if ok.size == 0:
        raise ValueError(f"column {fitted!r}: no data")
    keys = _labels(runs, group)
    ep = _column(runs, epochs)
    per_group = {}
    for k in np.unique(keys):
        sel = keys == k
        done = ep[sel & ok]
        per_group[str(_py(k))] = {
            "fitted": int(ok[sel].sum()),
            "runs": int(sel.sum()),
            "latest_fit_epoch": _py(done.max()) if done.size else None,
        }
    return Decision(
        rule="every_run_fits",
        statistic=float(ok.mean()),
        threshold="every run at 100% train accuracy within the budget (fraction fitted == 1)",
        p_value=None,
        supported=bool(ok.all()),
        n_runs=int(ok.size),
        details={"per_" + group: per_group, "runs_not_fitted": int((~ok).sum())},
    )


def censored_trend(
    runs: Table,
    x: str = "fraction",
    y: str = "epochs_to_fit",
    fitted: str = "fitted",
    direction: str = "increasing",
    alpha: float = 0.01,
) -> Decision:
    """``fit-time-grows``: :func:`kendall_trend` on a time that is censored at the budget.

    A run that never fitted carries ``y`` = budget + 1 (the experiment writes it so): its true
    time is later than every observed time, and a rank statistic needs nothing more. Censored
    runs tie with each other, which Kendall's tau-b accounts for. Same rule as
    :func:`kendall_trend` (tau in ``direction``, one-sided p < ``alpha``); ``details`` add the
    number of censored runs.
    """
    decision = kendall_trend(runs, x=x, y=y, direction=direction, alpha=alpha)
    ok = np.asarray(_labels(runs, fitted), dtype=bool)
    details = {**decision.details, "n_censored": int((~ok).sum())}
    return dataclasses.replace(decision, rule="censored_trend", details=details)


def _barriers(
    curve: Table, alpha_col: str, seed: str, losses: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Barriers max_{a in [0,1]} L(a) - max(L(0), L(1)), shape (losses, seeds), and the seeds."""
    grid, (alphas, seed_keys) = _seed_grid(curve, alpha_col, seed, list(losses), decimals=9)
    i0 = np.flatnonzero(np.abs(alphas) <= ALPHA_TOL)
    i1 = np.flatnonzero(np.abs(alphas - 1) <= ALPHA_TOL)
    if len(i0) != 1 or len(i1) != 1:
        raise ValueError(f"the {alpha_col} grid must contain the endpoints a = 0 and a = 1")
    inside = (alphas >= -ALPHA_TOL) & (alphas <= 1 + ALPHA_TOL)
    peak = grid[:, :, inside].max(axis=2)
    return peak - np.maximum(grid[:, :, i0[0]], grid[:, :, i1[0]]), seed_keys


def lower_barrier(
    curve: Table,
    group: str = "init",
    lower: str = "shared",
    higher: str = "independent",
    losses: Sequence[str] = ("train_loss", "test_loss"),
    alpha_col: str = "alpha",
    seed: str = "seed",
    p_max: float = 0.05,
) -> Decision:
    """``shared-init-lower-barrier``: the barrier is lower for ``lower`` than for ``higher``.

    For every seed and loss, the barrier b = max_{a in [0,1]} L(a) - max(L(0), L(1)) (Frankle
    et al. 2020) is computed on each group's curve (``group`` = ``lower`` or ``higher``; both
    curves of a seed share theta1, so the seeds are paired). The difference d = b_higher -
    b_lower is tested with a one-sided paired t-test across seeds (mean d > 0). All-zero
    differences give p = 1; identical nonzero differences in every seed are a ValueError (seeds
    that are not independent runs cannot be t-tested).

    Supported iff p < ``p_max`` for every loss in ``losses``. Statistic: the smaller of the mean
    differences (in nats). p: the larger p.
    """
    losses = list(losses)
    labels = _labels(curve, group)
    parts = {}
    for name in (lower, higher):
        sel = labels == name
        if not sel.any():
            raise ValueError(f"no {group} == {name!r} rows: both curves are needed")
        part = (
            curve[sel]
            if isinstance(curve, pd.DataFrame)
            else {k: np.asarray(v)[sel] for k, v in curve.items()}
        )
        parts[name] = _barriers(part, alpha_col, seed, losses)
    (b_low, s_low), (b_high, s_high) = parts[lower], parts[higher]
    if len(s_low) != len(s_high) or np.any(s_low != s_high):
        raise ValueError(
            f"the {lower} and {higher} curves must cover the same seeds (paired test); got "
            f"{[_py(s) for s in s_low]} and {[_py(s) for s in s_high]}"
        )
    diff = b_high - b_low
    t, p = _one_sided_t(diff, [f"{higher} - {lower} barrier ({loss})" for loss in losses])
    per_loss = {
        loss: {
            f"barriers_{lower}": [float(v) for v in b_low[k]],
            f"barriers_{higher}": [float(v) for v in b_high[k]],
            "mean_difference": float(diff[k].mean()),
            "t": _jf(t[k]),
            "p_value": float(p[k]),
            "supported": bool(p[k] < p_max),
        }
        for k, loss in enumerate(losses)
    }
    return Decision(
        rule="lower_barrier",
        statistic=float(diff.mean(axis=1).min()),
        threshold=f"barrier({higher}) - barrier({lower}) > 0, one-sided paired t across "
        f"seeds p < {p_max:g}, for {' and '.join(losses)}",
        p_value=float(p.max()),
        supported=bool(np.all(p < p_max)),
        n_runs=len(s_low),
        details={"losses": per_loss, "seeds": [_py(s) for s in s_low]},
    )


#: Permutations behind :func:`granulated_kendall`'s p-values, and their generator's fixed seed.
N_PERMUTATIONS = 9999
PERMUTATION_SEED = 20200212


def _tau_b_rows(m: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Kendall's tau-b of every row of ``m`` (P, k) with ``g`` (k,); 0 where undefined."""
    i, j = np.triu_indices(g.size, 1)
    dg = np.sign(g[i] - g[j])
    dm = np.sign(m[:, i] - m[:, j])
    s = dm @ dg
    denom = np.sqrt(np.count_nonzero(dm, axis=1) * float(np.count_nonzero(dg)))
    return np.divide(s, denom, out=np.zeros_like(s), where=denom > 0)


def _axis_groups(
    axes: dict[str, np.ndarray], axis: str, m: np.ndarray, g: np.ndarray
) -> list[np.ndarray]:
    """Row indices of every set of runs in which only ``axis`` varies (the others fixed), kept
    when it has >= 3 runs and >= 2 values of ``axis``; the observed tau must be defined there."""
    others = [axes[a] for a in axes if a != axis]
    keys = list(zip(*others, strict=True)) if others else [()] * len(m)
    found: dict[tuple, list[int]] = {}
    for row, key in enumerate(keys):
        found.setdefault(tuple(_py(k) for k in key), []).append(row)
    groups = []
    for key, rows in found.items():
        idx = np.asarray(rows)
        if idx.size < 3 or np.unique(axes[axis][idx]).size < 2:
            continue
        if np.all(m[idx] == m[idx][0]) or np.all(g[idx] == g[idx][0]):
            raise ValueError(
                f"{axis} axis at {key}: the measure or the gap is constant, Kendall tau is "
                "undefined"
            )
        groups.append(idx)
    if not groups:
        raise ValueError(
            f"no set of >= 3 runs in which only {axis!r} varies: the granulated tau of that "
            "axis is undefined"
        )
    return groups


def granulated_kendall(
    runs: Table,
    measure: str,
    target: str = "gap",
    axes: Sequence[str] = ("batch_size", "lr", "corruption"),
    alpha: float = 0.05,
    n_permutations: int = N_PERMUTATIONS,
    permutation_seed: int = PERMUTATION_SEED,
) -> Decision:
    """``sensitivity-granulated`` / ``sharpness-granulated``: Jiang et al. 2020's granulated tau.

    Definitions (one row per run; ``axes`` are hyperparameter columns):

    - Axis tau psi_a: for every set of runs in which only axis a varies (the other axes fixed at
      one combination of values, all seeds of those runs included; sets with < 3 runs or a
      single value of a are skipped), Kendall's tau-b(measure, target) over the set; psi_a is
      the mean over the sets. In a one-at-a-time grid there is one set per axis: the runs with
      the other axes at the base point.
    - Granulated tau: the mean of psi_a over the axes.
    - Overall tau: tau-b(measure, target) over all runs.

    p-values (one-sided, for tau > 0): a permutation test that shuffles the measure across all
    runs (the null: the measure is unrelated to the gap), ``n_permutations`` (9999) shuffles
    from a generator seeded with ``permutation_seed``, p = (1 + #{T_perm >= T_obs}) /
    (1 + n_permutations), for every axis, the granulated and the overall tau alike. Shuffling
    across all runs keeps the dependence of the axes' taus through the shared base runs.

    Rule: supported iff granulated tau > 0 and its p < ``alpha`` (0.05). Statistic: the
    granulated tau. ``details`` hold every axis' tau and p and the overall tau and p (the report
    draws its measures x axes table from them).
    """
    axes = list(axes)
    m = _column(runs, measure)
    g = _column(runs, target)
    columns = {a: _column(runs, a) for a in axes}
    if any(len(v) != len(m) for v in (g, *columns.values())):
        raise ValueError("columns differ in length")
    if m.size < 3:
        raise ValueError(f"Kendall tau needs at least 3 runs, got {m.size}")
    if np.all(m == m[0]) or np.all(g == g[0]):
        raise ValueError(f"{measure} or {target} is constant, Kendall tau is undefined")
    groups = {a: _axis_groups(columns, a, m, g) for a in axes}

    def statistics(mm: np.ndarray) -> np.ndarray:
        """(P, n_axes + 2): every axis' psi, the granulated tau, the overall tau."""
        psi = [
            np.mean([_tau_b_rows(mm[:, idx], g[idx]) for idx in groups[a]], axis=0) for a in axes
        ]
        return np.column_stack([*psi, np.mean(psi, axis=0), _tau_b_rows(mm, g)])

    observed = statistics(m[None, :])[0]
    rng = np.random.default_rng(permutation_seed)
    exceed = np.zeros(observed.size)
    chunk = max(1, 2_000_000 // max(1, m.size * m.size))
    done = 0
    while done < n_permutations:
        k = min(chunk, n_permutations - done)
        shuffled = m[rng.permuted(np.tile(np.arange(m.size), (k, 1)), axis=1)]
        exceed += (statistics(shuffled) >= observed - 1e-12).sum(axis=0)
        done += k
    p = (1.0 + exceed) / (1.0 + n_permutations)
    n_axes = len(axes)
    tau, p_gran = float(observed[n_axes]), float(p[n_axes])
    return Decision(
        rule="granulated_kendall",
        statistic=tau,
        threshold=f"granulated tau > 0, one-sided permutation p < {alpha:g}",
        p_value=p_gran,
        supported=bool(tau > 0 and p_gran < alpha),
        n_runs=int(m.size),
        details={
            "measure": measure,
            "target": target,
            "axes": {
                a: {
                    "tau": float(observed[k]),
                    "p_value": float(p[k]),
                    "runs": int(sum(idx.size for idx in groups[a])),
                    "sets": len(groups[a]),
                }
                for k, a in enumerate(axes)
            },
            "granulated": {"tau": tau, "p_value": p_gran},
            "overall": {"tau": float(observed[-1]), "p_value": float(p[-1]), "runs": int(m.size)},
            "n_permutations": int(n_permutations),
            "permutation_seed": int(permutation_seed),
        },
    )
