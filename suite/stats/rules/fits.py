"""Proportion claims about fitting: ``random-labels-fit`` and ``corruption-fit``.

"A network reaches 100% train accuracy" cannot be decided as a universal statement: a run that
misses one image would refute it, and no number of clean runs could support it (the measured
miss rate of the random-labels MLP, 3 of 200 seeds, makes "every seed" false yet unrefuted in
most small draws). So the claims are proportion claims: the share of seeds that fit is at least
``share`` (the claim record's P). Each seed is one Bernoulli draw; the share is decided by the
exact binomial test, whose inversion is the Clopper-Pearson interval:

- SUPPORTED: P(X >= x | n, P) < alpha, i.e. the one-sided 1 - alpha lower bound exceeds P;
- REFUTED: P(X <= x | n, P) < alpha, i.e. the upper bound lies below P;
- INCONCLUSIVE otherwise, with about how many seeds the observed share would need.

The test is exact at any n, so its false-positive rate at the margin (true share exactly P) is
at most alpha (``suite.stats.power``); it is conservative (discrete) at small n.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from suite.stats.rules._data import Table, column, finite, floats, labels, py
from suite.stats.verdicts import Decision, Verdict, verdict_from

#: Tolerance on an accuracy computed as correct / n (exactly 1.0 when every example is right).
ACC_TOL = 1e-12

#: The largest seed count ``seeds_needed`` looks at (beyond it: None, "cannot say").
MAX_SEEDS = 1000


def p_at_least(hits: int, n: int, share: float) -> float:
    """Exact one-sided p of "the success probability exceeds ``share``": P(X >= hits)."""
    return float(stats.binom.sf(hits - 1, n, share))


def p_at_most(hits: int, n: int, share: float) -> float:
    """Exact one-sided p of "the success probability is below ``share``": P(X <= hits)."""
    return float(stats.binom.cdf(hits, n, share))


def clopper_pearson(hits: int, n: int, alpha: float) -> tuple[float, float]:
    """The Clopper-Pearson interval with alpha in each tail (level 1 - 2 alpha): the bounds the
    two one-sided exact tests at ``alpha`` invert."""
    low = 0.0 if hits == 0 else float(stats.beta.ppf(alpha, hits, n - hits + 1))
    high = 1.0 if hits == n else float(stats.beta.ppf(1 - alpha, hits + 1, n - hits))
    return low, high


def share_seeds_needed(hits: int, n: int, share: float, alpha: float) -> int | None:
    """About how many seeds the observed share hits / n would need to be decided at ``alpha``:
    the smallest m at which round(m hits / n) successes reject in the observed direction."""
    rate = hits / n
    if math.isclose(rate, share):
        return None
    for m in range(n + 1, MAX_SEEDS + 1):
        x = round(m * rate)
        p = p_at_least(x, m, share) if rate > share else p_at_most(x, m, share)
        if p < alpha:
            return m
    return None


def _decide_share(
    what: str, hits: int, n: int, share: float, alpha: float
) -> tuple[Verdict, float, float, tuple[float, float], str]:
    p_sup, p_ref = p_at_least(hits, n, share), p_at_most(hits, n, share)
    verdict = verdict_from(p_sup, p_ref, alpha)
    interval = clopper_pearson(hits, n, alpha)
    bounds = f"{1 - 2 * alpha:.0%} Clopper-Pearson [{interval[0]:.3f}, {interval[1]:.3f}]"
    if verdict is Verdict.SUPPORTED:
        why = f"{hits} of {n} {what} fit: the share is shown above {share:g} ({bounds})"
    elif verdict is Verdict.REFUTED:
        why = f"{hits} of {n} {what} fit: the share is shown below {share:g} ({bounds})"
    else:
        why = f"{hits} of {n} {what} fit: too few to place the share against {share:g} ({bounds})"
    return verdict, p_sup, p_ref, interval, why


def _evidence(
    verdict: Verdict, interval: tuple[float, float], hits: int, n: int, share: float, alpha: float
) -> dict:
    """The interval, margin and (for INCONCLUSIVE) seeds needed that both fit rules report."""
    return {
        "interval": interval,
        "interval_level": 1 - 2 * alpha,
        "margin": share,
        "seeds_needed": None
        if verdict is not Verdict.INCONCLUSIVE
        else share_seeds_needed(hits, n, share, alpha),
    }


def seeds_at_full_accuracy(
    runs: Table, *, acc: str, share: float, alpha: float, seed: str = "seed"
) -> Decision:
    """``random-labels-fit``: at least ``share`` of the seeds end at 100% train accuracy.

    One row per seed (its final epoch). A seed fits when its accuracy is 1 up to rounding.
    Statistic: the share of seeds that fit; interval: Clopper-Pearson at 1 - 2 alpha.
    """
    a = finite(column(runs, acc), "train accuracy")
    seeds = labels(runs, seed)
    if len(np.unique(seeds)) != a.size:
        raise ValueError(f"one row per seed expected, got {a.size} rows")
    fit = a >= 1.0 - ACC_TOL
    hits, n = int(fit.sum()), int(a.size)
    verdict, p_sup, p_ref, interval, why = _decide_share("seeds", hits, n, share, alpha)
    return Decision(
        rule="seeds_at_full_accuracy",
        statistic=hits / n,
        threshold=f"share of seeds at 100% train accuracy > {share:g} (exact binomial, "
        f"p < {alpha:g})",
        p_value=p_sup,
        p_refute=p_ref,
        verdict=verdict,
        n_runs=n,
        n_seeds=n,
        reason=why,
        **_evidence(verdict, interval, hits, n, share, alpha),
        details={
            "per_seed": floats(a),
            "seeds": [py(s) for s in seeds],
            "seeds_fitted": hits,
            "share": share,
            "lowest_accuracy": float(a.min()),
        },
    )


def seeds_fitting_every_group(
    runs: Table,
    *,
    fitted: str,
    group: str,
    share: float,
    alpha: float,
    epochs: str = "epochs_to_fit",
    seed: str = "seed",
) -> Decision:
    """``corruption-fit``: at every ``group`` value (fraction of wrong labels), at least
    ``share`` of the seeds fit within the budget.

    Per group, the exact binomial test of its seeds' fitted share. SUPPORTED if every group is
    shown above ``share`` (an intersection-union test: no correction); REFUTED if some group is
    shown below it at alpha / number of groups (Bonferroni); INCONCLUSIVE otherwise. Statistic:
    the smallest per-group share; interval: that group's Clopper-Pearson interval.
    """
    ok = np.asarray(labels(runs, fitted), dtype=bool)
    keys = labels(runs, group)
    ep = column(runs, epochs) if epochs in runs else np.full(ok.size, np.nan)
    n_seeds = len(np.unique(labels(runs, seed)))
    groups = np.unique(keys)
    per_group, p_sup, p_ref = {}, [], []
    for k in groups:
        sel = keys == k
        hits, n = int(ok[sel].sum()), int(sel.sum())
        done = ep[sel & ok]
        p_sup.append(p_at_least(hits, n, share))
        p_ref.append(p_at_most(hits, n, share))
        per_group[str(py(k))] = {
            "fitted": hits,
            "runs": n,
            "latest_fit_epoch": py(np.nanmax(done)) if np.isfinite(done).any() else None,
        }
    fitted_per_seed = {str(py(k)): [float(v) for v in ok[keys == k]] for k in groups}
    shares = np.array([v["fitted"] / v["runs"] for v in per_group.values()])
    worst = int(np.argmin(shares))
    worst_key = list(per_group)[worst]
    hits, n = per_group[worst_key]["fitted"], per_group[worst_key]["runs"]
    p_support = float(max(p_sup))
    p_refute = float(min(1.0, min(p_ref) * len(groups)))
    verdict = verdict_from(p_support, p_refute, alpha)
    interval = clopper_pearson(hits, n, alpha)
    if verdict is Verdict.SUPPORTED:
        why = f"every {group} fits in more than {share:g} of the seeds"
    elif verdict is Verdict.REFUTED:
        k = list(per_group)[int(np.argmin(p_ref))]
        g = per_group[k]
        why = f"{group} {k}: {g['fitted']} of {g['runs']} seeds fit, shown below {share:g}"
    else:
        why = (
            f"{group} {worst_key}: {hits} of {n} seeds fit, too few to place the share against "
            f"{share:g}"
        )
    return Decision(
        rule="seeds_fitting_every_group",
        statistic=float(shares.min()),
        threshold=f"share of seeds fitting within the budget > {share:g} at every {group} "
        f"(exact binomial, p < {alpha:g} each)",
        p_value=p_support,
        p_refute=p_refute,
        verdict=verdict,
        n_runs=int(ok.size),
        n_seeds=n_seeds,
        reason=why,
        **_evidence(verdict, interval, hits, n, share, alpha),
        details={
            "per_" + group: per_group,
            "runs_not_fitted": int((~ok).sum()),
            "share": share,
            # each run's 0/1 outcome per group (one run per seed): what two runs compare
            "fitted_per_seed": fitted_per_seed,
        },
    )
