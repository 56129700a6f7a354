"""How often each decision rule is fooled, and how often it finds the calibrated effects,
simulated with the dependence the experiments have (DESIGN.md section 2, issue 10).

Every :class:`Case` draws synthetic data sets in the tidy format the claim hands its rule (a
dict of column arrays: one row per run, per seed or per evaluated epoch), calls the rule
exactly as ``suite/claims/*.py`` does (same columns and alphas; margins from
``suite.catalog.CLAIMS``) and counts the verdicts. The data of all draws are generated at once
(vectorized); the rule is called once per draw. A rule's ValueError counts as INCONCLUSIVE,
as in the claim. Grids come from the ci profile (``suite.profiles.CI``).

Kinds of rows (``python -m suite.rule_power [--draws N] [--power-draws M] [--seed S]``):

- false positive: the claim is false (no effect, or an effect exactly at its margin);
  P(SUPPORTED), required <= 0.05 (``ok`` allows two Monte-Carlo SEs: 0.064 at 1000 draws).
- false refutation: the claim holds at the calibration effect; P(REFUTED), required <= 0.05.
- power: P(SUPPORTED) at the calibration effect; required >= 0.90 at the seed count the ci
  profile trains for the experiment (``Profile.seeds_for``, read at run time), reported at 3
  and 5 seeds (and the paper profile's count). Stress variants are reported, not required.

Dependence scenarios (as named in the table):

- seed 0.3 / 0.6: a per-seed effect with that share of the variance. On a fixed grid (widths,
  batch size as x, fractions, epochs) it shifts the seed's whole curve; with a measured x
  (sensitivity, sharpness, a measure) each seed draws an offset for x and for y, correlated
  0.8 between x and y. For per-seed pairs (accuracy and chance reference, train and test
  barriers, the two inits' barriers, test and train curves) it is their correlation.
- trend only between seeds: seed offsets with share 0.9, correlated 1.0 between x and y, no
  relation within a seed. (Kendall on the 30 rows pooled, as the old rule did, "finds" a
  trend in 24% / 54% / 93% of the seed 0.3 / seed 0.6 / between-seeds draws at 3 seeds.)
- AR(1) 0.99: the random-labels curves (51 evaluations at ci) carry stationary AR(1) noise
  with phi 0.99 per evaluation, marginal sd 0.05 nats (test loss) and 0.05 (log train loss).
- spread / sd 3x: the noise sd grows linearly 3x across groups (widest to narrowest width,
  along the batch sizes, fractions or axis values, across seeds), RMS 1.

Models (what each case draws):

``random-labels-fit`` (all_reach): missed train images per seed ~ Poisson(1) (the smallest
    failure), or Poisson(G), G ~ Gamma with CV 1 (a seed effect: half the seeds fit);
    calibration 1000/1000 in float32.
``random-labels-chance`` (at_chance): per seed (acc, ref) normal around (0.1 + offset, 0.1),
    sds 0.011 and 0.0095 (measured), correlation 0.55 (so acc - ref has the measured sd 0.010)
    or 0 / 0.3 / 0.6, or seeds' sds spread 3x. False: offset +-0.02 (the margin); leaked
    labels (acc 0.87). True: offset 0.
``random-labels-overfit`` (overfits): mean test loss 2.35 at epoch 0, 2.32 at epoch 40, then
    up by the rise; mean train loss 2.30, 2.2 at epoch 40, then log-linear to 2e-4; AR(1)
    noise as above. False: rise exactly 0.1 nats, linear to the end, or after a plateau (both
    curves flat to 80% of the run: late memorization); train loss flat while the test loss
    rises. True: rise 18.7 nats (2.32 -> 21, as calibrated).
``width-monotone`` (monotone_in_width): mean test accuracy a - b w^-c fitted to the ci means
    (0.809 at w5 ... 0.941 at w90; consecutive steps +0.066 ... +0.0012); per (seed, width)
    noise sd 0.0042 (consecutive differences sd 0.006, as measured) plus a seed level. False:
    flat with noise 0.0003 (so that every pair is non-inferior: the trend part alone); w90 or
    w10 exactly 0.005 (the margin) below its predecessor, with calibration noise, or with
    noise on w80/w90 only (every other part passes: the least favourable case). True: the
    fitted curve; stress: sd 3x at the narrow end; w5 collapsed (0.11) in a third of seeds.
``interpolation-peak`` (interpolation_peak): 31 a on [-1, 2]; per seed the error (points) is
    the endpoints' mean + B x bump (a Gaussian of width 0.15 less its chord: 0 at both
    endpoints, 1 at its centre, a = 0.4 or 0.5 as calibrated) + roughness 0.05; the loss is
    linear + 0.02 B nats of the same bump. B (train, test) normal, correlated 0 / 0.3 / 0.6,
    or the test sd 3x. False: B = 2.0 points (the margin), sd 0.4; the peak at a = 0.2.
    True: B ~ U(35, 48) (independent init); B ~ N(2.1, 0.4) (shared init, at the margin).
``shared-init-lower-barrier`` (lower_barrier): per seed four barriers (shared/independent x
    train/test), equicorrelated 0 / 0.3 / 0.6. False: all N(10, 3) (or the independent sd 3x).
    True: 41.5 +- 4 vs 2.1 +- 0.4.
``sensitivity-gap``, ``sensitivity-accuracy`` (within_seed_trend; ``sharpness-gap`` is the
    same call): 10 batch sizes; within a seed (x, y) bivariate normal with Kendall tau; seed
    offsets; spread: the sds of x and y both 3x along the batch sizes. False: tau 0; the
    measured tau(sensitivity, gap) -0.19 (the opposite of the claim). True: tau +0.19 (the
    measured size in the claimed direction), -0.2.
``sharpness-batch``, ``corruption-test-monotone`` (within_seed_trend): y = slope i + level +
    sd_i e on the grid, the slope giving expected within-seed tau 0.08 / -0.94.
``fit-time-grows`` (censored_trend), ``corruption-fit`` (every_run_fits): log epochs to fit =
    a + slope i + level + 0.5 sd_i e over the 6 fractions, the slope for tau 0.72 before
    censoring, a putting a given share of the f = 1 runs beyond the budget (1000 at ci; those
    get budget + 1 and fitted False, as the experiment writes them). False: slope 0 with 30%
    censored; for corruption-fit, f = 1 fits with probability e^-1. True: tau 0.72 with 20%
    censored at f = 1; every run fits (0.1% censored).
``sensitivity-granulated`` (within_each_axis; ``sharpness-granulated`` is the same call): the
    one-at-a-time grid (4 values per axis at ci, base shared: 10 runs a seed); gap = sum of
    the run's standardized axis positions + noise 0.1; measure = sum of slope_a x position +
    noise 1, slope_a for within-axis tau_a. False: tau (0.9, 0.9, 0) (the least favourable
    null of "every axis"); trend only between seeds. True: tau 0.3 on every axis.

What the table showed (seed 0, 1000 draws a row; 3 seeds = ci, 5 = paper):

- False positives: <= 0.05 up to Monte-Carlo noise (at the margin the chance TOST sits at
  its nominal 0.05: 0.038-0.062, the intersection-union rules below it; the stratified
  Kendall nulls 0.034-0.060 at alpha 0.05 and 0.004-0.015 at 0.01, also with seed effects
  and with a trend only between seeds), except:
  ``random-labels-fit`` with a seed effect (half the seeds fit): 0.145 at 3 seeds, 0.028 at 5
  (a rule without an alpha: P(SUPPORTED) = P(a seed fits)^seeds; Poisson(1): 0.048 / 0.003);
  ``random-labels-overfit``, rise at the margin after a plateau: 0.073 and 0.062 at 3 seeds,
  0.174 and 0.171 at 5 (nominal alpha 0.01): the minimum of a noisy plateau undershoots its
  mean (mean statistic 0.13 for a true rise of 0.10), a bias that does not shrink with seeds
  while the SE does (a linear rise: 0.001-0.020);
  ``within_seed_trend`` when x and y are both 3x noisier along the batch sizes: 0.068 / 0.066
  (sensitivity-gap), 0.053 / 0.052 (sensitivity-accuracy); ~0.058 over 40,000 draws (0.07 at
  10x): Kendall's null variance assumes exchangeable rows within a seed.
- False refutations: <= 0.017 everywhere.
- Power at the ci count (3 seeds; 5 in brackets): >= 0.98 for random-labels-fit and -overfit,
  interpolation-peak (independent init), shared-init-lower-barrier, corruption-test-monotone,
  fit-time-grows (0.978) and corruption-fit. Below 0.90: random-labels-chance 0.573 (0.953);
  width-monotone 0.002 (0.141; 0.000 with sd 3x at the narrow end), all of it the paired
  non-inferiority part (the trend part alone: 1.0); sensitivity-accuracy 0.409 (0.556);
  sensitivity-gap at |tau| 0.19 0.379 (0.495); sharpness-batch at tau 0.08 0.131 (0.164);
  sensitivity-granulated at tau 0.3 per axis 0.023 (0.083); interpolation-peak with a shared
  init (barrier 2.1 +- 0.4, at its 2-point margin) 0.024 (0.045), P(REFUTED) 0.017: mostly
  INCONCLUSIVE, as a claim at its margin should be.
"""

from __future__ import annotations

import argparse
import math
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy import optimize, stats

from suite import rules
from suite.catalog import CLAIMS
from suite.measure_table import AXES
from suite.profiles import CI, PAPER, Profile
from suite.verdicts import Decision, Verdict

FP_MAX = 0.05
POWER_MIN = 0.90
N_DRAWS = 1000

Table = dict[str, np.ndarray]
Draws = Callable[[np.random.Generator, int, int], Iterator[Table]]

# --------------------------------------------------------------------------------------------
# the rules, called exactly as the claims call them (suite/claims/*.py)
# --------------------------------------------------------------------------------------------


def _margin(claim: str) -> float:
    margin = CLAIMS[claim].margin
    assert margin is not None, claim
    return margin


def _decide_fit(t: Table) -> Decision:
    return rules.all_reach(t["train_acc"], target=1.0)


def _decide_chance(t: Table) -> Decision:
    return rules.at_chance(
        t, acc="test_acc", reference="chance_ref", margin=_margin("random-labels-chance")
    )


def _decide_overfit(t: Table) -> Decision:
    return rules.overfits(
        t,
        x="epoch",
        test="test_loss",
        train="train_loss",
        margin=_margin("random-labels-overfit"),
        alpha=0.01,
    )


def _decide_width(t: Table) -> Decision:
    return rules.monotone_in_width(
        t, x="params", y="test_acc", group="width", alpha=0.01, margin=_margin("width-monotone")
    )


def _decide_peak(t: Table) -> Decision:
    return rules.interpolation_peak(
        t,
        losses=("train_loss", "test_loss"),
        accs=("train_acc", "test_acc"),
        window=(0.3, 0.7),
        margin=_margin("interpolation-peak"),
        alpha=0.05,
    )


def _decide_lower_barrier(t: Table) -> Decision:
    return rules.lower_barrier(
        t,
        group="init",
        lower="shared",
        higher="independent",
        accs=("train_acc", "test_acc"),
        alpha=0.05,
    )


def _trend(x: str, y: str, direction: str, alpha: float) -> Callable[[Table], Decision]:
    def decide(t: Table) -> Decision:
        return rules.within_seed_trend(t, x=x, y=y, direction=direction, alpha=alpha)

    return decide


def _decide_corruption_fit(t: Table) -> Decision:
    return rules.every_run_fits(t, fitted="fitted", group="fraction")


def _decide_fit_time(t: Table) -> Decision:
    return rules.censored_trend(
        t, x="fraction", y="epochs_to_fit", direction="increasing", alpha=0.01
    )


def _decide_granulated(t: Table) -> Decision:
    return rules.within_each_axis(t, measure="sensitivity", target="gap", axes=AXES, alpha=0.05)


#: claim id -> (rule name, experiment, the call of its claim test)
CALLS: dict[str, tuple[str, str, Callable[[Table], Decision]]] = {
    "random-labels-fit": ("all_reach", "random_labels", _decide_fit),
    "random-labels-chance": ("at_chance", "random_labels", _decide_chance),
    "random-labels-overfit": ("overfits", "random_labels", _decide_overfit),
    "width-monotone": ("monotone_in_width", "width_sweep", _decide_width),
    "interpolation-peak": ("interpolation_peak", "interpolation", _decide_peak),
    "shared-init-lower-barrier": ("lower_barrier", "interpolation", _decide_lower_barrier),
    "sensitivity-gap": (
        "within_seed_trend",
        "batch_sweep",
        _trend("sensitivity", "gap", "increasing", 0.05),
    ),
    "sensitivity-accuracy": (
        "within_seed_trend",
        "batch_sweep",
        _trend("sensitivity", "test_acc", "decreasing", 0.05),
    ),
    "sharpness-batch": (
        "within_seed_trend",
        "batch_sweep",
        _trend("batch_size", "sharpness", "increasing", 0.05),
    ),
    "corruption-fit": ("every_run_fits", "label_corruption", _decide_corruption_fit),
    "corruption-test-monotone": (
        "within_seed_trend",
        "label_corruption",
        _trend("fraction", "test_acc", "decreasing", 0.01),
    ),
    "fit-time-grows": ("censored_trend", "label_corruption", _decide_fit_time),
    # sharpness-granulated is the same call with measure = sharpness
    "sensitivity-granulated": ("within_each_axis", "measures", _decide_granulated),
}


def profile_seeds(experiment: str, profile: Profile = CI) -> int:
    """How many seeds ``profile`` trains for ``experiment`` (read at run time)."""
    seeds_for = getattr(profile, "seeds_for", None)
    return int(seeds_for(experiment)) if seeds_for is not None else int(profile.seeds)


# --------------------------------------------------------------------------------------------
# shared pieces of the generators
# --------------------------------------------------------------------------------------------


def _bvn(rng: np.random.Generator, shape: tuple[int, ...], rho: float):
    """Two standard normal arrays of ``shape`` with correlation ``rho``."""
    a = rng.standard_normal(shape)
    b = rho * a + math.sqrt(1.0 - rho * rho) * rng.standard_normal(shape)
    return a, b


def _spread(k: int, ratio: float, rising: bool = True) -> np.ndarray:
    """Noise scale factors over ``k`` groups growing linearly by ``ratio``, RMS 1."""
    f = np.linspace(1.0, ratio, k)
    f = f if rising else f[::-1]
    return f / np.sqrt(np.mean(f * f))


def _tables(static: Table, varying: dict[str, np.ndarray], n: int) -> Iterator[Table]:
    """Per draw i, ``static`` plus every ``varying`` array's [i], flattened seed-major."""
    for i in range(n):
        yield {**static, **{k: np.ascontiguousarray(v[i]).reshape(-1) for k, v in varying.items()}}


def _grid_static(seeds: int, xcol: str, grid: np.ndarray) -> Table:
    return {"seed": np.repeat(np.arange(seeds), len(grid)), xcol: np.tile(grid, seeds)}


@cache
def grid_slope(n_x: int, tau: float, ratio: float = 1.0) -> float:
    """Slope per grid step of y = slope i + sd_i e whose expected Kendall tau is ``tau``.

    sd_i grows linearly by ``ratio`` over the grid (RMS 1); tau in (-1, 1). Expected tau of a
    fixed grid: the mean over pairs i < j of 2 Phi(slope (j - i) / sqrt(sd_i^2 + sd_j^2)) - 1.
    """
    if tau == 0:
        return 0.0
    sd = _spread(n_x, ratio)
    i, j = np.triu_indices(n_x, 1)
    scale = (j - i) / np.sqrt(sd[i] ** 2 + sd[j] ** 2)

    def gap(s: float) -> float:
        return float(np.mean(2 * stats.norm.cdf(s * scale) - 1)) - abs(tau)

    return math.copysign(optimize.brentq(gap, 0.0, 50.0), tau)


def tau_rho(tau: float) -> float:
    """Pearson correlation of a bivariate normal whose Kendall tau is ``tau``."""
    return math.sin(math.pi * tau / 2)


# --------------------------------------------------------------------------------------------
# random labels
# --------------------------------------------------------------------------------------------


def fit_draws(mean_misses: float, cv: float = 0.0) -> Draws:
    """Per seed, train images missed ~ Poisson(mean_misses x G), G ~ Gamma with CV ``cv``."""

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        lam = np.full((n, seeds), mean_misses)
        if cv:
            lam = lam * rng.gamma(1 / cv**2, cv**2, (n, seeds))
        misses = rng.poisson(lam)
        acc = (1000 - misses).astype(np.float32) / np.float32(1000)  # as torch computes it
        for i in range(n):
            yield {"train_acc": acc[i]}

    return draw


#: Random labels at ci (measured): test accuracy sd 0.011 across seeds, the chance reference sd
#: ~0.0095 (it moves ~0.01), their difference sd ~0.010, so they correlate ~0.55.
ACC_SD, REF_SD, ACC_REF_CORR = 0.011, 0.0095, 0.55


def chance_draws(offset: float, corr: float = ACC_REF_CORR, ratio: float = 1.0) -> Draws:
    """Per seed (acc - 0.1 - offset, ref - 0.1) ~ normal, sds (0.011, 0.0095), corr ``corr``;
    with ``ratio`` > 1 the seeds' scales grow linearly by that ratio (RMS 1)."""

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        a, r = _bvn(rng, (n, seeds), corr)
        k = _spread(seeds, ratio)
        ref = 0.1 + REF_SD * k * r
        acc = 0.1 + offset + ACC_SD * k * a
        return _tables({"seed": np.arange(seeds)}, {"test_acc": acc, "chance_ref": ref}, n)

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
    a, b = _bvn(rng, shape, corr)
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
        la, lb = _bvn(rng, (n, seeds, 1), corr)
        k = _spread(seeds, ratio)[None, :, None] * sd
        w, v = math.sqrt(share), math.sqrt(1 - share)
        te = te_mean + k * (w * la + v * ea)
        tr = np.exp(np.log(tr_mean) + k * (w * lb + v * eb))
        return _tables(_grid_static(seeds, "epoch", EPOCHS), {"test_loss": te, "train_loss": tr}, n)

    return draw


# --------------------------------------------------------------------------------------------
# width sweep
# --------------------------------------------------------------------------------------------


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
        static = _grid_static(seeds, "width", WIDTHS)
        static["params"] = np.tile(PARAMS, seeds)
        return _tables(static, {"test_acc": acc}, n)

    return draw


def width_drop(drop_at: int = -1, drop: float | None = None) -> np.ndarray:
    """The calibration curve with width ``drop_at`` exactly ``drop`` (the margin) below the
    previous width, every width after it shifted with it."""
    m = width_curve().copy()
    drop = _margin("width-monotone") if drop is None else drop
    k = drop_at % len(m)
    m[k:] += (m[k - 1] - drop) - m[k]
    return m


# --------------------------------------------------------------------------------------------
# interpolation
# --------------------------------------------------------------------------------------------

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
    a, b = _bvn(rng, (n, seeds), corr)
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
        return _tables(_grid_static(seeds, "alpha", ALPHAS), out, n)

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
        g = _grid_static(seeds, "alpha", ALPHAS)
        static = {
            "seed": np.tile(g["seed"], 2),
            "alpha": np.tile(g["alpha"], 2),
            "init": np.repeat(np.array(["shared", "independent"]), len(g["seed"])),
        }
        return _tables(static, varying, n)

    return draw


# --------------------------------------------------------------------------------------------
# within-seed trends
# --------------------------------------------------------------------------------------------

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
) -> Draws:
    """Batch sweep, x measured (sensitivity, sharpness): per (seed, batch size) (x, y) =
    sqrt(share) (u_s, v_s) + sqrt(1 - share) k_b (x_w, y_w), the seed offsets (u_s, v_s)
    normal with correlation ``xy_corr``, the within-seed (x_w, y_w) bivariate normal with
    Kendall tau ``tau``; k_b grows linearly by ``ratio`` across batch sizes (RMS 1)."""
    n_b = len(BATCH_SIZES)
    rho = tau_rho(tau)
    k = _spread(n_b, ratio)

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        u, v = _bvn(rng, (n, seeds, 1), xy_corr)
        xw, yw = _bvn(rng, (n, seeds, n_b), rho)
        w, s = math.sqrt(share), math.sqrt(1 - share)
        x = w * u + s * k * xw
        y = w * v + s * k * yw
        static = _grid_static(seeds, "batch_size", BATCH_SIZES)
        return _tables(static, {xcol: x, ycol: y}, n)

    return draw


def grid_draws(
    xcol: str,
    grid: np.ndarray,
    ycol: str,
    tau: float,
    share: float = 0.0,
    ratio: float = 1.0,
    rising: bool = True,
) -> Draws:
    """A fixed x grid: y(i, s) = slope i + level_s + sd_i e, the slope giving expected
    within-seed tau ``tau`` (:func:`grid_slope`), sd_i growing by ``ratio`` along the grid
    (or falling, ``rising=False``), level_s a shift of the seed's curve with share ``share``."""
    n_x = len(grid)
    sd = _spread(n_x, ratio, rising)
    slope = grid_slope(n_x, tau, ratio) if rising else -grid_slope(n_x, -tau, ratio)
    mean = slope * np.arange(n_x)
    level = math.sqrt(share / (1 - share)) if share else 0.0

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        y = (
            mean
            + level * rng.standard_normal((n, seeds, 1))
            + sd * rng.standard_normal((n, seeds, n_x))
        )
        return _tables(_grid_static(seeds, xcol, grid), {ycol: y}, n)

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
    sd = _spread(n_f, ratio)
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
        static = _grid_static(seeds, "fraction", FRACTIONS)
        return _tables(static, {"epochs_to_fit": t, "fitted": fitted}, n)

    return draw


# --------------------------------------------------------------------------------------------
# measures grid (one at a time around a base point)
# --------------------------------------------------------------------------------------------

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
        f = _spread(n_v[a], ratio)
        k = k * f[idx[:, a].astype(int)] / f[int(idx[0, a])]
    mean_m = idx @ slopes
    mean_g = idx.sum(axis=1)
    w = math.sqrt(share / (1 - share)) if share else 0.0

    def draw(rng: np.random.Generator, n: int, seeds: int) -> Iterator[Table]:
        u, v = _bvn(rng, (n, seeds, 1), xy_corr)
        m = mean_m + w * u + k * rng.standard_normal((n, seeds, n_runs))
        g = mean_g + w * v + 0.1 * k * rng.standard_normal((n, seeds, n_runs))
        static = {"seed": np.repeat(np.arange(seeds), n_runs)}
        for a, name in enumerate(MEASURE_AXES):
            static[name] = np.tile(points[:, a], seeds)
        return _tables(static, {"sensitivity": m, "gap": g}, n)

    return draw


# --------------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------------

FALSE, TRUE = "false", "true"


@dataclass(frozen=True)
class Case:
    """One simulated truth for one claim's rule: ``draws`` makes the data sets.

    ``truth`` FALSE: the claim is false (no effect, or an effect exactly at its margin); the
    rate reported is P(SUPPORTED), the false-positive rate. TRUE: the claim holds with the
    effect calibration saw; reported are P(SUPPORTED) (power) and P(REFUTED) (false
    refutation). ``seeds``: None means every seed count of :func:`seed_counts`.
    """

    claim: str
    scenario: str
    truth: str
    draws: Draws
    calibration: bool = True  # TRUE cases: False for a stress variant (power reported only)

    @property
    def rule(self) -> str:
        return CALLS[self.claim][0]

    @property
    def experiment(self) -> str:
        return CALLS[self.claim][1]

    def decide(self, table: Table) -> Decision | None:
        try:
            return CALLS[self.claim][2](table)
        except ValueError:  # the claim turns it into INCONCLUSIVE
            return None


@dataclass(frozen=True)
class Outcome:
    n: int
    supported: float
    refuted: float
    statistic: float  # mean of the rule's statistic over the draws it decided


def seed_counts(experiment: str) -> list[int]:
    """3 and 5 seeds, and the ci and paper profiles' counts for ``experiment``."""
    return sorted({3, 5, profile_seeds(experiment, CI), profile_seeds(experiment, PAPER)})


def outcome(case: Case, seeds: int, n_draws: int = N_DRAWS, seed: int = 0) -> Outcome:
    """The verdicts of ``n_draws`` data sets of ``case`` with ``seeds`` seeds each.

    The generator is seeded by ``seed``, the case and the seed count, so a rate does not depend
    on which other cases ran before it.
    """
    return _outcome(CASES.index(case), seeds, n_draws, seed)


@cache
def _outcome(k: int, seeds: int, n_draws: int, seed: int) -> Outcome:
    case = CASES[k]
    key = f"{case.claim}|{case.scenario}|{seeds}"
    rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
    sup = ref = 0
    stat = []
    for table in case.draws(rng, n_draws, seeds):
        d = case.decide(table)
        if d is None:
            continue
        sup += d.verdict is Verdict.SUPPORTED
        ref += d.verdict is Verdict.REFUTED
        if math.isfinite(d.statistic):
            stat.append(d.statistic)
    return Outcome(
        n_draws, sup / n_draws, ref / n_draws, float(np.mean(stat)) if stat else math.nan
    )


def mc_slack(p: float, n: int) -> float:
    """Two Monte-Carlo standard errors of a rate ``p`` estimated from ``n`` draws."""
    return 2 * math.sqrt(p * (1 - p) / n)


SEED_SHARES = (0.3, 0.6)

CASES: list[Case] = []


def _add(claim: str, scenario: str, truth: str, draws: Draws, calibration: bool = True) -> None:
    CASES.append(Case(claim, scenario, truth, draws, calibration))


def _build() -> None:
    # random-labels-fit: one missed image in expectation is the smallest failure
    _add("random-labels-fit", "misses ~ Poisson(1)", FALSE, fit_draws(1.0))
    _add(
        "random-labels-fit",
        "seed effect: misses ~ Poisson-Gamma(1, CV 1)",
        FALSE,
        fit_draws(1.0, cv=1.0),
    )
    _add("random-labels-fit", "calibration: every image fitted", TRUE, fit_draws(0.0))

    # random-labels-chance: offset exactly at the margin
    m = _margin("random-labels-chance")
    for c in (0.0, 0.3, ACC_REF_CORR, 0.6):
        _add(
            "random-labels-chance",
            f"offset = margin, corr(acc, ref) {c:g}",
            FALSE,
            chance_draws(m, corr=c),
        )
    _add("random-labels-chance", "offset = -margin", FALSE, chance_draws(-m))
    _add("random-labels-chance", "offset = margin, spread 3x", FALSE, chance_draws(m, ratio=3))
    _add("random-labels-chance", "leaked labels: test acc 0.87", FALSE, chance_draws(0.77))
    _add("random-labels-chance", "calibration: offset 0, sd 0.010", TRUE, chance_draws(0.0))

    # random-labels-overfit: rise exactly at the margin, AR(1) curves
    m = _margin("random-labels-overfit")
    _add("random-labels-overfit", "rise = margin, AR(1) 0.99", FALSE, overfit_draws(m))
    for s in SEED_SHARES:
        _add(
            "random-labels-overfit",
            f"rise = margin, AR(1) 0.99, seed {s:g}",
            FALSE,
            overfit_draws(m, corr=s, share=s),
        )
    _add(
        "random-labels-overfit",
        "rise = margin, AR(1) 0.99, spread 3x",
        FALSE,
        overfit_draws(m, corr=0.3, share=0.3, ratio=3),
    )
    for s in (0.0, 0.3):
        _add(
            "random-labels-overfit",
            f"rise = margin after a plateau, AR(1) 0.99, seed {s:g}",
            FALSE,
            overfit_draws(m, corr=s, share=s, plateau=0.8),
        )
    _add(
        "random-labels-overfit",
        "train loss flat, AR(1) 0.99, seed 0.6",
        FALSE,
        overfit_draws(18.7, train_falls=False, corr=0.6, share=0.6),
    )
    _add(
        "random-labels-overfit",
        "calibration: 2.32 -> 21 nats",
        TRUE,
        overfit_draws(18.7, corr=0.3, share=0.3),
    )

    # width-monotone
    flat = np.full(len(WIDTHS), 0.93)
    for s in SEED_SHARES:
        _add(
            "width-monotone",
            f"flat (no trend), pairs pass, seed {s:g}",
            FALSE,
            width_draws(flat, sd=0.0003, share=s),
        )
    for s in SEED_SHARES:
        _add(
            "width-monotone",
            f"w90 drops margin, seed {s:g}",
            FALSE,
            width_draws(width_drop(-1), share=s),
        )
    sd_worst = np.full(len(WIDTHS), 0.0003)
    sd_worst[-2:] = WIDTH_SD
    _add(
        "width-monotone",
        "w90 drops margin, other pairs sure",
        FALSE,
        width_draws(width_drop(-1), sd=sd_worst, ratio=1),
    )
    _add("width-monotone", "w10 drops margin, spread 3x", FALSE, width_draws(width_drop(1)))
    _add(
        "width-monotone",
        "calibration: smooth curve, diff sd 0.006",
        TRUE,
        width_draws(width_curve(), ratio=1),
    )
    _add(
        "width-monotone",
        "calibration, sd 3x at the narrow end",
        TRUE,
        width_draws(width_curve()),
        calibration=False,
    )
    _add(
        "width-monotone",
        "calibration + w5 collapses (p 1/3)",
        TRUE,
        width_draws(width_curve(), ratio=1, collapse=1 / 3),
        calibration=False,
    )

    # interpolation-peak: barrier exactly at the margin
    m = _margin("interpolation-peak")
    for c in (0.0, 0.3, 0.6):
        _add(
            "interpolation-peak",
            f"barrier = margin, sd 0.4, corr {c:g}",
            FALSE,
            peak_draws(m, 0.4, corr=c),
        )
    _add(
        "interpolation-peak",
        "barrier = margin, test sd 3x, corr 0.6",
        FALSE,
        peak_draws(m, 0.4, corr=0.6, ratio=3),
    )
    _add(
        "interpolation-peak",
        "peak at a = 0.2, barrier 40",
        FALSE,
        peak_draws(40.0, 4.0, corr=0.6, centre=0.2),
    )
    _add(
        "interpolation-peak",
        "calibration independent: barrier U(35, 48)",
        TRUE,
        peak_draws(0.0, 0.0, uniform=(35.0, 48.0)),
    )
    _add(
        "interpolation-peak",
        "calibration shared: barrier N(2.1, 0.4)",
        TRUE,
        peak_draws(2.1, 0.4, corr=0.6),
    )

    # shared-init-lower-barrier: equal barriers
    for c in (0.0, 0.3, 0.6):
        _add(
            "shared-init-lower-barrier",
            f"equal barriers N(10, 3), corr {c:g}",
            FALSE,
            lower_barrier_draws((10.0, 3.0), (10.0, 3.0), corr=c),
        )
    _add(
        "shared-init-lower-barrier",
        "equal barriers, independent sd 3x, corr 0.6",
        FALSE,
        lower_barrier_draws((10.0, 3.0), (10.0, 3.0), corr=0.6, ratio=3),
    )
    _add(
        "shared-init-lower-barrier",
        "calibration: 41.5 +- 4 vs 2.1 +- 0.4",
        TRUE,
        lower_barrier_draws((41.5, 4.0), (2.1, 0.4), corr=0.3),
    )

    # within-seed trends, x measured
    for claim, ycol, tau in (
        ("sensitivity-gap", "gap", 0.19),
        ("sensitivity-accuracy", "test_acc", -0.2),
    ):
        for s in SEED_SHARES:
            _add(
                claim,
                f"no relation, seed {s:g} (x-y 0.8)",
                FALSE,
                measured_draws("sensitivity", ycol, 0.0, share=s),
            )
        _add(
            claim,
            "trend only between seeds (seed 0.9, x-y 1.0)",
            FALSE,
            measured_draws("sensitivity", ycol, 0.0, share=0.9, xy_corr=1.0),
        )
        _add(
            claim,
            "no relation, sd(x), sd(y) 3x along batch size",
            FALSE,
            measured_draws("sensitivity", ycol, 0.0, share=0.3, ratio=3),
        )
        _add(
            claim,
            f"calibration: tau {tau:+g}, seed 0.3",
            TRUE,
            measured_draws("sensitivity", ycol, tau, share=0.3),
        )
    _add(
        "sensitivity-gap",
        "measured: tau -0.19, seed 0.3",
        FALSE,
        measured_draws("sensitivity", "gap", -0.19, share=0.3),
    )

    # within-seed trends on a fixed grid
    for claim, xcol, grid, ycol, tau in (
        ("sharpness-batch", "batch_size", BATCH_SIZES, "sharpness", 0.08),
        ("corruption-test-monotone", "fraction", FRACTIONS, "test_acc", -0.94),
    ):
        for s in SEED_SHARES:
            _add(claim, f"flat, seed level {s:g}", FALSE, grid_draws(xcol, grid, ycol, 0.0, s))
        _add(claim, "flat, sd 3x along x", FALSE, grid_draws(xcol, grid, ycol, 0.0, 0.3, ratio=3))
        _add(
            claim,
            f"calibration: tau {tau:+g}, seed 0.3, sd 3x",
            TRUE,
            grid_draws(xcol, grid, ycol, tau, 0.3, ratio=3),
        )

    # fit-time-grows and corruption-fit (label corruption, censored at the budget)
    for s in SEED_SHARES:
        _add(
            "fit-time-grows",
            f"flat, 30% censored, seed {s:g}",
            FALSE,
            corruption_draws(0.0, 0.3, share=s),
        )
    _add(
        "fit-time-grows",
        "flat, 30% censored at the end, sd 3x",
        FALSE,
        corruption_draws(0.0, 0.3, share=0.3, ratio=3),
    )
    _add(
        "fit-time-grows",
        "calibration: tau 0.72, 20% censored at f=1",
        TRUE,
        corruption_draws(0.72, 0.2, share=0.3),
    )
    _add(
        "corruption-fit",
        "f=1 fits w.p. 0.37, seed 0.6",
        FALSE,
        corruption_draws(0.72, 1 - math.exp(-1), share=0.6),
    )
    _add(
        "corruption-fit",
        "calibration: every run fits (0.1% censored)",
        TRUE,
        corruption_draws(0.72, 0.001, share=0.3),
    )

    # granulated measures: within each axis
    for s in SEED_SHARES:
        _add(
            "sensitivity-granulated",
            f"corruption axis null, others tau 0.9, seed {s:g}",
            FALSE,
            measures_draws((0.9, 0.9, 0.0), share=s),
        )
    _add(
        "sensitivity-granulated",
        "corruption axis null, others 0.9, sd 3x",
        FALSE,
        measures_draws((0.9, 0.9, 0.0), share=0.3, ratio=3),
    )
    _add(
        "sensitivity-granulated",
        "trend only between seeds (seed 0.9, x-y 1.0)",
        FALSE,
        measures_draws((0.0, 0.0, 0.0), share=0.9, xy_corr=1.0),
    )
    _add(
        "sensitivity-granulated",
        "calibration: tau 0.3 on every axis, seed 0.3",
        TRUE,
        measures_draws((0.3, 0.3, 0.3), share=0.3),
    )


_build()


# --------------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------------


def rows(
    n_draws: int = N_DRAWS, n_power: int | None = None, seed: int = 0
) -> list[dict[str, object]]:
    """One row per (case, seed count, kind); false positives at every seed count of the case."""
    n_power = n_draws if n_power is None else n_power
    out: list[dict[str, object]] = []
    for case in CASES:
        ci = profile_seeds(case.experiment)
        for s in seed_counts(case.experiment):
            n = n_draws if case.truth == FALSE else n_power
            o = outcome(case, s, n, seed)
            base = {"claim": case.claim, "rule": case.rule, "scenario": case.scenario, "seeds": s}
            if case.truth == FALSE:
                kinds = [("false positive", o.supported, "<= 0.05")]
            else:
                power_req = f">= {POWER_MIN:.2f}" if s == ci and case.calibration else "report"
                kinds = [
                    ("power", o.supported, power_req),
                    ("false refutation", o.refuted, "<= 0.05"),
                ]
            for kind, r, req in kinds:
                if req.startswith("<="):
                    ok = r <= FP_MAX + mc_slack(FP_MAX, n)
                elif req.startswith(">="):
                    ok = r >= POWER_MIN - mc_slack(POWER_MIN, n)
                else:
                    ok = None
                out.append(
                    {
                        **base,
                        "kind": kind,
                        "rate": r,
                        "requirement": req,
                        "ok": "" if ok is None else ("yes" if ok else "NO"),
                        "statistic": o.statistic,
                        "draws": n,
                    }
                )
    return out


def table(n_draws: int = N_DRAWS, n_power: int | None = None, seed: int = 0) -> pd.DataFrame:
    return pd.DataFrame(rows(n_draws, n_power, seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--draws", type=int, default=N_DRAWS, help="draws per case and seeds")
    parser.add_argument("--power-draws", type=int, default=None, help="draws for power rows")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generators")
    args = parser.parse_args(argv)
    df = table(args.draws, args.power_draws, args.seed)
    with pd.option_context("display.width", 250, "display.max_colwidth", 60):
        print(df.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
