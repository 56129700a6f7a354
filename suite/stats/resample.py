"""Where a claim's statistic falls on another draw of seeds: the seed bootstrap.

A documented refutation (``suite.plugin.claim.refuted_at``) names the interval its statistic
is expected in on any draw. At ``ci`` that interval comes from disjoint seed sets; where only
one set exists (``paper``, hours per set on a CPU) the seeds of that set are resampled
instead. The seed is the unit (DESIGN.md section 2): a draw takes whole seeds with
replacement, every row of a seed together, and a seed drawn twice enters as two seeds, so the
rule sees as many independent seeds as the run had.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def seed_bootstrap(
    runs: pd.DataFrame,
    statistic: Callable[[pd.DataFrame], float],
    seed: str = "seed",
    draws: int = 2000,
    rng_seed: int = 0,
) -> np.ndarray:
    """``statistic`` of ``draws`` resamples of the seeds of ``runs`` (one value per draw).

    Each resample relabels its seeds 0..n-1 in the order drawn. A draw on which the statistic
    cannot be computed (a rule that raises ValueError, e.g. too few distinct strata) is
    dropped; the result says how many survived by its length.
    """
    groups = [group for _, group in runs.groupby(seed, sort=True)]
    rng = np.random.default_rng(rng_seed)
    values = []
    for _ in range(draws):
        picked = rng.integers(len(groups), size=len(groups))
        frame = pd.concat(
            [groups[g].assign(**{seed: i}) for i, g in enumerate(picked)], ignore_index=True
        )
        try:
            values.append(float(statistic(frame)))
        except ValueError:
            continue
    return np.asarray(values)


def central_range(values: np.ndarray, level: float = 0.99) -> tuple[float, float]:
    """The central ``level`` range of ``values`` (percentile interval)."""
    tail = (1 - level) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return float(low), float(high)
