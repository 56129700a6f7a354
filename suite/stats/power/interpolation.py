"""Synthetic interpolation curves: error and loss bumps between two solutions."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from suite.profiles import CI
from suite.stats.power.shared import Draws, Table, bvn, grid_static, tables

_IP = CI.interpolation
ALPHAS = np.linspace(_IP.alpha_min, _IP.alpha_max, _IP.n_alpha)
BUMP_WIDTH = 0.15


def _curves(rng, b_train, b_test, centre):
    """Error (points) and loss (nats) curves on ALPHAS for barriers (n, S) and peak centres.

    error(a) = m + B bump(a) + (lin(a) - m)(1 - bump(a)) on [0, 1], m the mean of the
    endpoints, bump a Gaussian of width 0.15 less its chord between a = 0 and 1, scaled to 1 at
    the centre: 0 at the endpoints, so where the centre is a grid point the measured barrier is
    B (plus roughness 0.05 points). The loss is linear plus
    0.02 B nats of bump (its argmax is the centre); both grow quadratically outside [0, 1].
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
        loss = l0 + (l1 - l0) * inside + 0.02 * b[..., None] * bump + 3 * outside
        out[f"{name}_acc"] = 1 - err / 100
        out[f"{name}_loss"] = loss + 0.001 * rng.standard_normal(loss.shape)
    return out


def _barriers(rng, n, seeds, mean, sd, corr, ratio):
    """(train, test) barriers per seed: normal, correlated ``corr``, test sd ``ratio`` x."""
    a, b = bvn(rng, (n, seeds), corr)
    return mean + sd * a, mean + ratio * sd * b


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
) -> Draws:
    """Barriers (train, test) ~ N(mean, sd; test sd x ``ratio``), correlated ``corr`` (or
    ~ U(``uniform``) for both, correlated through a shared draw); the loss peaks at ``centre``
    (None: at a = 0.4 or 0.5 per seed)."""

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        if uniform is not None:
            lo, hi = uniform
            u = rng.random((n, seeds))
            b_train = lo + (hi - lo) * u
            b_test = np.clip(b_train + 2.0 * rng.standard_normal((n, seeds)), lo, hi)
        else:
            b_train, b_test = _barriers(rng, n, seeds, mean, sd, corr, ratio)
        out = _curves(rng, b_train, b_test, _centres(rng, n, seeds, centre))
        return tables(grid_static(seeds, "alpha", ALPHAS), out, n)

    return draw


def lower_barrier_draws(
    independent: tuple[float, float],
    shared: tuple[float, float],
    corr: float = 0.0,
    ratio: float = 1.0,
) -> Draws:
    """Per seed, barriers (mean, sd) of the independent- and shared-init curves; within a
    seed the two inits' barriers correlate ``corr`` (they share theta1) and so do train and
    test; the independent init's sd is ``ratio`` x as given."""

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        z = rng.standard_normal((4, n, seeds))
        common = rng.standard_normal((n, seeds))
        w, v = math.sqrt(corr), math.sqrt(1 - corr)
        z = w * common + v * z  # every pair of the four correlates ``corr``
        ind = [independent[0] + ratio * independent[1] * z[k] for k in (0, 1)]
        sha = [shared[0] + shared[1] * z[k] for k in (2, 3)]
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
