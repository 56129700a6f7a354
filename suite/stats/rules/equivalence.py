"""``random-labels-chance``: a claim of *no* effect, decided by an equivalence test.

A failure to reject "the model is above chance" is not evidence that it is at chance (noisier
data would pass more easily). The claim is shown when the mean offset from chance lies within
+-margin by two one-sided tests (TOST), and refuted when it is shown to lie outside.

The same offset in every seed decides nothing (INCONCLUSIVE, "no evidence of its spread"):
the t of a zero sd gave p = 0 before, so seeds that were one draw would have shown the claim.
The decision carries the TOST's 1 - 2 alpha interval of the mean offset, the margin, and for
an INCONCLUSIVE outcome about how many seeds the observed mean and sd would need.

Simulated at the margin (offset exactly +-0.02, offsets' sd 0.010, accuracy-reference
correlation 0 / 0.3 / 0.55 / 0.6 or seeds' spread 3x; 2000 draws a row, 2 SE = 0.010), at 3 /
5 / 10 / 20 seeds: P(SUPPORTED) 0.037-0.057, P(REFUTED) 0.015-0.031 (``suite.stats.power``).
Power at offset 0: 0.59 / 0.96 / 1.00 / 1.00.
"""

from __future__ import annotations

from suite.stats.rules._data import Table, column, floats, labels, need_seeds
from suite.stats.rules.significance import Tost, tost
from suite.stats.verdicts import Decision, Verdict, verdict_from


def at_chance(
    runs: Table,
    *,
    margin: float,
    alpha: float,
    acc: str = "test_acc",
    reference: str = "chance_ref",
    seed: str = "seed",
) -> Decision:
    """``random-labels-chance``: test accuracy equals each seed's own chance reference.

    One row per seed. d_s = acc_s - reference_s, where the reference is the accuracy of a model
    that predicts, for an image of class c, class c with the probability that a class-c
    training image kept its label in that seed's random relabelling (sum_c pi_c q_c; the
    relabelling of 1000 images itself moves it about +-0.01 around 0.1). TOST across seeds:
    SUPPORTED if -margin < mean d < margin is shown (p < alpha); REFUTED if mean d is shown
    outside the margin; INCONCLUSIVE otherwise, and when d is the same in every seed (no
    evidence of its spread). Statistic: mean d, with the TOST's 1 - 2 alpha interval.
    """
    a = column(runs, acc)
    ref = column(runs, reference)
    n = len(set(labels(runs, seed).tolist()))
    if n != a.size:
        raise ValueError(f"one row per seed expected, got {a.size} rows for {n} seeds")
    need_seeds(n, "random-labels-chance")
    d = a - ref
    res = tost(d, margin, alpha)
    verdict = verdict_from(res.p_equivalent, res.p_outside, alpha)
    return Decision(
        rule="at_chance",
        statistic=res.mean,
        threshold=f"|mean(acc - chance reference)| < {margin:g} by TOST, p < {alpha:g}",
        p_value=res.p_equivalent,
        p_refute=res.p_outside,
        verdict=verdict,
        n_runs=int(a.size),
        n_seeds=n,
        reason=_reason(res, verdict, margin, alpha),
        details={
            "per_seed_acc": floats(a),
            "per_seed_reference": floats(ref),
            "per_seed_offset": floats(d),
            "interval": [res.low, res.high],
            "margin": margin,
            "p_equivalent": res.p_equivalent,
            "p_outside": res.p_outside,
        },
        interval=(res.low, res.high),
        interval_level=1 - 2 * alpha,
        margin=margin,
        seeds_needed=res.seeds_needed if verdict is Verdict.INCONCLUSIVE else None,
    )


def _reason(res: Tost, verdict: Verdict, margin: float, alpha: float) -> str:
    """Why: the interval against the margin, and for a refutation its side (the direction a
    documented refutation names: ``refuted_at(..., because="above the margin")``)."""
    if res.zero_spread:
        return "the offset is the same in every seed: no evidence of its spread across seeds"
    interval = f"{1 - 2 * alpha:.0%} interval of the mean offset [{res.low:.4f}, {res.high:.4f}]"
    if verdict is Verdict.REFUTED:
        side = (
            f"above the margin (+{margin:g})" if res.mean > 0 else f"below the margin (-{margin:g})"
        )
        return f"mean offset shown {side}; {interval}"
    return interval
