"""Pieces every generator of synthetic data sets uses: seed effects, spreads, grids."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from functools import cache

import numpy as np
from scipy import optimize, stats

Table = dict[str, np.ndarray]
Draws = Callable[[np.random.Generator, int, int], Iterator[Table]]


def bvn(rng: np.random.Generator, shape: tuple[int, ...], rho: float):
    """Two standard normal arrays of ``shape`` with correlation ``rho``."""
    a = rng.standard_normal(shape)
    b = rho * a + math.sqrt(1.0 - rho * rho) * rng.standard_normal(shape)
    return a, b


def spread(k: int, ratio: float, rising: bool = True) -> np.ndarray:
    """Noise scale factors over ``k`` groups growing linearly by ``ratio``, RMS 1."""
    f = np.linspace(1.0, ratio, k)
    f = f if rising else f[::-1]
    return f / np.sqrt(np.mean(f * f))


def tables(static: Table, varying: dict[str, np.ndarray], n: int) -> Iterator[Table]:
    """Per draw i, ``static`` plus every ``varying`` array's [i], flattened seed-major."""
    for i in range(n):
        yield {**static, **{k: np.ascontiguousarray(v[i]).reshape(-1) for k, v in varying.items()}}


def grid_static(seeds: int, xcol: str, grid: np.ndarray) -> Table:
    return {"seed": np.repeat(np.arange(seeds), len(grid)), xcol: np.tile(grid, seeds)}


@cache
def grid_slope(n_x: int, tau: float, ratio: float = 1.0) -> float:
    """Slope per grid step of y = slope i + sd_i e whose expected Kendall tau is ``tau``.

    sd_i grows linearly by ``ratio`` over the grid (RMS 1); tau in (-1, 1). Expected tau of a
    fixed grid: the mean over pairs i < j of 2 Phi(slope (j - i) / sqrt(sd_i^2 + sd_j^2)) - 1.
    """
    if tau == 0:
        return 0.0
    sd = spread(n_x, ratio)
    i, j = np.triu_indices(n_x, 1)
    scale = (j - i) / np.sqrt(sd[i] ** 2 + sd[j] ** 2)

    def gap(s: float) -> float:
        return float(np.mean(2 * stats.norm.cdf(s * scale) - 1)) - abs(tau)

    return math.copysign(optimize.brentq(gap, 0.0, 50.0), tau)


def tau_rho(tau: float) -> float:
    """Pearson correlation of a bivariate normal whose Kendall tau is ``tau``."""
    return math.sin(math.pi * tau / 2)
