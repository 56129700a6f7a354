"""``sensitivity-granulated``, ``sharpness-granulated``: a measure ranks runs by their gap within
each hyperparameter axis (Jiang et al. 2020).

The statement says "within each axis", so the rule tests each axis and asks all of them to
hold (an intersection-union test); Jiang et al.'s granulated tau (the mean over axes) is the
statistic shown. Within an axis the comparison is within a seed too: the strata are the sets
of runs of one seed in which only that axis varies (the other axes fixed at one combination).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from suite.stats.rules._data import Table, column, labels, need_seeds, py
from suite.stats.rules.significance import stratified_kendall
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
    alpha: float = 0.05,
    seed: str = "seed",
) -> Decision:
    """Kendall's tau(measure, target) > 0 within seeds along every axis.

    Per axis: the stratified Kendall test (strata: :func:`axis_strata`), one-sided. SUPPORTED
    if every axis gives p < alpha; REFUTED if some axis shows the opposite, p < alpha / number
    of axes (Bonferroni); INCONCLUSIVE otherwise. Statistic: the granulated tau, the mean over
    axes of each axis' mean within-seed tau.
    """
    axes = list(axes)
    m, g = column(runs, measure), column(runs, target)
    cols = {a: column(runs, a) for a in axes}
    seeds = labels(runs, seed)
    need_seeds(len(np.unique(seeds)), f"{measure} within each axis")
    per_axis = {}
    for a in axes:
        strata = axis_strata(cols, a, seeds)
        k = stratified_kendall([(m[r], g[r]) for r in strata])
        per_axis[a] = {
            "tau": k.tau,
            "p_positive": k.p_increasing,
            "p_negative": k.p_decreasing,
            "strata": len(strata),
            "runs": int(sum(r.size for r in strata)),
        }
    p_sup = max(v["p_positive"] for v in per_axis.values())
    worst = min(per_axis, key=lambda a: per_axis[a]["p_negative"])
    p_ref = min(1.0, per_axis[worst]["p_negative"] * len(axes))
    if p_sup < alpha:
        verdict, reason = Verdict.SUPPORTED, "positive within every axis"
    elif p_ref < alpha:
        verdict, reason = Verdict.REFUTED, f"negative along {worst}"
    else:
        verdict = Verdict.INCONCLUSIVE
        weak = [a for a, v in per_axis.items() if v["p_positive"] >= alpha]
        reason = f"not shown positive along {', '.join(weak)}"
    tau = float(np.mean([v["tau"] for v in per_axis.values()]))
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
        details={"measure": measure, "target": target, "axes": per_axis, "granulated_tau": tau},
    )
