"""One arm against another within each seed: "treatment lowers (or raises) y by at least m".

The seed is the unit: each seed trains both arms (same images, same batch order where the
experiment pairs them), so the per-seed difference removes what the seed shares, and the
test is a one-sided t across seeds, as every other rule here.
"""

from __future__ import annotations

import pandas as pd

from suite.stats.rules._data import Table, finite, floats, need_seeds, py
from suite.stats.rules.significance import t_greater, t_interval, t_less, t_seeds_needed
from suite.stats.verdicts import Decision, Verdict, verdict_from


def seed_difference(
    runs: Table,
    *,
    arm: str,
    control: object,
    treatment: object,
    y: str,
    lowers: bool,
    margin: float,
    alpha: float,
    seed: str = "seed",
) -> Decision:
    """Does ``treatment`` move ``y`` below (``lowers``) or above the ``control`` arm by more
    than ``margin``, within seeds?

    ``runs``: one row per (seed, arm value). Per seed, d = y(control) - y(treatment) when
    ``lowers`` (else the reverse). SUPPORTED when a one-sided t across seeds shows mean d >
    ``margin`` at ``alpha``; REFUTED when it shows mean d < ``margin`` (the effect, if any, is
    smaller than the smallest one of interest); INCONCLUSIVE otherwise, with ``seeds_needed``
    toward the side the observed mean lies on.
    Statistic: the mean per-seed difference, with its 1 - 2 alpha t interval.
    """
    if control == treatment:
        raise ValueError(f"control and treatment are one arm ({control!r}): nothing to compare")
    table = pd.DataFrame({k: runs[k] for k in (seed, arm, y)})
    keys = list(pd.unique(table[arm]))
    missing = [a for a in (control, treatment) if a not in keys]
    if missing:
        raise ValueError(f"no runs with {arm} = {missing[0]!r} (arms: {keys})")
    if table.duplicated([seed, arm]).any():
        raise ValueError(f"duplicate ({seed}, {arm}) rows")
    wide = table.pivot(index=seed, columns=arm, values=y)[[control, treatment]]
    if wide.isna().any().any():
        raise ValueError(f"a seed lacks one of the arms {control!r}, {treatment!r}")
    c = finite(wide[control].to_numpy(), y)
    t = finite(wide[treatment].to_numpy(), y)
    d = c - t if lowers else t - c
    seeds, n = list(wide.index), len(wide)
    need_seeds(n, f"{y} difference between {arm} {control!r} and {treatment!r}", least=2)
    p_sup, p_ref = t_greater(d, margin), t_less(d, margin)
    verdict = verdict_from(p_sup, p_ref, alpha)
    needed = None
    if verdict is Verdict.INCONCLUSIVE and n > 1:  # toward whichever side the mean lies
        needed = t_seeds_needed(float(d.mean()), float(d.std(ddof=1)), alpha, margin)
    word = "lowers" if lowers else "raises"
    return Decision(
        rule="seed_difference",
        statistic=float(d.mean()),
        threshold=f"{arm} {treatment!r} {word} {y} against {control!r} by > {margin:g} "
        f"(mean per-seed difference, one-sided t across seeds), p < {alpha:g}",
        p_value=p_sup,
        p_refute=p_ref,
        verdict=verdict,
        n_runs=2 * n,
        n_seeds=n,
        reason=f"mean per-seed difference {d.mean():.3g} (margin {margin:g})",
        details={"difference": floats(d), "seeds": [py(s) for s in seeds], "margin": margin},
        interval=t_interval(d, alpha) if n > 1 else None,
        interval_level=1 - 2 * alpha,
        margin=margin,
        seeds_needed=needed,
    )


__all__ = ["seed_difference"]
