"""Synthetic within-seed trends: measured x and y with seed effects, fixed grids, censoring."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from scipy import stats

from suite.profiles import CI
from suite.stats.power.shared import (
    Draws,
    Table,
    bvn,
    grid_slope,
    grid_static,
    spread,
    tables,
    tau_rho,
)

BATCH_SIZES = np.asarray(CI.batch_sweep.batch_sizes)
FRACTIONS = np.asarray(CI.label_corruption.fractions)
BUDGET = CI.label_corruption.epochs
#: seed effects: correlation between the x and the y offset of a seed
SEED_XY_CORR = 0.8


def measured_draws(
    xcol: str,
    ycol: str,
    tau: float,
    share: float = 0.0,
    xy_corr: float = SEED_XY_CORR,
    ratio: float = 1.0,
    tau_sd: float = 0.0,
) -> Draws:
    """Batch sweep, x measured (sensitivity, sharpness): per (seed, batch size) (x, y) =
    sqrt(share) (u_s, v_s) + sqrt(1 - share) k_b (x_w, y_w), the seed offsets (u_s, v_s)
    normal with correlation ``xy_corr``, the within-seed (x_w, y_w) bivariate normal with
    Kendall tau ``tau`` (or, with ``tau_sd``, a tau of each seed's own, tau + tau_sd N(0, 1)
    clipped to +-0.95); k_b grows linearly by ``ratio`` across batch sizes (RMS 1)."""
    n_b = len(BATCH_SIZES)
    k = spread(n_b, ratio)

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        u, v = bvn(rng, (n, seeds, 1), xy_corr)
        taus = np.clip(tau + tau_sd * rng.standard_normal((n, seeds, 1)), -0.95, 0.95)
        rho = np.sin(np.pi * taus / 2) if tau_sd else tau_rho(tau)
        xw = rng.standard_normal((n, seeds, n_b))
        yw = rho * xw + np.sqrt(1 - rho * rho) * rng.standard_normal((n, seeds, n_b))
        w, s = math.sqrt(share), math.sqrt(1 - share)
        x = w * u + s * k * xw
        y = w * v + s * k * yw
        # every simulated run has fitted: the premise of the claims on fitted networks holds
        static = {
            **grid_static(seeds, "batch_size", BATCH_SIZES),
            "train_acc": np.ones(seeds * n_b),
        }
        return tables(static, {xcol: x, ycol: y}, n)

    return draw


def grid_draws(
    xcol: str,
    grid: np.ndarray,
    ycol: str,
    tau: float,
    share: float = 0.0,
    ratio: float = 1.0,
    rising: bool = True,
    tau_sd: float = 0.0,
) -> Draws:
    """A fixed x grid: y(i, s) = slope i + level_s + sd_i e, the slope giving expected
    within-seed tau ``tau`` (:func:`grid_slope`; with ``tau_sd``, each seed its own tau,
    tau + tau_sd N(0, 1) clipped to +-0.95), sd_i growing by ``ratio`` along the grid
    (or falling, ``rising=False``), level_s a shift of the seed's curve with share ``share``."""
    n_x = len(grid)
    sd = spread(n_x, ratio, rising)
    slope = grid_slope(n_x, tau, ratio) if rising else -grid_slope(n_x, -tau, ratio)
    mean = slope * np.arange(n_x)
    level = math.sqrt(share / (1 - share)) if share else 0.0
    # per-seed taus: the slope of each by interpolation on a table of grid_slope
    tau_grid = np.linspace(-0.95, 0.95, 39)
    slope_grid = np.array([grid_slope(n_x, t, ratio) if abs(t) > 1e-12 else 0.0 for t in tau_grid])

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        trend = mean
        if tau_sd:
            taus = np.clip(tau + tau_sd * rng.standard_normal((n, seeds, 1)), -0.95, 0.95)
            trend = np.interp(taus, tau_grid, slope_grid) * np.arange(n_x)
        y = (
            trend
            + level * rng.standard_normal((n, seeds, 1))
            + sd * rng.standard_normal((n, seeds, n_x))
        )
        # every simulated run has fitted: sharpness-batch's premise holds
        static = {**grid_static(seeds, xcol, grid), "train_acc": np.ones(seeds * n_x)}
        return tables(static, {ycol: y}, n)

    return draw


def corruption_draws(
    tau_epochs: float,
    censored_at_end: float,
    share: float = 0.0,
    ratio: float = 1.0,
    log_sd: float = 0.5,
) -> Draws:
    """Label corruption, one run per (fraction, seed): log epochs-to-fit = intercept + slope i
    + level_s + log_sd sd_i e, the slope giving expected within-seed tau ``tau_epochs`` before
    censoring, the intercept putting a share ``censored_at_end`` of the last fraction's runs
    beyond the budget (those get budget + 1 epochs and fitted False, as the experiment writes
    them). sd_i grows by ``ratio`` along the fractions; level_s has share ``share``."""
    n_f = len(FRACTIONS)
    sd = spread(n_f, ratio)
    slope = grid_slope(n_f, tau_epochs, ratio) * log_sd
    total_end = log_sd * math.sqrt(sd[-1] ** 2 + (share / (1 - share) if share else 0.0))
    intercept = math.log(BUDGET) - slope * (n_f - 1) - stats.norm.isf(censored_at_end) * total_end
    level = log_sd * math.sqrt(share / (1 - share)) if share else 0.0

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        log_t = (
            intercept
            + slope * np.arange(n_f)
            + level * rng.standard_normal((n, seeds, 1))
            + log_sd * sd * rng.standard_normal((n, seeds, n_f))
        )
        t = np.maximum(np.ceil(np.exp(log_t)), 1.0)
        fitted = t <= BUDGET
        t = np.where(fitted, t, BUDGET + 1)
        static = grid_static(seeds, "fraction", FRACTIONS)
        return tables(static, {"epochs_to_fit": t, "fitted": fitted}, n)

    return draw
