"""Claims about the line between two solutions: ``interpolation-peak``,
``shared-init-lower-barrier``.

The barrier follows Frankle et al. 2020: on theta(a) = (1-a) theta1 + a theta2, the error
barrier is max over a in [0, 1] of the error minus the mean of the two endpoint errors, in
percentage points; "linearly connected" means a barrier below 2 points. (A loss barrier above
the larger endpoint is >= 0 by construction, so a t-test of it against 0 passes on any small
bump; a margin makes the test mean something.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from suite.stats.rules._data import Table, floats, labels, need_seeds, py, rows, seed_grid
from suite.stats.rules.significance import t_greater, t_less
from suite.stats.verdicts import Decision, Verdict, verdict_from

#: Tolerance on interpolation coefficients (grids come from ``np.linspace``).
ALPHA_TOL = 1e-9


def _inside(alphas: np.ndarray) -> np.ndarray:
    return (alphas >= -ALPHA_TOL) & (alphas <= 1 + ALPHA_TOL)


def _endpoints(alphas: np.ndarray, alpha_col: str) -> tuple[int, int]:
    i0 = np.flatnonzero(np.abs(alphas) <= ALPHA_TOL)
    i1 = np.flatnonzero(np.abs(alphas - 1) <= ALPHA_TOL)
    if len(i0) != 1 or len(i1) != 1:
        raise ValueError(f"the {alpha_col} grid must contain the endpoints a = 0 and a = 1")
    return int(i0[0]), int(i1[0])


def error_barriers(
    curve: Table, accs: Sequence[str], alpha_col: str = "alpha", seed: str = "seed"
) -> tuple[np.ndarray, np.ndarray]:
    """Error barriers in points, shape (len(accs), n_seeds), and the seeds.

    Error = 100 (1 - accuracy); barrier = max over a in [0, 1] of the error minus the mean of
    the errors at a = 0 and a = 1.
    """
    grid, alphas, seeds = seed_grid(curve, alpha_col, seed, list(accs), decimals=9)
    i0, i1 = _endpoints(alphas, alpha_col)
    err = 100.0 * (1.0 - grid)
    return err[:, :, _inside(alphas)].max(axis=2) - (err[:, :, i0] + err[:, :, i1]) / 2, seeds


def interpolation_peak(
    curve: Table,
    losses: Sequence[str] = ("train_loss", "test_loss"),
    accs: Sequence[str] = ("train_acc", "test_acc"),
    window: tuple[float, float] = (0.3, 0.7),
    margin: float = 2.0,
    alpha: float = 0.05,
    alpha_col: str = "alpha",
    seed: str = "seed",
) -> Decision:
    """``interpolation-peak``: the loss peaks near a = 0.5 with an error barrier above margin.

    Per seed and per loss, the argmax over a in [0, 1] must lie in ``window``; per seed and per
    error (train, test), the error barrier is tested across seeds against ``margin`` points
    (one-sided t). SUPPORTED if every argmax lies in the window and every barrier's mean is
    shown above the margin (p < alpha; an intersection-union test). REFUTED if a barrier is
    shown below the margin (linearly connected; p < alpha, Bonferroni over the errors) or a
    loss peaks outside the window in every seed. INCONCLUSIVE otherwise. Statistic: the smaller
    mean error barrier (points).
    """
    grid, alphas, seeds = seed_grid(curve, alpha_col, seed, list(losses), decimals=9)
    need_seeds(len(seeds), "interpolation-peak")
    _endpoints(alphas, alpha_col)
    inside = _inside(alphas)
    a_in = alphas[inside]
    argmax = a_in[grid[:, :, inside].argmax(axis=2)]  # (losses, seeds)
    in_window = (argmax >= window[0] - ALPHA_TOL) & (argmax <= window[1] + ALPHA_TOL)
    barrier, _ = error_barriers(curve, accs, alpha_col, seed)
    p_above = np.array([t_greater(b, margin) for b in barrier])
    p_below = np.array([t_less(b, margin) for b in barrier])
    p_sup = float(p_above.max()) if in_window.all() else 1.0
    p_ref = float(min(1.0, p_below.min() * len(accs)))
    verdict = verdict_from(p_sup, p_ref, alpha)
    nowhere = [losses[k] for k in range(len(losses)) if not in_window[k].any()]
    if verdict is Verdict.INCONCLUSIVE and nowhere:
        verdict = Verdict.REFUTED
    if verdict is Verdict.SUPPORTED:
        reason = "peak in the window in every seed, barrier above the margin"
    elif verdict is Verdict.REFUTED:
        reason = (
            f"{' and '.join(nowhere)} peak outside {list(window)} in every seed"
            if nowhere and p_ref >= alpha
            else f"error barrier shown below {margin:g} points: linearly connected"
        )
    else:
        missed = int((~in_window).sum())
        reason = (
            f"{missed} (loss, seed) peaks outside the window"
            if missed
            else f"error barrier not shown above {margin:g} points (p {p_above.max():.3g})"
        )
    per = {
        name: {"argmax": floats(argmax[k]), "in_window": bool(in_window[k].all())}
        for k, name in enumerate(losses)
    }
    per.update(
        {
            name: {
                "barrier_points": floats(barrier[k]),
                "mean": float(barrier[k].mean()),
                "p_above_margin": float(p_above[k]),
                "p_below_margin": float(p_below[k]),
            }
            for k, name in enumerate(accs)
        }
    )
    return Decision(
        rule="interpolation_peak",
        statistic=float(barrier.mean(axis=1).min()),
        threshold=f"argmax in [{window[0]:g}, {window[1]:g}] in every seed and error barrier > "
        f"{margin:g} points (one-sided t, p < {alpha:g})",
        p_value=p_sup,
        p_refute=p_ref,
        verdict=verdict,
        n_runs=len(seeds),
        n_seeds=len(seeds),
        reason=reason,
        details={"per_curve": per, "seeds": [py(s) for s in seeds], "margin": margin},
    )


def lower_barrier(
    curve: Table,
    group: str = "init",
    lower: str = "shared",
    higher: str = "independent",
    accs: Sequence[str] = ("train_acc", "test_acc"),
    alpha: float = 0.05,
    alpha_col: str = "alpha",
    seed: str = "seed",
) -> Decision:
    """``shared-init-lower-barrier``: the error barrier is lower for ``lower`` than ``higher``.

    Both curves of a seed share theta1, so the seeds are paired: d_s = barrier_higher -
    barrier_lower per seed and error. SUPPORTED if mean d > 0 for every error (one-sided t
    across seeds, p < alpha); REFUTED if mean d < 0 is shown for some error (p < alpha,
    Bonferroni over the errors); INCONCLUSIVE otherwise. Statistic: the smaller mean d (points).
    """
    keys = labels(curve, group)
    parts = {}
    for name in (lower, higher):
        sel = keys == name
        if not sel.any():
            raise ValueError(f"no {group} == {name!r} rows: both curves are needed")
        parts[name] = error_barriers(rows(curve, sel), accs, alpha_col, seed)
    (b_low, s_low), (b_high, s_high) = parts[lower], parts[higher]
    if len(s_low) != len(s_high) or np.any(s_low != s_high):
        raise ValueError(f"the {lower} and {higher} curves must cover the same seeds (paired)")
    need_seeds(len(s_low), "shared-init-lower-barrier")
    diff = b_high - b_low
    p_sup = max(t_greater(d) for d in diff)
    p_ref = min(1.0, min(t_less(d) for d in diff) * len(accs))
    return Decision(
        rule="lower_barrier",
        statistic=float(diff.mean(axis=1).min()),
        threshold=f"error barrier({higher}) - barrier({lower}) > 0 points, paired one-sided t "
        f"across seeds, p < {alpha:g}",
        p_value=float(p_sup),
        p_refute=float(p_ref),
        verdict=verdict_from(p_sup, p_ref, alpha),
        n_runs=len(s_low),
        n_seeds=len(s_low),
        reason=f"mean differences {', '.join(f'{d:.3g}' for d in diff.mean(axis=1))} points",
        details={
            name: {
                f"barrier_{lower}": floats(b_low[k]),
                f"barrier_{higher}": floats(b_high[k]),
                "mean_difference": float(diff[k].mean()),
            }
            for k, name in enumerate(accs)
        },
    )
