"""Synthetic width sweeps: the fitted accuracy curve, per-seed noise, drops at the margin."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from suite.profiles import CI
from suite.stats.power.claims import claim_margin
from suite.stats.power.shared import Draws, Table, grid_static, tables


def mlp_params(width: int | np.ndarray, depth: int = 3, d_in: int = 784, d_out: int = 10):
    """Parameter count of a ``depth``-hidden-layer MLP of equal ``width`` (weights + biases)."""
    return d_in * width + width + (depth - 1) * (width * width + width) + width * d_out + d_out


WIDTHS = np.asarray(CI.width_sweep.widths)
PARAMS = mlp_params(WIDTHS, depth=CI.width_sweep.depth)


def width_curve(widths: np.ndarray = WIDTHS) -> np.ndarray:
    """The calibration's mean test accuracy per width, smoothed: least squares fit of
    a - b w^-c to the ci means (0.81, 0.87, 0.916, 0.924, 0.933, 0.930, 0.937, 0.938, 0.939,
    0.942 at widths 5..90): 0.809 at 5, 0.934 at 50, 0.941 at 90; steps of +0.0012..+0.066."""
    return 0.95225 - 0.60543 * np.asarray(widths, dtype=float) ** -0.89463


#: Per-seed noise of test accuracy at the widest width: sd of consecutive per-seed
#: differences 0.006 (measured 0.004-0.008) = sqrt(2) x 0.0042.
WIDTH_SD = 0.0042


def width_draws(
    means: np.ndarray,
    sd: float | np.ndarray = WIDTH_SD,
    ratio: float = 3.0,
    share: float = 0.3,
    collapse: float = 0.0,
) -> Draws:
    """test_acc(w, s) = means(w) + level_s + sd_w e(w, s); sd_w grows linearly by ``ratio``
    from the widest to the narrowest width (sd at the widest), level_s a shift of the seed's
    whole curve with share ``share`` of the widest width's variance. ``collapse``: the chance
    that a seed's narrowest net collapses (test accuracy 0.11, as one ci seed did)."""
    sd_w = np.asarray(sd, dtype=float) * np.linspace(ratio, 1.0, len(WIDTHS))
    base = np.asarray(sd, dtype=float).max()
    level_sd = base * math.sqrt(share / (1 - share)) if share else 0.0

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        acc = (
            means
            + level_sd * rng.standard_normal((n, seeds, 1))
            + sd_w * rng.standard_normal((n, seeds, len(WIDTHS)))
        )
        if collapse:
            hit = rng.random((n, seeds)) < collapse
            acc[..., 0] = np.where(hit, 0.11 + 0.002 * rng.standard_normal((n, seeds)), acc[..., 0])
        static = grid_static(seeds, "width", WIDTHS)
        static["params"] = np.tile(PARAMS, seeds)
        return tables(static, {"test_acc": acc}, n)

    return draw


def width_drop(drop_at: int = -1, drop: float | None = None) -> np.ndarray:
    """The calibration curve with width ``drop_at`` exactly ``drop`` (the margin) below the
    previous width, every width after it shifted with it."""
    m = width_curve().copy()
    drop = claim_margin("width-monotone") if drop is None else drop
    k = drop_at % len(m)
    m[k:] += (m[k - 1] - drop) - m[k]
    return m


def width_slow_decline(start: int = 50, fall: float = 0.008) -> np.ndarray:
    """The calibration curve up to width ``start``, then falling by ``fall`` in equal steps
    to the widest width (0.002 a step from 50 to 90: each step within the margin, the whole
    fall beyond it)."""
    m = width_curve().copy()
    k = list(WIDTHS).index(start)
    m[k:] = m[k] - np.linspace(0.0, fall, len(WIDTHS) - k)
    return m
