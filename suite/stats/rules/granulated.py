"""``sensitivity-granulated``, ``sharpness-granulated``: a measure ranks runs by their gap within
each hyperparameter axis (Jiang et al. 2020).

The statement says "within each axis", so the rule tests each axis and asks all of them to
hold (an intersection-union test); Jiang et al.'s granulated tau (the mean over axes) is the
statistic shown. Within an axis the comparison is within a seed too: the strata are the sets
of runs of one seed in which only that axis varies (the other axes fixed at one combination);
the strata of one seed are one observation (their S summed) in the t across seeds of
:func:`~suite.stats.rules.significance.stratified_kendall`. On the ci grid (4 values an axis)
the per-seed S takes 7 values; its continuity correction keeps the exact null rate of each
axis at or below alpha (enumerated, 3-7 seeds: at most 0.041 at 0.05, 0.0098 at 0.01).
``alpha`` has no default: the catalog fixes it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from suite.stats.rules._data import Table, column, floats, labels, need_seeds, py
from suite.stats.rules.significance import stratified_kendall, t_interval
from suite.stats.verdicts import Decision, Verdict


def axis_strata(axes: dict[str, np.ndarray], axis: str, seeds: np.ndarray) -> list[np.ndarray]:
    """Row indices of every (other axes fixed, seed) set with >= 3 runs and >= 2 axis values."""
    others = [axes[a] for a in axes if a != axis]
    found: dict[tuple, list[int]] = {}
    for row in range(len(seeds)):
        key = (py(seeds[row]), *(py(o[row]) for o in others))
        found.setdefault(key, []).append(row)
    strata = [np.asarray(r) for r in found.values()]
    strata = [r for r in strata if r.size >= 3 and np.unique(axes[axis][r]).size >= 2]
    if not strata:
        raise ValueError(f"no seed has >= 3 runs in which only {axis!r} varies")
    return strata


def within_each_axis(
    runs: Table,
    measure: str,
    target: str = "gap",
    axes: Sequence[str] = ("batch_size", "lr", "corruption"),
    *,
    alpha: float,
    seed: str = "seed",
) -> Decision:
    """Kendall's tau(measure, target) > 0 within seeds along every axis.

    Per axis: the stratified Kendall test (strata: :func:`axis_strata`), one-sided. SUPPORTED
    if every axis gives p < alpha; REFUTED if some axis shows the opposite, p < alpha / number
    of axes (Bonferroni); INCONCLUSIVE otherwise. Statistic: the granulated tau, the mean over
    axes of each axis' mean within-seed tau; its interval: the 1 - 2 alpha t interval of the
    per-seed granulated tau (each seed's mean over axes of its within-axis tau-b). Each axis
    carries its own interval in ``details``; ``seeds_needed`` (INCONCLUSIVE) is the most any
    axis not yet shown positive needs, None where one leans negative.
    """
    axes = list(axes)
    m, g = column(runs, measure), column(runs, target)
    cols = {a: column(runs, a) for a in axes}
    seeds = labels(runs, seed)
    need_seeds(len(np.unique(seeds)), f"{measure} within each axis")
    per_axis: dict[str, dict] = {}
    per_seed_tau: dict[str, dict] = {}
    kendalls = {}
    for a in axes:
        strata = axis_strata(cols, a, seeds)
        units = [py(seeds[r[0]]) for r in strata]  # the seed of each stratum
        k = stratified_kendall([(m[r], g[r]) for r in strata], units=units)
        per_seed_tau[a] = dict(zip(dict.fromkeys(units), k.taus, strict=True))
        kendalls[a] = k
        per_axis[a] = {
            "tau": k.tau,
            "interval": k.tau_interval(alpha),
            "reference": k.reference,
            "p_positive": k.p_increasing,
            "p_negative": k.p_decreasing,
            "strata": len(strata),
            "runs": int(sum(r.size for r in strata)),
        }
    p_sup = max(v["p_positive"] for v in per_axis.values())
    worst = min(per_axis, key=lambda a: per_axis[a]["p_negative"])
    p_ref = min(1.0, per_axis[worst]["p_negative"] * len(axes))
    weak = [a for a, v in per_axis.items() if v["p_positive"] >= alpha]
    if p_sup < alpha:
        verdict, reason = Verdict.SUPPORTED, "positive within every axis"
    elif p_ref < alpha:
        verdict, reason = Verdict.REFUTED, f"negative along {worst}"
    else:
        verdict = Verdict.INCONCLUSIVE
        reason = f"not shown positive along {', '.join(weak)}"
    tau = float(np.mean([v["tau"] for v in per_axis.values()]))
    common = sorted(set.intersection(*(set(v) for v in per_seed_tau.values())), key=str)
    granulated = np.array([np.mean([per_seed_tau[a][s] for a in axes]) for s in common])
    interval = t_interval(granulated, alpha) if granulated.size > 1 else None
    seeds_needed = None
    if verdict is Verdict.INCONCLUSIVE:
        weak_k = [kendalls[a] for a in weak]
        if all(k.tau > 0 for k in weak_k):
            need = [k.seeds_needed(alpha) for k in weak_k]
            seeds_needed = None if any(n is None for n in need) else max(need)  # type: ignore[type-var]
    return Decision(
        rule="within_each_axis",
        statistic=tau,
        threshold=f"tau({measure}, {target}) > 0 within seeds along every axis, one-sided "
        f"p < {alpha:g} each",
        p_value=p_sup,
        p_refute=p_ref,
        verdict=verdict,
        n_runs=int(m.size),
        n_seeds=len(np.unique(seeds)),
        reason=reason,
        details={
            "measure": measure,
            "target": target,
            "axes": per_axis,
            "granulated_tau": tau,
            "per_seed_tau": floats(granulated),  # each seed's mean over axes
        },
        interval=interval,
        interval_level=1 - 2 * alpha,
        seeds_needed=seeds_needed,
    )
