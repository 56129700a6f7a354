"""The synthetic measures grid: one axis at a time around a base point."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from suite.profiles import CI
from suite.stats.power.shared import Draws, Table, bvn, grid_slope, spread, tables
from suite.stats.power.trends import SEED_XY_CORR

_M = CI.measures
MEASURE_AXES = {
    "batch_size": (np.asarray(_M.batch_sizes, dtype=float), float(_M.base_batch)),
    "lr": (np.asarray(_M.lrs, dtype=float), float(_M.base_lr)),
    "corruption": (np.asarray(_M.corruptions, dtype=float), float(_M.base_corruption)),
}


def measure_grid() -> tuple[np.ndarray, np.ndarray]:
    """The distinct runs of one seed, base first: (values (runs, 3), index along each axis)."""
    base = [b for _, b in MEASURE_AXES.values()]
    base_idx = [int(np.flatnonzero(v == b)[0]) for v, b in MEASURE_AXES.values()]
    points, idx = [tuple(base)], [tuple(base_idx)]
    for a, (values, b) in enumerate(MEASURE_AXES.values()):
        for k, v in enumerate(values):
            if v != b:
                p, q = list(base), list(base_idx)
                p[a], q[a] = v, k
                points.append(tuple(p))
                idx.append(tuple(q))
    return np.asarray(points), np.asarray(idx, dtype=float)


def measures_draws(
    taus: tuple[float, float, float],
    share: float = 0.0,
    ratio: float = 1.0,
    xy_corr: float = SEED_XY_CORR,
) -> Draws:
    """The measures grid (ci: 4 values per axis, base shared: 10 runs a seed): gap = the sum
    over axes of the run's standardized position on the axis + noise 0.1; measure = the sum of
    slope_a x position + noise 1, slope_a giving within-axis tau ``taus[a]`` with the axis
    position (:func:`grid_slope`, 4 points); both noises scaled by a factor growing by
    ``ratio`` along each axis; seed offsets of measure and gap with share ``share`` of the
    variance, correlated ``xy_corr``."""
    points, idx = measure_grid()
    n_runs = len(points)
    n_v = [len(v) for v, _ in MEASURE_AXES.values()]
    slopes = np.array([grid_slope(n_v[a], taus[a], ratio) for a in range(3)])
    k = np.ones(n_runs)
    for a in range(3):
        f = spread(n_v[a], ratio)
        k = k * f[idx[:, a].astype(int)] / f[int(idx[0, a])]
    mean_m = idx @ slopes
    mean_g = idx.sum(axis=1)
    w = math.sqrt(share / (1 - share)) if share else 0.0

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        u, v = bvn(rng, (n, seeds, 1), xy_corr)
        m = mean_m + w * u + k * rng.standard_normal((n, seeds, n_runs))
        g = mean_g + w * v + 0.1 * k * rng.standard_normal((n, seeds, n_runs))
        # every simulated run reached the stopping criterion: the claims' premise holds
        static = {
            "seed": np.repeat(np.arange(seeds), n_runs),
            "reached_stop": np.ones(seeds * n_runs, bool),
        }
        for a, name in enumerate(MEASURE_AXES):
            static[name] = np.tile(points[:, a], seeds)
        return tables(static, {"sensitivity": m, "gap": g}, n)

    return draw
