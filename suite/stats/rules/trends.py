"""Trend claims, tested within each seed: the seed is the unit of evidence.

The runs of one seed (its ten widths, ten batch sizes, six corruption levels) share an
initialization and a batch order; pooling them as independent rows lets anything a seed
shares across its rows look like a trend (a simulation with seed effects correlated 0.8
between x and y gave 21-53% false positives instead of 5%). Every rule here compares rows of
the same seed only (:func:`~suite.stats.rules.significance.stratified_kendall`) or tests per-seed
statistics across seeds (t-tests with the seeds as observations).

- :func:`within_seed_trend`: ``sensitivity-gap``, ``sensitivity-accuracy``,
  ``corruption-test-monotone``, ``sharpness-batch``, ``sharpness-gap``
- :func:`censored_trend`: ``fit-time-grows``
- :func:`monotone_in_width`: ``width-monotone``
- :func:`overfits`: ``random-labels-overfit``
"""

from __future__ import annotations

import dataclasses

import numpy as np

from suite.stats.rules._data import (
    Table,
    by_seed,
    collapsed,
    floats,
    labels,
    need_seeds,
    py,
    seed_grid,
)
from suite.stats.rules.significance import stratified_kendall, t_greater, t_less
from suite.stats.verdicts import Decision, Verdict, verdict_from

DIRECTIONS = ("increasing", "decreasing")


def within_seed_trend(
    runs: Table,
    x: str,
    y: str,
    direction: str = "increasing",
    alpha: float = 0.05,
    seed: str = "seed",
    keys: tuple[str, ...] = (),
) -> Decision:
    """Kendall's tau between ``x`` and ``y`` within each seed, stratified over seeds.

    SUPPORTED if the stratified test in ``direction`` gives p < alpha; REFUTED if the test in
    the opposite direction does; INCONCLUSIVE otherwise. Statistic: the mean within-seed
    tau-b. Runs whose train accuracy is at chance are flagged in ``details["collapsed"]`` (by
    ``keys``) and kept.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    seeds, pairs = by_seed(runs, x, y, seed)
    need_seeds(len(seeds), f"within-seed trend of {y} in {x}")
    k = stratified_kendall(pairs)
    up = direction == "increasing"
    p_sup, p_ref = (k.p_increasing, k.p_decreasing) if up else (k.p_decreasing, k.p_increasing)
    op = ">" if up else "<"
    return Decision(
        rule="within_seed_trend",
        statistic=k.tau,
        threshold=f"tau({x}, {y}) {op} 0 within seeds (stratified Kendall), one-sided p < "
        f"{alpha:g}",
        p_value=p_sup,
        p_refute=p_ref,
        verdict=verdict_from(p_sup, p_ref, alpha),
        n_runs=sum(len(p[0]) for p in pairs),
        n_seeds=len(seeds),
        reason=f"stratified Kendall S = {k.s:.0f}, z = {k.z:.2f}",
        details={
            "x": x,
            "y": y,
            "direction": direction,
            "per_seed_tau": k.taus,
            "seeds": [py(s) for s in seeds],
            "S": k.s,
            "variance": k.variance,
            "z": k.z,
            "collapsed": collapsed(runs, (seed, *keys)),
        },
    )


def censored_trend(
    runs: Table,
    x: str = "fraction",
    y: str = "epochs_to_fit",
    fitted: str = "fitted",
    direction: str = "increasing",
    alpha: float = 0.01,
    seed: str = "seed",
) -> Decision:
    """``fit-time-grows``: :func:`within_seed_trend` on a time censored at the budget.

    A run that never fitted carries ``y`` = budget + 1 (the experiment writes it so): its true
    time is later than every observed one, and a rank statistic needs nothing more. Censored
    runs of a seed tie with each other, which the tie-corrected variance accounts for.
    """
    decision = within_seed_trend(runs, x=x, y=y, direction=direction, alpha=alpha, seed=seed)
    ok = np.asarray(labels(runs, fitted), dtype=bool)
    details = {**decision.details, "n_censored": int((~ok).sum())}
    return dataclasses.replace(decision, rule="censored_trend", details=details)


def monotone_in_width(
    runs: Table,
    x: str = "params",
    y: str = "test_acc",
    group: str = "width",
    seed: str = "seed",
    alpha: float = 0.01,
    margin: float = 0.005,
    ni_alpha: float = 0.05,
) -> Decision:
    """``width-monotone``: y rises with x, and no group is worse than the previous by > margin.

    Both parts, with the seed as the unit:

    1. Trend: Kendall's tau(x, y) within each seed over the groups (widths), stratified over
       seeds, one-sided p < ``alpha``.
    2. Non-inferiority of consecutive groups: for each group k after the first, the per-seed
       difference d_s = y(k, s) - y(k-1, s) (paired: the same seed) has mean > -margin by a
       one-sided t-test across seeds, p < ``ni_alpha``. All pairs must pass: an
       intersection-union test, whose level is that of each part, so no correction.

    SUPPORTED if both hold. REFUTED if the trend is shown the other way (p < alpha), or some
    pair is shown worse than -margin (one-sided t, p < ni_alpha / number of pairs, Bonferroni
    over the pairs). INCONCLUSIVE otherwise. Consecutive pairs, rather than each width against
    the best narrower one, because the latter's maximum selects the luckiest width and needs a
    selection-corrected test, which with a handful of seeds has little power
    (``suite.stats.power``). Statistic: the mean within-seed tau.
    """
    grid, groups, seeds = seed_grid(runs, group, seed, [y, x])
    groups = groups.astype(labels(runs, group).dtype)  # widths as given (ints), not floats
    acc, size = grid[0], grid[1]
    n_seeds = len(seeds)
    need_seeds(n_seeds, "width-monotone")
    if len(groups) < 3:
        raise ValueError(f"need at least 3 {group} values, got {len(groups)}")
    order = np.argsort(size.mean(axis=0), kind="stable")
    acc, size, groups = acc[:, order], size[:, order], groups[order]
    k = stratified_kendall(list(zip(size, acc, strict=True)))
    diffs = acc[:, 1:] - acc[:, :-1]
    p_ni = np.array([t_greater(d, -margin) for d in diffs.T])
    p_worse = np.array([t_less(d, -margin) for d in diffs.T])
    n_pairs = len(p_ni)
    trend_ok = k.p_increasing < alpha
    ni_ok = bool(np.all(p_ni < ni_alpha))
    if trend_ok and ni_ok:
        verdict, reason = Verdict.SUPPORTED, "trend shown and every width non-inferior"
    elif k.p_decreasing < alpha or np.any(p_worse * n_pairs < ni_alpha):
        verdict = Verdict.REFUTED
        worst = int(np.argmin(p_worse))
        reason = (
            "test accuracy falls with width"
            if k.p_decreasing < alpha
            else f"{group} {py(groups[worst + 1])} is worse than {py(groups[worst])} by more "
            f"than {margin:g} (p {p_worse[worst] * n_pairs:.3g}, Bonferroni)"
        )
    else:
        verdict = Verdict.INCONCLUSIVE
        failing = [py(groups[i + 1]) for i in np.flatnonzero(p_ni >= ni_alpha)]
        reason = (
            f"no trend shown (p {k.p_increasing:.3g})"
            if not trend_ok
            else f"non-inferiority within {margin:g} not shown for {group} {failing}"
        )
    return Decision(
        rule="monotone_in_width",
        statistic=k.tau,
        threshold=f"within-seed tau > 0 (p < {alpha:g}) and every {group} non-inferior to the "
        f"previous by {margin:g} (paired t, p < {ni_alpha:g})",
        p_value=k.p_increasing,
        p_refute=min(k.p_decreasing, float(p_worse.min() * n_pairs)),
        verdict=verdict,
        n_runs=int(acc.size),
        n_seeds=n_seeds,
        reason=reason,
        details={
            "groups": [py(g) for g in groups],
            "per_seed_tau": k.taus,
            "trend_p": k.p_increasing,
            "mean_difference": floats(diffs.mean(axis=0)),
            "p_non_inferior": floats(p_ni),
            "p_worse_than_margin": floats(p_worse),
            "margin": margin,
            "collapsed": collapsed(runs, (seed, group)),
        },
    )


def overfits(
    curves: Table,
    x: str = "epoch",
    test: str = "test_loss",
    train: str = "train_loss",
    seed: str = "seed",
    margin: float = 0.1,
    alpha: float = 0.01,
) -> Decision:
    """``random-labels-overfit``: per seed, test loss ends above its minimum while train loss falls.

    Per seed, from its own curve (epochs of one curve are never independent observations): the
    rise r = final test loss - test loss at the minimum epoch, and the fall f = train loss at
    that epoch - final train loss, where the minimum epoch is that of the mean test-loss curve
    of the other seeds (so the epoch is not chosen on the noise it is then compared with).
    Across seeds: one-sided t-tests of mean r > margin (the margin, the smallest rise of
    interest in nats, keeps a noisy flat curve from passing) and of mean f > 0. SUPPORTED if
    both give p < alpha; REFUTED if the rise is shown below the margin or the train loss shown
    to rise (p < alpha, Bonferroni over the two); INCONCLUSIVE otherwise. Statistic: mean rise
    (nats).
    """
    grid, epochs, seeds = seed_grid(curves, x, seed, [test, train])
    te, tr = grid
    need_seeds(len(seeds), "random-labels-overfit")
    # Each seed's minimum is located on the mean curve of the *other* seeds: a seed's own
    # minimum undershoots its noisy plateau, which biases the rise upwards (simulated: 7% false
    # positives at 3 seeds, 17% at 5, at alpha 0.01); an epoch chosen on independent seeds
    # does not (1%).
    others = (te.sum(axis=0, keepdims=True) - te) / (len(seeds) - 1)
    i_min = others.argmin(axis=1)
    rows = np.arange(len(seeds))
    rise = te[:, -1] - te[rows, i_min]
    fall = tr[rows, i_min] - tr[:, -1]
    p_rise, p_fall = t_greater(rise, margin), t_greater(fall, 0.0)
    p_sup = max(p_rise, p_fall)
    p_ref = min(1.0, 2 * min(t_less(rise, margin), t_less(fall, 0.0)))
    return Decision(
        rule="overfits",
        statistic=float(rise.mean()),
        threshold=f"mean rise of test loss after its minimum > {margin:g} nats and train loss "
        f"falls over the same epochs, one-sided t across seeds, p < {alpha:g}",
        p_value=p_sup,
        p_refute=p_ref,
        verdict=verdict_from(p_sup, p_ref, alpha),
        n_runs=len(seeds),
        n_seeds=len(seeds),
        reason=f"mean rise {rise.mean():.3g} nats, mean train fall {fall.mean():.3g} nats",
        details={
            "min_epoch": [py(epochs[i]) for i in i_min],
            "rise": floats(rise),
            "fall": floats(fall),
            "p_rise": p_rise,
            "p_fall": p_fall,
            "margin": margin,
        },
    )
