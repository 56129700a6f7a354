"""Synthetic interpolation curves: error and loss bumps between two solutions.

The grid is the experiment's (``CI.interpolation.alpha_grid()``: 51 points of a on [-1, 2],
31 of them on [0, 1]). Barriers per seed are drawn normal, lognormal or gamma with a given
mean and sd (the barrier's own), train and test correlated through a Gaussian copula.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator

import numpy as np
from scipy import optimize, special, stats

from suite.profiles import CI
from suite.stats.power.shared import Draws, Table, bvn, grid_static, tables

ALPHAS = np.asarray(CI.interpolation.alpha_grid(), dtype=float)
BUMP_WIDTH = 0.15
#: Loss bump (nats) = LOSS_BUMP + 0.02 B: its argmax is the centre for every barrier B (the
#: endpoints' losses differ by 0.05), so the barrier test is simulated apart from the window.
LOSS_BUMP = 0.06
DISTS = ("normal", "lognormal", "gamma")


def _curves(rng, b_train, b_test, centre):
    """Error (points) and loss (nats) curves on ALPHAS for barriers (n, S) and peak centres.

    error(a) = m + B bump(a) + (lin(a) - m)(1 - bump(a)) on [0, 1], m the mean of the
    endpoints, bump a Gaussian of width 0.15 less its chord between a = 0 and 1, scaled to 1 at
    the centre: 0 at the endpoints, so where the centre is a grid point the measured barrier is
    B (plus roughness 0.05 points). The loss is linear plus
    0.06 + 0.02 B nats of bump (its argmax is the centre); both grow quadratically outside
    [0, 1].
    """
    a = ALPHAS[None, None, :]
    c = centre[..., None]
    inside = np.clip(a, 0.0, 1.0)

    def gauss(x):
        return np.exp(-((x - c) ** 2) / (2 * BUMP_WIDTH**2))

    chord = (1 - inside) * gauss(0.0) + inside * gauss(1.0)  # 0 at both endpoints
    bump = (gauss(inside) - chord) / (1.0 - ((1 - c) * gauss(0.0) + c * gauss(1.0)))
    bump = np.where((a >= 0) & (a <= 1), np.clip(bump, 0.0, 1.0), 0.0)
    outside = np.clip(-a, 0.0, None) ** 2 + np.clip(a - 1.0, 0.0, None) ** 2
    n, s = centre.shape
    out = {}
    for name, b, (e0, e1), (l0, l1) in (
        ("train", b_train, (1.5, 3.0), (0.05, 0.10)),
        ("test", b_test, (3.0, 4.0), (0.10, 0.14)),
    ):
        e0 = e0 + 0.2 * rng.standard_normal((n, s, 1))
        e1 = e1 + 0.2 * rng.standard_normal((n, s, 1))
        m = (e0 + e1) / 2
        lin = e0 + (e1 - e0) * inside
        err = m + b[..., None] * bump + (lin - m) * (1 - bump) + 40 * outside
        err = np.clip(err + 0.05 * rng.standard_normal(err.shape), 0.0, 90.0)
        loss = l0 + (l1 - l0) * inside + (LOSS_BUMP + 0.02 * b[..., None]) * bump + 3 * outside
        out[f"{name}_acc"] = 1 - err / 100
        out[f"{name}_loss"] = loss + 0.001 * rng.standard_normal(loss.shape)
    return out


def shaped(z: np.ndarray, mean: float, sd: float, dist: str) -> np.ndarray:
    """Standard normal ``z`` turned into barriers of ``mean`` and ``sd`` (``dist``: normal,
    clipped at 0; lognormal; gamma, by its quantile function: a Gaussian copula).

    The clipped normal is located so that its mean *after* the clip is ``mean`` (its sd is
    then a little under ``sd``): a plain clip raises the mean (N(10, 9) clipped has mean 10.6),
    and a case drawn "at the null" of equal means would then not be at the null.
    """
    if sd == 0:
        return np.full(z.shape, float(mean))
    if dist == "normal":
        return np.clip(clipped_location(mean, sd) + sd * z, 0.0, None)
    if dist == "lognormal":
        s2 = math.log1p((sd / mean) ** 2)
        return np.exp(math.log(mean) - s2 / 2 + math.sqrt(s2) * z)
    if dist == "gamma":
        k = (mean / sd) ** 2
        return stats.gamma.ppf(special.ndtr(z), k, scale=mean / k)
    raise ValueError(f"unknown barrier distribution {dist!r}; one of {DISTS}")


@functools.cache
def clipped_location(mean: float, sd: float) -> float:
    """The mu with E[max(0, mu + sd Z)] = ``mean`` (Z standard normal; ``mean`` > 0)."""

    def clipped_mean(mu: float) -> float:
        r = mu / sd
        return mu * special.ndtr(r) + sd * math.exp(-r * r / 2) / math.sqrt(2 * math.pi)

    return float(optimize.brentq(lambda mu: clipped_mean(mu) - mean, mean - 50 * sd, mean))


def _barriers(rng, n, seeds, mean, sd, corr, ratio, dist):
    """(train, test) barriers per seed, correlated ``corr``, test sd ``ratio`` x."""
    a, b = bvn(rng, (n, seeds), corr)
    return shaped(a, mean, sd, dist), shaped(b, mean, ratio * sd, dist)


def _centres(rng, n, seeds, centre):
    if centre is None:  # calibration: the loss peaks at a = 0.4 or 0.5
        return rng.choice([0.4, 0.5], (n, seeds))
    return np.full((n, seeds), centre)


def peak_draws(
    mean: float,
    sd: float,
    corr: float = 0.0,
    ratio: float = 1.0,
    centre: float | None = None,
    uniform: tuple[float, float] | None = None,
    dist: str = "normal",
) -> Draws:
    """Barriers (train, test) of ``mean`` and sd ``sd`` (test sd x ``ratio``), shaped ``dist``,
    correlated ``corr`` (or ~ U(``uniform``) for both, correlated through a shared draw); the
    loss peaks at ``centre`` (None: at a = 0.4 or 0.5 per seed)."""

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        if uniform is not None:
            lo, hi = uniform
            u = rng.random((n, seeds))
            b_train = lo + (hi - lo) * u
            b_test = np.clip(b_train + 2.0 * rng.standard_normal((n, seeds)), lo, hi)
        else:
            b_train, b_test = _barriers(rng, n, seeds, mean, sd, corr, ratio, dist)
        out = _curves(rng, b_train, b_test, _centres(rng, n, seeds, centre))
        return tables(grid_static(seeds, "alpha", ALPHAS), out, n)

    return draw


def lower_barrier_draws(
    independent: tuple[float, float],
    shared: tuple[float, float],
    corr: float = 0.0,
    ratio: float = 1.0,
    shapes: tuple[str, str] = ("normal", "normal"),
) -> Draws:
    """Per seed, barriers (mean, sd) of the independent- and shared-init curves, shaped
    ``shapes`` (independent, shared; see :func:`shaped`); within a seed the two inits'
    barriers correlate ``corr`` (they share theta1; a Gaussian copula) and so do train and
    test; the independent init's sd is ``ratio`` x as given."""

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        z = rng.standard_normal((4, n, seeds))
        common = rng.standard_normal((n, seeds))
        w, v = math.sqrt(corr), math.sqrt(1 - corr)
        z = w * common + v * z  # every pair of the four correlates ``corr``
        ind = [shaped(z[k], independent[0], ratio * independent[1], shapes[0]) for k in (0, 1)]
        sha = [shaped(z[k], shared[0], shared[1], shapes[1]) for k in (2, 3)]
        centre = _centres(rng, n, seeds, None)
        c_ind = _curves(rng, ind[0], ind[1], centre)
        c_sha = _curves(rng, sha[0], sha[1], centre)
        varying = {k: np.concatenate([c_sha[k], c_ind[k]], axis=1) for k in c_ind}
        g = grid_static(seeds, "alpha", ALPHAS)
        static = {
            "seed": np.tile(g["seed"], 2),
            "alpha": np.tile(g["alpha"], 2),
            "init": np.repeat(np.array(["shared", "independent"]), len(g["seed"])),
        }
        return tables(static, varying, n)

    return draw
