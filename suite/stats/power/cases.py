"""Every simulated truth of every claim: the list of :class:`~suite.stats.power.outcomes.Case`."""

from __future__ import annotations

import math

import numpy as np

from suite.stats.power.claims import claim_margin, claim_share
from suite.stats.power.grid import measures_draws
from suite.stats.power.interpolation import lower_barrier_draws, peak_draws
from suite.stats.power.outcomes import (  # noqa: F401  (the names the tests read here)
    FALSE,
    FP_MAX,
    N_DRAWS,
    POWER_MIN,
    TRUE,
    Case,
    Outcome,
    mc_slack,
    outcome,
    seed_counts,
)
from suite.stats.power.random_labels import ACC_REF_CORR, chance_draws, overfit_draws, share_draws
from suite.stats.power.shared import Draws
from suite.stats.power.trends import (
    BATCH_SIZES,
    FRACTIONS,
    corruption_draws,
    grid_draws,
    measured_draws,
)
from suite.stats.power.width import (
    WIDTH_SD,
    WIDTHS,
    width_curve,
    width_draws,
    width_drop,
    width_slow_decline,
)

SEED_SHARES = (0.3, 0.6)
#: Spreads of a barrier at its margin (mean 2 points): the barrier's own sd, by shape.
MARGIN_SPREADS = (
    ("lognormal", 0.4),
    ("lognormal", 1.0),
    ("lognormal", 1.9),
    ("normal", 0.4),
    ("gamma", 1.0),
    ("gamma", 1.9),
)

CASES: list[Case] = []


def _add(claim: str, scenario: str, truth: str, draws: Draws, calibration: bool = True) -> None:
    CASES.append(Case(claim, scenario, truth, draws, calibration))


def _build() -> None:
    # random-labels-fit: the share of seeds that fit exactly at the claim's P (its margin)
    p = claim_share("random-labels-fit")
    _add("random-labels-fit", f"share fitting = P = {p:g}", FALSE, share_draws(p))
    _add("random-labels-fit", "share fitting 0.3", FALSE, share_draws(0.3))
    _add("random-labels-fit", "calibration: 197 of 200 seeds fit", TRUE, share_draws(197 / 200))

    # random-labels-chance: offset exactly at the margin
    m = claim_margin("random-labels-chance")
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
    m = claim_margin("random-labels-overfit")
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
        "slow decline: w50 -> w90 down 0.008 in steps of 0.002",
        FALSE,
        width_draws(width_slow_decline(), ratio=1),
    )
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

    # interpolation-peak: mean barrier exactly at the margin (both directions are false there:
    # P(SUPPORTED) is checked here, P(REFUTED) in suite/tests/stats/test_rules_barriers.py)
    m = claim_margin("interpolation-peak")
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
    for dist, sd in MARGIN_SPREADS:
        _add(
            "interpolation-peak",
            f"barrier = margin, {dist} sd {sd:g}, corr 0.6",
            FALSE,
            peak_draws(m, sd, corr=0.6, dist=dist),
        )
    _add(
        "interpolation-peak",
        "shared init: barrier lognormal 1.0 +- 0.8, corr 0.6",
        FALSE,
        peak_draws(1.0, 0.8, corr=0.6, dist="lognormal"),
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

    # shared-init-lower-barrier: equal mean barriers
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
        "equal barriers lognormal 2 +- 1.9, corr 0.3",
        FALSE,
        lower_barrier_draws((2.0, 1.9), (2.0, 1.9), corr=0.3, shapes=("lognormal", "lognormal")),
    )
    _add(
        "shared-init-lower-barrier",
        "equal barriers lognormal 10 +- 3, corr 0.6",
        FALSE,
        lower_barrier_draws((10.0, 3.0), (10.0, 3.0), corr=0.6, shapes=("lognormal", "lognormal")),
    )
    _add(
        "shared-init-lower-barrier",
        "shared higher (refutation power): 2.1 +- 0.4 vs 10 +- 3, corr 0.3",
        FALSE,
        lower_barrier_draws((2.1, 0.4), (10.0, 3.0), corr=0.3),
    )
    _add(
        "shared-init-lower-barrier",
        "shared higher, lognormal: 2 +- 1.9 vs 10 +- 3, corr 0.3",
        FALSE,
        lower_barrier_draws((2.0, 1.9), (10.0, 3.0), corr=0.3, shapes=("lognormal", "normal")),
    )
    _add(
        "shared-init-lower-barrier",
        "calibration: 41.5 +- 4 vs 2.1 +- 0.4",
        TRUE,
        lower_barrier_draws((41.5, 4.0), (2.1, 0.4), corr=0.3),
    )
    _add(
        "shared-init-lower-barrier",
        "calibration, shared lognormal: 41.5 +- 4 vs 2.1 +- 0.8",
        TRUE,
        lower_barrier_draws((41.5, 4.0), (2.1, 0.8), corr=0.3, shapes=("normal", "lognormal")),
        calibration=False,
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
            "each seed its own tau ~ N(0, 0.3), seed 0.3",
            FALSE,
            measured_draws("sensitivity", ycol, 0.0, share=0.3, tau_sd=0.3),
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
            "each seed its own tau ~ N(0, 0.3), sd 3x",
            FALSE,
            grid_draws(xcol, grid, ycol, 0.0, 0.3, ratio=3, tau_sd=0.3),
        )
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
        f"f=1 fits w.p. P = {claim_share('corruption-fit'):g}, seed 0.6",
        FALSE,
        corruption_draws(0.72, 1 - claim_share("corruption-fit"), share=0.6),
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
