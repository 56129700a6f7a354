"""Where the statistic of one more disjoint seed set falls: the interval a documented refutation
quotes (``refuted_at``), from the sets ``python -m suite stability`` measured."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

#: The level of the prediction interval a documented refutation quotes (``refuted_at``).
PREDICTION_LEVEL = 0.99


def prediction_interval(values: Sequence[float], level: float = PREDICTION_LEVEL) -> list[float]:
    """Where the statistic of one more disjoint seed set falls with probability ``level``: the
    normal-theory prediction interval mean +- t(df n-1) sd sqrt(1 + 1/n) over the sets, widened
    to the observed range (the sets' statistics need not be normal)."""
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        raise ValueError(f"a prediction interval needs at least 2 sets, got {v.size}")
    half = (
        float(stats.t.ppf(0.5 + level / 2, v.size - 1)) * v.std(ddof=1) * math.sqrt(1 + 1 / v.size)
    )
    return [
        min(float(v.mean()) - half, float(v.min())),
        max(float(v.mean()) + half, float(v.max())),
    ]


def statistic_spread(values: Sequence[float]) -> dict[str, Any]:
    """A claim's statistic over the sets: its range, and the prediction interval of one more."""
    if not values:
        return {}
    out: dict[str, Any] = {"statistic_min": min(values), "statistic_max": max(values)}
    if len(values) >= 2:
        out["prediction"] = prediction_interval(values)
    return out
