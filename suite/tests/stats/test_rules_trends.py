"""``suite.stats.rules.trends``: trends within seeds, the width sweep and the overfitting rule.

Every rule gets its three verdicts on hand-built data, with the arguments of the claim tests in
``suite/claims/`` (sensitivity, sharpness, label corruption, width, random labels).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from suite.profiles import BATCH_SIZES, FRACTIONS, WIDTHS
from suite.stats import rules
from suite.stats.catalog import spec_for
from suite.stats.verdicts import Verdict

SEEDS = 3  # the ci profile's

# Three orderings of 10 batch sizes with no relation to them: Kendall's S is -1, +1, -1.
NO_TREND = np.array(
    [
        [4, 6, 2, 7, 3, 5, 9, 0, 8, 1],
        [7, 3, 0, 5, 6, 8, 4, 1, 9, 2],
        [2, 9, 3, 6, 0, 4, 8, 7, 5, 1],
    ],
    dtype=float,
)
RISING = np.tile(np.arange(10.0), (SEEDS, 1))


def batch_runs(sensitivity: np.ndarray, **columns: np.ndarray) -> pd.DataFrame:
    """One row per (batch size, seed) from (seeds, batch sizes) arrays, like the batch sweep."""
    n_seeds, n_batch = sensitivity.shape
    data = {
        "seed": np.repeat(np.arange(n_seeds), n_batch),
        "batch_size": np.tile(BATCH_SIZES[:n_batch], n_seeds),
        "sensitivity": sensitivity.ravel(),
    }
    data.update({name: values.ravel() for name, values in columns.items()})
    return pd.DataFrame(data)


# --- sensitivity-gap and the other within-seed trends -------------------------------------------


def sensitivity_gap(runs: pd.DataFrame):
    return rules.within_seed_trend(
        runs, x="sensitivity", y="gap", direction="increasing", alpha=0.05
    )


def test_a_trend_in_every_seed_is_supported():
    runs = batch_runs(1.0 + 0.2 * RISING, gap=0.1 + 0.03 * RISING)
    d = sensitivity_gap(runs)
    assert d.verdict is Verdict.SUPPORTED
    assert d.statistic == pytest.approx(1.0)
    assert d.details["S"] == 3 * 45


def test_the_opposite_trend_in_every_seed_is_refuted():
    runs = batch_runs(1.0 + 0.2 * RISING, gap=0.5 - 0.03 * RISING)
    d = sensitivity_gap(runs)
    assert d.verdict is Verdict.REFUTED
    assert d.statistic == pytest.approx(-1.0)


def test_no_relation_within_seeds_is_inconclusive():
    runs = batch_runs(1.0 + 0.2 * RISING, gap=0.1 + 0.03 * NO_TREND)
    d = sensitivity_gap(runs)
    assert d.verdict is Verdict.INCONCLUSIVE
    assert d.details["S"] == -1


def test_a_trend_only_between_seeds_is_not_supported():
    # Each seed shifts sensitivity and gap together (a shared initialization, batch order), so
    # pooled over seeds the two rise together; within a seed the gap has no relation to it.
    shift = np.array([[0.0], [1.0], [2.0]])
    runs = batch_runs(1.0 + 5 * shift + 0.2 * RISING, gap=0.1 + shift + 0.03 * NO_TREND)
    pooled = stats.kendalltau(runs["sensitivity"], runs["gap"], alternative="greater")
    assert pooled.pvalue < 1e-6  # what pooling the rows as independent would conclude
    assert sensitivity_gap(runs).verdict is Verdict.INCONCLUSIVE


def test_a_decreasing_claim_is_supported_by_a_falling_trend():
    # sensitivity-accuracy: sensitivity is larger where test accuracy is smaller.
    runs = batch_runs(1.0 + 0.2 * RISING, test_acc=0.97 - 0.002 * RISING)
    d = rules.within_seed_trend(
        runs, x="sensitivity", y="test_acc", direction="decreasing", alpha=0.05
    )
    assert d.verdict is Verdict.SUPPORTED
    assert d.statistic == pytest.approx(-1.0)


def test_a_decreasing_claim_is_refuted_by_a_rising_trend():
    runs = batch_runs(1.0 + 0.2 * RISING, test_acc=0.95 + 0.002 * RISING)
    d = rules.within_seed_trend(
        runs, x="sensitivity", y="test_acc", direction="decreasing", alpha=0.05
    )
    assert d.verdict is Verdict.REFUTED


def test_a_trend_decision_carries_the_t_interval_of_the_mean_tau():
    rng = np.random.default_rng(4)
    sens = 1.0 + 0.2 * RISING + rng.normal(0, 0.3, RISING.shape)
    runs = batch_runs(sens, gap=0.1 + 0.03 * RISING + rng.normal(0, 0.05, RISING.shape))
    d = sensitivity_gap(runs)
    taus = np.array(d.details["per_seed_tau"])
    half = stats.t.ppf(0.95, SEEDS - 1) * taus.std(ddof=1) / np.sqrt(SEEDS)
    assert d.interval == pytest.approx((taus.mean() - half, min(1.0, taus.mean() + half)))
    assert d.interval_level == pytest.approx(0.90)
    assert d.details["reference"] == "t"
    assert d.seeds_needed is None or d.verdict is Verdict.INCONCLUSIVE


def test_an_inconclusive_trend_says_how_many_seeds_would_decide_it():
    rng = np.random.default_rng(6)
    sens = rng.normal(0, 1, (SEEDS, 10))
    runs = batch_runs(sens, gap=0.3 * sens + rng.normal(0, 1, (SEEDS, 10)))
    d = sensitivity_gap(runs)
    assert d.verdict is Verdict.INCONCLUSIVE
    taus = np.array(d.details["per_seed_tau"])
    from suite.stats.rules.significance import t_seeds_needed

    assert d.seeds_needed == t_seeds_needed(taus.mean(), taus.std(ddof=1), 0.05)
    assert d.seeds_needed > SEEDS


def test_no_trend_at_all_cannot_say_how_many_seeds():
    same = np.tile(NO_TREND[:1], (SEEDS, 1))  # the same S = -1 ordering in every seed
    zero = np.tile([[2.0, 0, 3, 1, 4, 5, 6, 7, 8, 9]], (SEEDS, 1))
    d = sensitivity_gap(batch_runs(RISING, gap=zero * 0 + same))
    assert d.verdict is Verdict.INCONCLUSIVE
    assert d.details["reference"] == "permutation"  # every seed the same S: no spread


def test_seeds_that_each_rank_perfectly_but_disagree_are_not_supported():
    gap = np.vstack([RISING[0], RISING[0], RISING[0][::-1]])
    d = sensitivity_gap(batch_runs(RISING, gap=0.1 + 0.03 * gap))
    assert d.verdict is Verdict.INCONCLUSIVE
    assert d.details["per_seed_S"] == [45, 45, -45]


def test_the_direction_is_checked():
    runs = batch_runs(RISING, gap=RISING)
    with pytest.raises(ValueError, match="direction"):
        rules.within_seed_trend(runs, x="sensitivity", y="gap", direction="up", alpha=0.05)


# --- fit-time-grows: rules.censored_trend -------------------------------------------------------


def corruption_runs(fit_epochs: list[list[int]], budget: int = 100) -> pd.DataFrame:
    """One row per (fraction, seed) from per-fraction lists of per-seed epochs to fit."""
    rows = [
        {"seed": s, "fraction": f, "fitted": e <= budget, "epochs_to_fit": min(e, budget + 1)}
        for f, epochs in zip(FRACTIONS, fit_epochs, strict=True)
        for s, e in enumerate(epochs)
    ]
    return pd.DataFrame(rows)


def fit_time_grows(runs: pd.DataFrame):
    return rules.censored_trend(
        runs, x="fraction", y="epochs_to_fit", direction="increasing", alpha=0.01
    )


def test_fit_time_growing_with_censored_runs_last_is_supported():
    epochs = [[5, 6, 7], [15, 12, 14], [30, 35, 32], [50, 45, 60], [70, 150, 85], [150, 200, 95]]
    d = fit_time_grows(corruption_runs(epochs))
    assert d.verdict is Verdict.SUPPORTED
    assert d.details["n_censored"] == 3


def test_censored_runs_of_a_seed_tie_with_each_other():
    # Seed 1 never fits at fractions 0.8 and 1.0: both at budget + 1, a tie, as tau-b counts it.
    epochs = [[5, 6, 7], [15, 12, 14], [30, 35, 32], [50, 45, 60], [70, 150, 85], [150, 200, 95]]
    runs = corruption_runs(epochs)
    seed1 = runs[runs["seed"] == 1]
    d = fit_time_grows(runs)
    expected = stats.kendalltau(seed1["fraction"], seed1["epochs_to_fit"]).statistic
    assert d.details["per_seed_tau"][1] == pytest.approx(expected)
    assert expected < 1.0


def test_fit_time_falling_is_refuted():
    epochs = [[90, 95, 99], [70, 75, 72], [50, 55, 52], [30, 35, 32], [10, 15, 12], [5, 6, 7]]
    assert fit_time_grows(corruption_runs(epochs)).verdict is Verdict.REFUTED


def test_fit_time_without_a_trend_is_inconclusive():
    epochs = [[30, 50, 40], [50, 30, 45], [40, 45, 30], [45, 40, 50], [35, 55, 35], [55, 35, 42]]
    assert fit_time_grows(corruption_runs(epochs)).verdict is Verdict.INCONCLUSIVE


# --- width-monotone: rules.monotone_in_width ----------------------------------------------------

WIDTH_MARGIN = spec_for("width-monotone").margin
SEED_SHIFT = np.array([[-0.01], [0.0], [0.01]])  # a seed effect shared by all its widths
SMALL_NOISE = np.random.default_rng(1).normal(0.0, 0.0005, (SEEDS, len(WIDTHS)))


def mlp_params(width: int) -> int:
    """784 -> width -> width -> width -> 10, weights and biases."""
    return 784 * width + width + 2 * (width * width + width) + 10 * width + 10


def saturating(widths=WIDTHS) -> np.ndarray:
    """Test accuracy rising with width and flattening out: 0.8 + 0.15 (1 - exp(-w / 20))."""
    return 0.80 + 0.15 * (1.0 - np.exp(-np.asarray(widths) / 20.0))


def width_runs(test_acc: np.ndarray, train_acc: np.ndarray | None = None) -> pd.DataFrame:
    """One row per (width, seed) from a (seeds, widths) array of test accuracies."""
    n_seeds = test_acc.shape[0]
    train = np.full_like(test_acc, 0.99) if train_acc is None else train_acc
    return pd.DataFrame(
        {
            "width": np.tile(WIDTHS, n_seeds),
            "seed": np.repeat(np.arange(n_seeds), len(WIDTHS)),
            "params": np.tile([mlp_params(w) for w in WIDTHS], n_seeds),
            "test_acc": test_acc.ravel(),
            "train_acc": train.ravel(),
        }
    )


def width_monotone(runs: pd.DataFrame):
    return rules.monotone_in_width(
        runs, x="params", y="test_acc", group="width", alpha=0.01, margin=WIDTH_MARGIN
    )


def test_a_monotone_curve_with_small_paired_noise_is_supported():
    d = width_monotone(width_runs(saturating() + SEED_SHIFT + SMALL_NOISE))
    assert d.verdict is Verdict.SUPPORTED
    assert d.statistic > 0.9
    assert max(d.details["p_non_inferior"]) < 0.05


def test_one_width_worse_than_the_previous_by_003_in_every_seed_is_refuted():
    acc = saturating() + SEED_SHIFT + SMALL_NOISE
    acc[:, WIDTHS.index(60)] = acc[:, WIDTHS.index(50)] - 0.03
    d = width_monotone(width_runs(acc))
    assert d.verdict is Verdict.REFUTED
    assert re.search(r"width 60(\.0)? is worse than 50(\.0)?", d.reason)
    assert d.details["trend_p"] < 0.01  # the trend alone still holds: the pair refutes


def test_accuracy_falling_with_width_is_refuted():
    d = width_monotone(width_runs(1.75 - saturating() + SEED_SHIFT + SMALL_NOISE))
    assert d.verdict is Verdict.REFUTED
    assert "falls with width" in d.reason


def test_a_noisy_flat_tail_is_not_supported():
    # Rising up to width 20, flat at 0.95 from 30 on, with run-to-run noise (sd 0.004) near the
    # margin: non-inferiority within 0.005 cannot be shown from 3 seeds.
    flat_tail = np.where(np.array(WIDTHS) >= 30, 0.95, saturating())
    noise = np.random.default_rng(2).normal(0.0, 0.004, (SEEDS, len(WIDTHS)))
    d = width_monotone(width_runs(flat_tail + noise))
    assert d.verdict is Verdict.INCONCLUSIVE
    assert "non-inferiority" in d.reason


def test_a_collapsed_run_is_flagged_and_kept():
    # Seed 1's width-5 network died (all ReLUs off): train and test accuracy at chance.
    acc = saturating() + SEED_SHIFT + SMALL_NOISE
    train = np.full_like(acc, 0.99)
    acc[1, 0] = train[1, 0] = 0.1
    d = width_monotone(width_runs(acc, train))
    assert d.details["collapsed"] == [{"seed": 1, "width": 5, "train_acc": 0.1}]
    assert d.n_runs == SEEDS * len(WIDTHS)
    assert d.details["mean_difference"][0] > 0.2  # its 0.1 enters the 5 -> 10 comparison


def test_a_slow_decline_within_the_margin_at_every_step_is_refuted():
    # Rising to width 50, then down 0.002 a step to width 90: every consecutive pair is within
    # the 0.005 margin (the old rule's comparison), width 90 is 0.008 below width 50.
    seeds = 20
    acc = saturating()
    i50 = WIDTHS.index(50)
    acc[i50:] = acc[i50] - 0.002 * np.arange(len(WIDTHS) - i50)
    noise = np.random.default_rng(9).normal(0.0, 0.0005, (seeds, len(WIDTHS)))
    d = width_monotone(width_runs(acc + noise))
    assert min(np.diff(acc)) > -WIDTH_MARGIN
    assert d.verdict is Verdict.REFUTED
    assert re.search(r"width 90(\.0)? is worse than 50(\.0)?", d.reason)
    assert len(d.details["pairs"]) == 45  # every narrower -> wider pair


def test_width_monotone_carries_its_interval_margin_and_closest_pair():
    d = width_monotone(width_runs(saturating() + SEED_SHIFT + SMALL_NOISE))
    assert d.margin == WIDTH_MARGIN
    assert d.interval_level == pytest.approx(0.98)
    lo, hi = d.interval
    assert lo <= d.statistic <= hi
    j = d.details["pairs"].index(d.details["closest_pair"])
    assert d.details["closest_pair_mean"] == pytest.approx(d.details["mean_difference"][j])
    assert d.details["closest_pair_lower_bound"] > -WIDTH_MARGIN


def test_a_noisy_flat_tail_says_how_many_seeds_would_decide_it():
    flat_tail = np.where(np.array(WIDTHS) >= 30, 0.95, saturating())
    noise = np.random.default_rng(2).normal(0.0, 0.004, (SEEDS, len(WIDTHS)))
    d = width_monotone(width_runs(flat_tail + noise))
    assert d.verdict is Verdict.INCONCLUSIVE
    assert d.seeds_needed is None or d.seeds_needed > SEEDS


# --- random-labels-overfit: rules.overfits ------------------------------------------------------

OVERFIT_MARGIN = spec_for("random-labels-overfit").margin
EPOCHS = np.arange(0, 61, 5)


def curves(test_loss: np.ndarray, train_loss: np.ndarray) -> pd.DataFrame:
    """One row per (seed, evaluated epoch) from (seeds, epochs) arrays."""
    n_seeds = test_loss.shape[0]
    return pd.DataFrame(
        {
            "seed": np.repeat(np.arange(n_seeds), len(EPOCHS)),
            "epoch": np.tile(EPOCHS, n_seeds),
            "test_loss": test_loss.ravel(),
            "train_loss": train_loss.ravel(),
        }
    )


def memorizing(rates=(0.30, 0.32, 0.325)) -> np.ndarray:
    """Test loss dips from 2.3 to 2.0 at epoch 10, then climbs by ``rate`` nats per epoch.

    At 3 seeds the rule tests the last two (the first locates their minimum): their rises
    (16 and 16.25 nats) must agree well for a t with 1 df at alpha 0.01."""
    dip = 2.3 - 0.3 * np.minimum(EPOCHS, 10) / 10
    return np.array([dip + r * np.maximum(EPOCHS - 10, 0) for r in rates])


FALLING_TRAIN = np.tile(2.3 * np.exp(-EPOCHS / 15.0), (SEEDS, 1))


def overfits(frame: pd.DataFrame):
    return rules.overfits(
        frame, x="epoch", test="test_loss", train="train_loss", margin=OVERFIT_MARGIN, alpha=0.01
    )


def test_test_loss_rising_after_its_minimum_while_train_loss_falls_is_supported():
    d = overfits(curves(memorizing(), FALLING_TRAIN))
    assert d.verdict is Verdict.SUPPORTED
    assert d.details["min_epoch"] == [10, 10, 10]
    assert d.statistic == pytest.approx(50 * np.mean([0.30, 0.32, 0.325]))


def test_flat_noisy_test_loss_is_not_supported():
    flat = 2.3 + np.random.default_rng(3).normal(0.0, 0.02, (SEEDS, len(EPOCHS)))
    d = overfits(curves(flat, FALLING_TRAIN))
    assert d.verdict is not Verdict.SUPPORTED  # the 0.1-nat margin is what makes it a test
    assert d.p_value > 0.5


def test_falling_test_loss_is_refuted():
    falling = np.tile(2.3 - 0.01 * EPOCHS, (SEEDS, 1))
    d = overfits(curves(falling, FALLING_TRAIN))
    assert d.verdict is Verdict.REFUTED
    assert d.details["rise"] == [0.0, 0.0, 0.0]


def test_train_loss_rising_with_test_loss_is_refuted():
    rising_train = np.tile(0.5 + 0.01 * EPOCHS, (SEEDS, 1))
    d = overfits(curves(memorizing(), rising_train))
    assert d.verdict is Verdict.REFUTED
    assert max(d.details["fall"]) < 0


def test_rises_that_disagree_between_seeds_are_inconclusive():
    # Seed rises of 0.0, 0.5 and 0.1 nats: mean above the margin, but not shown to be.
    d = overfits(curves(memorizing(rates=(0.0, 0.01, 0.002)), FALLING_TRAIN))
    assert d.verdict is Verdict.INCONCLUSIVE
    assert d.details["rise"] == pytest.approx([0.0, 0.5, 0.1])


def test_a_rise_exactly_at_the_margin_is_not_supported():
    rise = OVERFIT_MARGIN * np.clip((EPOCHS - 10) / 50, 0, None)
    noise = np.random.default_rng(5).normal(0.0, 0.002, (SEEDS, len(EPOCHS)))
    d = overfits(curves(2.0 + rise + noise, FALLING_TRAIN))
    assert d.verdict is not Verdict.SUPPORTED
    assert d.statistic == pytest.approx(OVERFIT_MARGIN, abs=0.01)


def test_the_minimum_epoch_of_each_half_comes_from_the_other_half():
    # Seed 0 alone dips at epoch 30, seeds 1 and 2 at 10: the tested half (seeds 1, 2) takes
    # seed 0's epoch, seed 0 takes theirs; a half of one seed is not tested.
    te = memorizing()
    te[0, EPOCHS == 30] = 1.0
    d = overfits(curves(te, FALLING_TRAIN))
    assert d.details["min_epoch"] == [10, 30, 30]
    assert d.details["halves_tested"] == [[1, 2]]
    assert len(d.details["p_rise_per_half"]) == 1


def test_four_seeds_test_both_halves_with_bonferroni():
    te = np.vstack([memorizing(), memorizing()[:1]])
    tr = np.tile(FALLING_TRAIN[:1], (4, 1))
    d = overfits(curves(te, tr))
    assert d.details["halves_tested"] == [[2, 3], [0, 1]]
    p_rise = min(1.0, 2 * min(d.details["p_rise_per_half"]))
    assert d.details["p_rise"] == pytest.approx(p_rise)
    assert d.p_value == pytest.approx(max(p_rise, d.details["p_fall"]))
    assert d.interval_level == pytest.approx(0.98)
    assert d.margin == OVERFIT_MARGIN


def test_an_inconclusive_overfit_says_how_many_seeds_would_decide_it():
    d = overfits(curves(memorizing(rates=(0.0, 0.01, 0.002)), FALLING_TRAIN))
    assert d.verdict is Verdict.INCONCLUSIVE
    assert d.seeds_needed is not None and d.seeds_needed > SEEDS
