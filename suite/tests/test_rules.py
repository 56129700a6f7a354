"""Unit tests of the decision rules (``suite.rules``) and their error rates (``suite.rule_power``).

The first part checks each rule on small hand-made data with a known answer: both outcomes,
boundaries, and the inputs that must be an error (NaN, missing data, undefined statistics).
The second part holds every rule to the suite's requirements on synthetic data: at most 5%
false positives over 1000 draws without the effect, at least 90% acceptance over 1000 draws at
the effect size the calibration saw. A rule that, as fixed by the design, misses a requirement
is a strict xfail carrying the measured rate, so the shortfall stays visible and pinned.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from suite import rule_power as rp
from suite import rules
from suite.verdicts import Decision

ALPHAS = np.linspace(-1.0, 2.0, 31)


def json_ok(d: Decision) -> None:
    """Details must travel as strict JSON (no NaN or inf inside)."""
    json.dumps(d.details, allow_nan=False)
    json.dumps({k: v for k, v in asdict(d).items() if k not in ("statistic", "p_value")})


# --------------------------------------------------------------------------------------------
# random-labels-fit
# --------------------------------------------------------------------------------------------


class TestAllReach:
    def test_every_seed_at_one_is_supported(self):
        d = rules.all_reach([1.0, 1.0, 1.0])
        assert d.supported and d.statistic == 1.0 and d.p_value is None and d.n_runs == 3
        json_ok(d)

    def test_one_seed_missing_one_image_refutes(self):
        d = rules.all_reach([1.0, 999 / 1000, 1.0])
        assert not d.supported
        assert d.statistic == pytest.approx(0.999)
        assert d.details["seeds_below"] == 1

    def test_float32_accuracies(self):
        n = np.float32(1000)
        assert rules.all_reach(np.array([1000, 1000], dtype=np.float32) / n).supported
        assert not rules.all_reach(np.array([1000, 999], dtype=np.float32) / n).supported

    def test_rounding_tolerance_only(self):
        assert rules.all_reach([1.0 - 1e-13]).supported
        assert not rules.all_reach([1.0 - 1e-9]).supported

    @pytest.mark.parametrize("bad", [[1.0, math.nan], [1.0, math.inf], []])
    def test_nan_inf_or_empty_is_an_error(self, bad):
        with pytest.raises(ValueError, match=r"NaN or inf|no data"):
            rules.all_reach(bad)


# --------------------------------------------------------------------------------------------
# random-labels-chance
# --------------------------------------------------------------------------------------------


class TestWithinChance:
    SE = 0.003  # sqrt(0.1 * 0.9 / 10000)

    def test_inside_the_band(self):
        d = rules.within_chance([0.1, 0.1 + 2.9 * self.SE, 0.1 - 2.9 * self.SE], n_test=10_000)
        assert d.supported and d.p_value is None
        assert d.statistic == pytest.approx(2.9)
        assert d.details["se"] == pytest.approx(self.SE)
        json_ok(d)

    @pytest.mark.parametrize("sign", [1, -1])
    def test_one_seed_outside_refutes_on_either_side(self, sign):
        d = rules.within_chance([0.1, 0.1 + sign * 3.1 * self.SE, 0.1], n_test=10_000)
        assert not d.supported
        assert d.statistic == pytest.approx(3.1)

    def test_k_and_chance_are_parameters(self):
        # chance 0.5 on 100 examples: se 0.05
        assert rules.within_chance([0.59], n_test=100, chance=0.5, k=2).supported
        assert not rules.within_chance([0.61], n_test=100, chance=0.5, k=2).supported

    def test_bad_inputs(self):
        with pytest.raises(ValueError, match="NaN or inf"):
            rules.within_chance([0.1, math.nan], n_test=10_000)
        with pytest.raises(ValueError, match="outside"):
            rules.within_chance([1.2], n_test=10_000)
        with pytest.raises(ValueError, match="n_test"):
            rules.within_chance([0.1], n_test=0)


# --------------------------------------------------------------------------------------------
# random-labels-overfit
# --------------------------------------------------------------------------------------------


def loss_frame(curve: np.ndarray, offsets=(0.0, 0.01, -0.01), train: bool = False) -> pd.DataFrame:
    """One row per (seed, epoch): ``curve`` + a constant offset per seed."""
    n = len(curve)
    rows = {
        "seed": np.repeat(np.arange(len(offsets)), n),
        "epoch": np.tile(np.arange(n), len(offsets)),
        "test_loss": np.concatenate([curve + o for o in offsets]),
    }
    if train:
        rows["train_loss"] = np.tile(np.linspace(2.3, 0.1, n), len(offsets))
    return pd.DataFrame(rows)


class TestRisesAfterMinimum:
    def test_v_shape_is_supported(self):
        curve = np.abs(np.arange(20) - 5.0) + 2.0  # minimum at epoch 5, then rising
        d = rules.rises_after_minimum(loss_frame(curve, offsets=(0.0, 0.3, 0.6)))
        assert d.supported and d.p_value < 0.01 and d.statistic > 0
        assert d.details["min_epoch"] == 5
        assert d.details["n_epochs_after"] == 14
        assert d.details["n_rows"] == 3 * 14  # the minimum's own epoch is left out
        json_ok(d)

    def test_minimum_of_the_seed_mean_curve(self):
        # seed 0 bottoms out at epoch 3, seed 1 at epoch 5: their mean at epoch 4
        e = np.arange(12.0)
        df = pd.DataFrame(
            {
                "seed": np.repeat([0, 1], 12),
                "epoch": np.tile(e, 2),
                "test_loss": np.concatenate([(e - 3) ** 2, (e - 5) ** 2]),
            }
        )
        d = rules.rises_after_minimum(df)
        assert d.details["min_epoch"] == 4 and d.details["n_rows"] == 2 * 7
        assert d.supported

    def test_row_order_does_not_matter(self):
        curve = np.abs(np.arange(20) - 5.0) + 2.0
        df = loss_frame(curve)
        a = rules.rises_after_minimum(df)
        b = rules.rises_after_minimum(df.sample(frac=1.0, random_state=1))
        assert (a.statistic, a.p_value, a.details["min_epoch"]) == (
            b.statistic,
            b.p_value,
            b.details["min_epoch"],
        )

    def test_falling_curve_is_refuted_not_an_error(self):
        d = rules.rises_after_minimum(loss_frame(np.linspace(2.3, 1.0, 20)))
        assert not d.supported
        assert math.isnan(d.statistic) and d.p_value is None
        assert d.details["n_epochs_after"] == 0 and "does not rise" in d.details["reason"]
        json_ok(d)

    def test_too_few_epochs_after_the_minimum(self):
        curve = np.r_[np.linspace(3.0, 1.0, 17), [1.5, 2.0]]  # min at 16, 2 epochs after
        d = rules.rises_after_minimum(loss_frame(curve))
        assert not d.supported and d.details["n_epochs_after"] == 2

    def test_no_trend_after_the_minimum_is_refuted(self):
        half = np.array([2.0, 3.0, 2.5, 2.2, 2.8, 2.1, 2.9, 2.4])
        after = np.r_[half, half[::-1]]  # a palindrome: tau(epoch, loss) is exactly 0
        d = rules.rises_after_minimum(loss_frame(np.r_[[3.0, 1.0], after]))
        assert not d.supported and d.statistic == pytest.approx(0.0, abs=1e-12)

    def test_falling_after_the_minimum_is_refuted(self):
        # the global minimum is early; afterwards the loss jumps up once then falls slowly
        curve = np.r_[[2.0, 1.0], np.linspace(3.0, 2.5, 15)]
        d = rules.rises_after_minimum(loss_frame(curve))
        assert not d.supported and d.statistic < 0

    def test_train_loss_is_reported_not_decided(self):
        curve = np.abs(np.arange(20) - 5.0) + 2.0
        d = rules.rises_after_minimum(loss_frame(curve, train=True))
        assert d.supported and d.details["train_tau"] < 0

    def test_errors(self):
        curve = np.abs(np.arange(10) - 3.0)
        df = loss_frame(curve)
        with pytest.raises(ValueError, match="incomplete"):
            rules.rises_after_minimum(df.iloc[1:])
        with pytest.raises(ValueError, match="duplicate"):
            rules.rises_after_minimum(pd.concat([df, df.iloc[:1]]))
        bad = df.copy()
        bad.loc[5, "test_loss"] = math.nan
        with pytest.raises(ValueError, match="NaN or inf"):
            rules.rises_after_minimum(bad)
        with pytest.raises(ValueError, match="missing column 'test_loss'"):
            rules.rises_after_minimum(df.drop(columns="test_loss"))
        flat_after = loss_frame(np.r_[[2.0, 1.0], np.full(8, 2.0)], offsets=(0.0, 0.0))
        with pytest.raises(ValueError, match="constant"):
            rules.rises_after_minimum(flat_after)


# --------------------------------------------------------------------------------------------
# width-monotone
# --------------------------------------------------------------------------------------------

WIDTHS = [5, 10, 20, 30, 40, 50, 60, 70, 80, 90]
SPREAD = np.array([-0.01, 0.0, 0.01])  # 3 seeds: sd 0.01, se 0.00577, se_diff 0.00816


def width_frame(means, widths=WIDTHS, spread=SPREAD) -> pd.DataFrame:
    widths = list(widths)
    return pd.DataFrame(
        {
            "width": np.repeat(widths, len(spread)),
            "params": np.repeat(rp.mlp_params(np.array(widths)), len(spread)),
            "test_acc": np.concatenate([m + spread for m in means]),
        }
    )


class TestMonotoneTrend:
    def test_rising_is_supported(self):
        d = rules.monotone_trend(width_frame(np.linspace(0.80, 0.98, 10)))
        assert d.supported and d.statistic > 0.7 and d.p_value < 0.01
        assert d.details["trend_ok"] and d.details["no_drop_ok"]
        assert d.details["worst_drop_se"] < 0  # never below the best smaller width
        assert d.n_runs == 30
        json_ok(d)

    def test_small_dip_within_two_se_is_allowed(self):
        means = np.linspace(0.80, 0.98, 10)
        means[6] = means[5] - 0.01  # 1.22 SE below width 50
        d = rules.monotone_trend(width_frame(means))
        assert d.supported
        assert d.details["worst_pair"] == [50, 60]
        assert d.details["worst_drop_se"] == pytest.approx(0.01 / math.sqrt(2e-4 / 3))

    def test_dip_beyond_two_se_refutes_even_with_a_strong_trend(self):
        means = np.linspace(0.80, 0.98, 10)
        means[6] = means[5] - 0.02  # 2.45 SE
        d = rules.monotone_trend(width_frame(means))
        assert d.details["trend_ok"] and not d.details["no_drop_ok"] and not d.supported
        assert d.details["worst_drop_se"] == pytest.approx(0.02 / math.sqrt(2e-4 / 3))

    def test_compared_with_the_best_smaller_width_not_the_previous_one(self):
        means = np.linspace(0.80, 0.98, 10)
        means[4] = means[3] + 0.05  # width 40 is the best so far
        # width 50 is 0.04 above width 30 but 0.01 (1.22 SE) below width 40, the best smaller
        d = rules.monotone_trend(width_frame(means))
        worst = max(d.details["drops"], key=lambda r: r["drop_se"])
        assert worst["best_smaller"] == 40 and worst["width"] == 50
        assert d.details["worst_pair"] == [40, 50]
        # widths 60, 70 are compared with 40 too, as long as 40 stays the best
        by_width = {r["width"]: r["best_smaller"] for r in d.details["drops"]}
        assert by_width[60] == 40

    def test_groups_are_ordered_by_x_not_by_label(self):
        df = width_frame(np.linspace(0.80, 0.98, 10))
        df["width"] = df["width"].map(lambda w: f"w{w}")  # "w10" < "w5" as strings
        d = rules.monotone_trend(df)
        assert d.supported and d.details["groups"][:3] == ["w5", "w10", "w20"]

    def test_flat_or_falling_is_refuted(self):
        d = rules.monotone_trend(width_frame(np.linspace(0.98, 0.80, 10)))
        assert not d.supported and d.statistic < 0 and not d.details["trend_ok"]

    def test_zero_variance_groups(self):
        means = np.linspace(0.80, 0.98, 10)
        d = rules.monotone_trend(width_frame(means, spread=np.zeros(3)))
        assert d.supported  # no drop at all: 0 SE
        means[9] = means[8] - 1e-6
        d = rules.monotone_trend(width_frame(means, spread=np.zeros(3)))
        assert not d.supported and d.details["worst_drop_se"] is None  # infinitely many SE
        json_ok(d)

    def test_a_single_run_per_width_is_an_error(self):
        with pytest.raises(ValueError, match="fewer than 2 runs"):
            rules.monotone_trend(width_frame(np.linspace(0.8, 0.98, 10), spread=np.zeros(1)))

    def test_nan_is_an_error(self):
        df = width_frame(np.linspace(0.8, 0.98, 10))
        df.loc[3, "test_acc"] = math.nan
        with pytest.raises(ValueError, match="NaN or inf"):
            rules.monotone_trend(df)


# --------------------------------------------------------------------------------------------
# interpolation-peak
# --------------------------------------------------------------------------------------------


def interp_frame(barriers, peaks=None, alphas=ALPHAS, test_scale=1.2) -> pd.DataFrame:
    """One seed per barrier: endpoint losses 0.10 / 0.12 (test +0.1), linear in between, plus
    a triangular bump peaking at ``peaks`` (0.5) whose top is ``b`` above the larger endpoint
    (``test_scale * b`` for the test loss); the loss grows linearly outside [0, 1]."""
    barriers = np.asarray(barriers, dtype=float)
    peaks = np.full(len(barriers), 0.5) if peaks is None else np.asarray(peaks)
    a = np.asarray(alphas)
    base = 0.1 + 0.02 * np.clip(a, 0, 1) + np.clip(-a, 0, None) + np.clip(a - 1, 0, None)
    rows = []
    for s, (b, c) in enumerate(zip(barriers, peaks, strict=True)):
        tri = np.where(a <= c, np.clip(a / c, 0, 1), np.clip((1 - a) / (1 - c), 0, 1))
        lift = 0.02 * (1 - c)  # base(c) is 0.02 (1 - c) below the larger endpoint, 0.12
        rows.append(
            pd.DataFrame(
                {
                    "seed": s,
                    "alpha": a,
                    "train_loss": base + (b + lift) * tri,
                    "test_loss": base + 0.1 + (test_scale * b + lift) * tri,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


class TestInterpolationPeak:
    def test_peak_at_half_is_supported(self):
        d = rules.interpolation_peak(interp_frame([1.5, 1.6, 1.7]))
        assert d.supported and d.p_value < 0.05 and d.n_runs == 3
        tr = d.details["losses"]["train_loss"]
        assert tr["argmax"] == [pytest.approx(0.5)] * 3
        assert tr["barriers"] == pytest.approx([1.5, 1.6, 1.7])
        te = d.details["losses"]["test_loss"]
        assert te["barriers"] == pytest.approx([1.8, 1.92, 2.04])
        assert d.statistic == pytest.approx(1.6)  # the smaller mean barrier: train's
        json_ok(d)

    def test_p_is_the_scipy_one_sided_t_test_and_the_larger_of_the_two(self):
        d = rules.interpolation_peak(interp_frame([0.5, 0.9, 2.0]))
        ps = []
        for name in ("train_loss", "test_loss"):
            b = d.details["losses"][name]["barriers"]
            p = stats.ttest_1samp(b, 0.0, alternative="greater").pvalue
            assert d.details["losses"][name]["p_value"] == pytest.approx(p)
            ps.append(p)
        assert d.p_value == pytest.approx(max(ps))

    @pytest.mark.parametrize("edge", [0.3, 0.7])
    def test_window_ends_are_inside(self, edge):
        # linspace places 0.3 at 0.30000000000000004: the tolerance keeps it in
        d = rules.interpolation_peak(interp_frame([1.5, 1.6, 1.7], peaks=[0.5, edge, 0.5]))
        assert d.supported

    @pytest.mark.parametrize("off", [0.2, 0.8])
    def test_one_seed_peaking_outside_the_window_refutes(self, off):
        d = rules.interpolation_peak(interp_frame([1.5, 1.6, 1.7], peaks=[0.5, off, 0.5]))
        assert not d.supported
        assert not d.details["losses"]["train_loss"]["argmax_in_window"]

    def test_an_insignificant_barrier_refutes(self):
        d = rules.interpolation_peak(interp_frame([0.001, 0.01, 3.0]))
        assert not d.supported and d.p_value > 0.05
        assert all(v["argmax_in_window"] for v in d.details["losses"].values())

    def test_only_one_loss_with_a_barrier_refutes(self):
        df = interp_frame([1.5, 1.6, 1.7])
        a = df["alpha"].to_numpy()
        df["test_loss"] = 0.2 + 0.05 * np.clip(a, 0, 1) + np.clip(-a, 0, None)  # no bump
        d = rules.interpolation_peak(df)
        assert not d.supported
        assert d.details["losses"]["train_loss"]["supported"]
        assert not d.details["losses"]["test_loss"]["supported"]

    def test_no_barrier_anywhere_gives_p_one_not_a_crash(self):
        df = interp_frame([0, 0, 0])
        a = df["alpha"].to_numpy()
        for col in ("train_loss", "test_loss"):
            df[col] = 0.1 + 0.05 * np.clip(a, 0, 1) + df["seed"] * 0.01  # max at a = 1
        d = rules.interpolation_peak(df)
        assert not d.supported and d.p_value == 1.0 and d.statistic == 0.0
        assert d.details["losses"]["train_loss"]["t"] is None
        json_ok(d)

    def test_identical_positive_barriers_are_an_error(self):
        df = interp_frame([1.6, 1.6, 1.6])
        with pytest.raises(ValueError, match="not independent runs"):
            rules.interpolation_peak(df)

    @pytest.mark.parametrize(
        "alphas, match",
        [
            (np.linspace(-1, 2, 30), "31 points"),
            (np.linspace(0, 2, 41), r"span \[-1, 2\]"),
            (np.linspace(-1, 1.5, 51), r"span \[-1, 2\]"),
            (np.linspace(-1, 2, 32), "a = 0 and a = 1"),
        ],
    )
    def test_grid_requirements(self, alphas, match):
        with pytest.raises(ValueError, match=match):
            rules.interpolation_peak(interp_frame([1.5, 1.6, 1.7], alphas=alphas))

    def test_grids_equal_to_nine_decimals_are_the_same_grid(self):
        df = interp_frame([1.5, 1.6, 1.7])
        df.loc[df["seed"] == 1, "alpha"] = -1 + 0.1 * np.arange(31)  # not bit-equal linspace
        assert rules.interpolation_peak(df).supported

    def test_finer_grids_work(self):
        assert rules.interpolation_peak(
            interp_frame([1.5, 1.6, 1.7], alphas=np.linspace(-1, 2, 61))
        ).supported

    def test_errors(self):
        df = interp_frame([1.5, 1.6, 1.7])
        bad = df.copy()
        bad.loc[12, "test_loss"] = math.inf
        with pytest.raises(ValueError, match="NaN or inf"):
            rules.interpolation_peak(bad)
        with pytest.raises(ValueError, match="incomplete"):
            rules.interpolation_peak(df.drop(index=40))
        with pytest.raises(ValueError, match="at least 2 seeds"):
            rules.interpolation_peak(df[df["seed"] == 0])


# --------------------------------------------------------------------------------------------
# sensitivity-gap, sensitivity-accuracy
# --------------------------------------------------------------------------------------------


class TestKendallTrend:
    X = np.arange(12.0)

    def test_increasing(self):
        df = pd.DataFrame({"sensitivity": self.X, "gap": self.X**2})
        d = rules.kendall_trend(df, "sensitivity", "gap", "increasing")
        assert d.supported and d.statistic == pytest.approx(1.0) and d.p_value < 1e-6
        json_ok(d)
        d = rules.kendall_trend(df, "sensitivity", "gap", "decreasing")
        assert not d.supported and d.p_value > 0.99

    def test_decreasing(self):
        df = pd.DataFrame({"sensitivity": self.X, "test_acc": -self.X})
        d = rules.kendall_trend(df, "sensitivity", "test_acc", "decreasing")
        assert d.supported and d.statistic == pytest.approx(-1.0)
        assert not rules.kendall_trend(df, "sensitivity", "test_acc", "increasing").supported

    def test_p_is_the_one_sided_scipy_p(self):
        rng = np.random.default_rng(3)
        x, y = rng.normal(size=30), rng.normal(size=30)
        ref = stats.kendalltau(x, y, alternative="greater")
        d = rules.kendall_trend({"s": x, "g": y}, "s", "g", "increasing", alpha=0.05)
        assert d.statistic == pytest.approx(ref.statistic)
        assert d.p_value == pytest.approx(ref.pvalue)
        assert d.supported == (ref.pvalue < 0.05)

    def test_weak_trend_is_refuted(self):
        y = np.array([3, 1, 2, 0, 5, 4, 7, 2, 6, 1, 8, 3], dtype=float)
        d = rules.kendall_trend({"s": self.X, "g": y}, "s", "g", alpha=0.05)
        assert d.statistic > 0 and d.p_value >= 0.05 and not d.supported

    def test_errors(self):
        with pytest.raises(ValueError, match="direction"):
            rules.kendall_trend({"s": self.X, "g": self.X}, "s", "g", "up")
        with pytest.raises(ValueError, match="constant"):
            rules.kendall_trend({"s": self.X, "g": np.ones(12)}, "s", "g")
        with pytest.raises(ValueError, match="NaN or inf"):
            rules.kendall_trend({"s": self.X, "g": np.r_[self.X[:-1], np.nan]}, "s", "g")
        with pytest.raises(ValueError, match="at least 3"):
            rules.kendall_trend({"s": [1.0, 2.0], "g": [1.0, 3.0]}, "s", "g")
        with pytest.raises(ValueError, match="missing column"):
            rules.kendall_trend({"s": self.X}, "s", "g")


# --------------------------------------------------------------------------------------------
# false positives and power (suite.rule_power)
# --------------------------------------------------------------------------------------------

#: Primary scenarios that miss the requirement with the rule as the design fixes it. The rule
#: stays as designed; the shortfall is pinned here with the rate measured at seed 0, 1000 draws.
KNOWN_SHORTFALLS = {
    "width/saturating": (
        "power 0.878 < 0.90 at the calibration curve (tau 0.77, seed sd 0.003, 3 seeds): the "
        "no-drop part (2 SE of a difference of 3-seed means, ~Welch t with 4 df, against the "
        "running best) fails 12% of monotone saturating curves; 0.92 with 5 seeds"
    ),
}


def _params():
    for sc in rp.SCENARIOS:
        if not sc.primary:
            continue
        marks = ()
        if sc.name in KNOWN_SHORTFALLS:
            marks = pytest.mark.xfail(strict=True, reason=KNOWN_SHORTFALLS[sc.name])
        yield pytest.param(sc, id=sc.name, marks=marks)


@pytest.mark.parametrize("scenario", list(_params()))
def test_error_rate(scenario: rp.Scenario):
    r = rp.rate(scenario, n_draws=1000, seed=0)
    if scenario.kind == "null":
        assert r <= rp.FP_MAX, f"{scenario.name}: false positives {r:.3f} > {rp.FP_MAX}"
    else:
        assert r >= rp.POWER_MIN, f"{scenario.name}: power {r:.3f} < {rp.POWER_MIN}"


def test_every_claim_has_a_primary_null_and_effect():
    have = {(s.claim, s.kind) for s in rp.SCENARIOS if s.primary}
    claims = {s.claim for s in rp.SCENARIOS}
    assert len(claims) == 7
    assert have == {(c, k) for c in claims for k in ("null", "effect")}


def test_a_dict_of_columns_decides_like_a_dataframe():
    # the simulations hand the rules dicts; the claims hand them DataFrames
    cols = {
        "seed": np.tile(np.arange(3), 10),
        "width": np.repeat(WIDTHS, 3),
        "params": np.repeat(rp.PARAMS, 3),
        "test_acc": np.random.default_rng(0).normal(0.95, 0.01, 30),
    }
    assert rules.monotone_trend(cols) == rules.monotone_trend(pd.DataFrame(cols))


def test_rates_are_reproducible_and_seeded():
    sc = rp.SCENARIOS_BY_NAME["sensitivity-gap/tau-0.3"]
    assert rp.rate(sc, 40, seed=7) == rp._rate.__wrapped__(sc.name, 40, 7)


def test_the_table_prints(capsys):
    assert rp.main(["--draws", "5"]) == 0
    out = capsys.readouterr().out
    for sc in rp.SCENARIOS:
        assert sc.name.split("/", 1)[1] in out
    assert "false_pos" in out and "power" in out
