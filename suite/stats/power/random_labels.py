"""Synthetic random-labels experiments: fits, test accuracy at chance, AR(1) loss curves."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from suite.profiles import CI, Profile
from suite.stats.power.shared import Draws, Table, bvn, grid_static, spread, tables


def share_draws(p_fit: float) -> Draws:
    """Per seed, the run fits (train accuracy 1.0) with probability ``p_fit``, else it misses
    one image (0.999 in float32, as torch computes 999/1000): the seeds are independent."""

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        fits = rng.random((n, seeds)) < p_fit
        acc = np.where(fits, np.float32(1.0), np.float32(999) / np.float32(1000))
        for i in range(n):
            yield {"seed": np.arange(seeds), "train_acc": acc[i]}

    return draw


#: Random labels at ci (measured): test accuracy sd 0.011 across seeds, the chance reference sd
#: ~0.0095 (it moves ~0.01), their difference sd ~0.010, so they correlate ~0.55.
ACC_SD, REF_SD, ACC_REF_CORR = 0.011, 0.0095, 0.55


def chance_draws(offset: float, corr: float = ACC_REF_CORR, ratio: float = 1.0) -> Draws:
    """Per seed (acc - 0.1 - offset, ref - 0.1) ~ normal, sds (0.011, 0.0095), corr ``corr``;
    with ``ratio`` > 1 the seeds' scales grow linearly by that ratio (RMS 1)."""

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        a, r = bvn(rng, (n, seeds), corr)
        k = spread(seeds, ratio)
        ref = 0.1 + REF_SD * k * r
        acc = 0.1 + offset + ACC_SD * k * a
        return tables({"seed": np.arange(seeds)}, {"test_acc": acc, "chance_ref": ref}, n)

    return draw


def eval_epochs(profile: Profile = CI) -> np.ndarray:
    """The epochs at which the random-labels experiment evaluates (0, every k, the last)."""
    cfg = profile.random_labels
    ep = list(range(0, cfg.epochs + 1, cfg.eval_every))
    if ep[-1] != cfg.epochs:
        ep.append(cfg.epochs)
    return np.asarray(ep)


EPOCHS = eval_epochs()
#: the test loss's minimum (calibration: ~2.32 nats, early)
MIN_EPOCH = int(EPOCHS[2])


def mean_test_loss(
    rise: float, epochs: np.ndarray = EPOCHS, power: float = 1.0, plateau: float = 0.0
) -> np.ndarray:
    """Mean test loss: 2.35 at epoch 0, 2.32 at MIN_EPOCH, flat over a share ``plateau`` of
    the rest, then up by ``rise`` to the end (linearly, or as u^power)."""
    t = epochs.astype(float)
    start = MIN_EPOCH + plateau * (t[-1] - MIN_EPOCH)
    u = np.clip((t - start) / (t[-1] - start), 0.0, 1.0)
    before = 2.35 - 0.03 * np.clip(t / MIN_EPOCH, 0.0, 1.0)
    return np.where(t <= MIN_EPOCH, before, 2.32 + rise * u**power)


def mean_train_loss(
    epochs: np.ndarray = EPOCHS, falls: bool = True, plateau: float = 0.0
) -> np.ndarray:
    """Mean train loss: 2.30 at epoch 0, 2.2 at MIN_EPOCH, flat over a share ``plateau`` of
    the rest, then log-linear down to 2e-4 (or flat throughout: ``falls=False``)."""
    if not falls:
        return np.full(len(epochs), 2.30)
    t = epochs.astype(float)
    start = MIN_EPOCH + plateau * (t[-1] - MIN_EPOCH)
    u = np.clip((t - start) / (t[-1] - start), 0.0, 1.0)
    before = 2.30 - 0.1 * np.clip(t / MIN_EPOCH, 0.0, 1.0)
    return np.where(t <= MIN_EPOCH, before, np.exp(np.log(2.2) + u * np.log(2e-4 / 2.2)))


def ar1(rng: np.random.Generator, shape: tuple[int, ...], phi: float, corr: float):
    """Two stationary AR(1) series (unit marginal sd) along the last axis; innovations
    correlated ``corr`` between the two."""
    a, b = bvn(rng, shape, corr)
    c = math.sqrt(1 - phi * phi)
    for t in range(1, shape[-1]):
        a[..., t] = phi * a[..., t - 1] + c * a[..., t]
        b[..., t] = phi * b[..., t - 1] + c * b[..., t]
    return a, b


#: AR(1) noise of the random-labels curves: marginal sd of the test loss (nats) and of the
#: log train loss.
CURVE_SD = 0.05


def overfit_draws(
    rise: float,
    train_falls: bool = True,
    phi: float = 0.99,
    corr: float = 0.0,
    share: float = 0.0,
    ratio: float = 1.0,
    sd: float = CURVE_SD,
    plateau: float = 0.0,
) -> Draws:
    """Test loss = mean_test_loss(rise, plateau) + sd k_s (level_s + AR(1)); the log train
    loss likewise around mean_train_loss(plateau): with a plateau both stay flat, then the
    train loss falls while the test loss rises (late memorization).

    ``share``: a per-seed level shift of both curves (correlated ``corr``) with that share of
    the variance; the AR(1) innovations of test and train correlate ``corr``; ``ratio``: the
    seeds' sds grow linearly by it (RMS 1).
    """
    te_mean = mean_test_loss(rise, power=1.5 if rise > 1 else 1.0, plateau=plateau)
    tr_mean = mean_train_loss(falls=train_falls, plateau=plateau)
    n_e = len(EPOCHS)

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        ea, eb = ar1(rng, (n, seeds, n_e), phi, corr)
        la, lb = bvn(rng, (n, seeds, 1), corr)
        k = spread(seeds, ratio)[None, :, None] * sd
        w, v = math.sqrt(share), math.sqrt(1 - share)
        te = te_mean + k * (w * la + v * ea)
        tr = np.exp(np.log(tr_mean) + k * (w * lb + v * eb))
        return tables(grid_static(seeds, "epoch", EPOCHS), {"test_loss": te, "train_loss": tr}, n)

    return draw
