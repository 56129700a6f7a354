"""The decision rules of the claims beyond the homework (issue 7), on synthetic data."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from suite import rules

# --- corruption-fit, fit-time-grows -------------------------------------------------------------


def corruption_runs(fit_epochs: dict[float, list[int]], budget: int = 100) -> pd.DataFrame:
    rows = []
    for f, epochs in fit_epochs.items():
        for seed, e in enumerate(epochs):
            rows.append(
                {
                    "seed": seed,
                    "fraction": f,
                    "fitted": e <= budget,
                    "epochs_to_fit": min(e, budget + 1),
                }
            )
    return pd.DataFrame(rows)


def test_every_run_fits_needs_every_run():
    runs = corruption_runs({0.0: [5, 6, 7], 0.5: [40, 50, 45], 1.0: [90, 80, 99]})
    d = rules.every_run_fits(runs)
    assert d.supported and d.statistic == 1.0 and d.p_value is None and d.n_runs == 9
    assert d.details["per_fraction"]["1.0"] == {"fitted": 3, "runs": 3, "latest_fit_epoch": 99}

    late = corruption_runs({0.0: [5, 6, 7], 0.5: [40, 50, 45], 1.0: [90, 180, 99]})
    d = rules.every_run_fits(late)
    assert not d.supported and d.statistic == pytest.approx(8 / 9)
    assert d.details["runs_not_fitted"] == 1
    assert d.details["per_fraction"]["1.0"]["fitted"] == 2


def test_censored_fit_times_rank_last_and_are_counted():
    runs = corruption_runs(
        {0.0: [5, 6, 7], 0.4: [30, 35, 32], 0.8: [70, 90, 85], 1.0: [150, 200, 95]}
    )
    d = rules.censored_trend(runs, alpha=0.01)
    assert d.supported and d.details["n_censored"] == 2
    expected = stats.kendalltau(runs["fraction"], runs["epochs_to_fit"], alternative="greater")
    assert d.statistic == pytest.approx(expected.statistic)
    assert d.p_value == pytest.approx(expected.pvalue)

    flat = corruption_runs({0.0: [50, 20, 30], 0.5: [40, 25, 35], 1.0: [30, 45, 22]})
    assert not rules.censored_trend(flat, alpha=0.01).supported


# --- shared-init-lower-barrier ------------------------------------------------------------------


def lmc_curves(
    bumps: dict[str, list[float]], n_alpha: int = 31, offset: float = 0.05
) -> pd.DataFrame:
    """Loss curves on a in [-1, 2] with a bump of the given height at a = 0.5 per seed."""
    alphas = np.linspace(-1, 2, n_alpha)
    rows = []
    for init, heights in bumps.items():
        for seed, h in enumerate(heights):
            for a in alphas:
                base = 0.1 + offset * seed + 0.3 * (a - 0.5) ** 2
                loss = base + h * np.exp(-(((a - 0.5) / 0.15) ** 2))
                rows.append(
                    {
                        "init": init,
                        "seed": seed,
                        "alpha": a,
                        "train_loss": loss,
                        "test_loss": loss + 0.2,
                    }
                )
    return pd.DataFrame(rows)


def barrier_of(height: float, seed: int) -> float:
    alphas = np.linspace(-1, 2, 31)
    inside = alphas[(alphas >= -1e-9) & (alphas <= 1 + 1e-9)]
    loss = 0.1 + 0.05 * seed + 0.3 * (inside - 0.5) ** 2
    loss = loss + height * np.exp(-(((inside - 0.5) / 0.15) ** 2))
    return float(loss.max() - max(loss[0], loss[-1]))


def test_lower_barrier_with_shared_init_is_supported():
    curves = lmc_curves({"independent": [1.4, 1.2, 1.6], "shared": [0.05, 0.1, 0.02]})
    d = rules.lower_barrier(curves)
    assert d.supported and d.p_value < 0.05 and d.n_runs == 3
    diffs = [
        barrier_of(h, s) - barrier_of(g, s)
        for s, (h, g) in enumerate([(1.4, 0.05), (1.2, 0.1), (1.6, 0.02)])
    ]
    t = stats.ttest_1samp(diffs, 0.0, alternative="greater")
    per = d.details["losses"]["train_loss"]
    assert per["mean_difference"] == pytest.approx(np.mean(diffs))
    assert per["p_value"] == pytest.approx(t.pvalue)
    assert d.statistic == pytest.approx(np.mean(diffs))  # test loss is train loss + a constant


def test_lower_barrier_is_refuted_when_shared_is_not_lower():
    curves = lmc_curves({"independent": [0.1, 0.5, 0.2], "shared": [0.3, 0.2, 0.6]})
    d = rules.lower_barrier(curves)
    assert not d.supported and d.statistic < 0


def test_lower_barrier_needs_paired_seeds_and_both_curves():
    curves = lmc_curves({"independent": [1.0, 1.2, 1.1], "shared": [0.1, 0.2]})
    with pytest.raises(ValueError, match="same seeds"):
        rules.lower_barrier(curves)
    only = lmc_curves({"independent": [1.0, 1.2, 1.1]})
    with pytest.raises(ValueError, match="shared"):
        rules.lower_barrier(only)
    # every seed the same difference: not independent runs
    same = lmc_curves({"independent": [1.0] * 3, "shared": [0.0] * 3}, offset=0.0)
    with pytest.raises(ValueError, match="not independent"):
        rules.lower_barrier(same)


# --- granulated tau -----------------------------------------------------------------------------

BASE = (1000, 3e-3, 0.0)


def one_at_a_time(values: dict[str, list[tuple[float, float]]]) -> pd.DataFrame:
    """A one-at-a-time grid: the base run (gap 0, measure 0), then per axis (gap, measure)."""
    rows = [{"batch_size": BASE[0], "lr": BASE[1], "corruption": BASE[2], "gap": 0.0, "m": 0.0}]
    others = {
        "batch_size": [500, 2000, 4000],
        "lr": [1e-3, 1e-2, 3e-2],
        "corruption": [0.2, 0.4, 0.6],
    }
    for axis, pairs in values.items():
        for v, (gap, m) in zip(others[axis], pairs, strict=True):
            row = dict(zip(("batch_size", "lr", "corruption"), BASE, strict=True))
            rows.append({**row, axis: v, "gap": gap, "m": m})
    return pd.DataFrame(rows)


KNOWN = one_at_a_time(
    {
        # with the base (0, 0): every pair concordant: tau = 1
        "batch_size": [(1, 1), (2, 2), (3, 3)],
        # base pairs concordant (3), the other three discordant: tau = 0
        "lr": [(1, 3), (2, 2), (3, 1)],
        # one discordant pair (base, first) of six: tau = (5 - 1) / 6 = 2/3
        "corruption": [(1, -1), (2, 2), (3, 3)],
    }
)


def test_granulated_tau_on_a_table_with_a_known_answer():
    d = rules.granulated_kendall(KNOWN, measure="m", n_permutations=999)
    axes = d.details["axes"]
    assert axes["batch_size"]["tau"] == pytest.approx(1.0)
    assert axes["lr"]["tau"] == pytest.approx(0.0)
    assert axes["corruption"]["tau"] == pytest.approx(2 / 3)
    assert all(a["runs"] == 4 and a["sets"] == 1 for a in axes.values())
    assert d.statistic == pytest.approx((1 + 0 + 2 / 3) / 3)
    overall = stats.kendalltau(KNOWN["m"], KNOWN["gap"]).statistic  # tau-b, with ties
    assert d.details["overall"]["tau"] == pytest.approx(overall)
    assert d.n_runs == 10


def test_granulated_tau_averages_over_every_set_where_only_one_axis_varies():
    rng = np.random.default_rng(0)
    rows = [
        {"a": a, "b": b, "seed": s, "gap": rng.normal(), "m": rng.normal()}
        for a, b, s in itertools.product([1, 2, 3], [10, 20, 30], [0, 1])
    ]
    runs = pd.DataFrame(rows)
    d = rules.granulated_kendall(runs, measure="m", axes=("a", "b"), n_permutations=99)
    for axis, other in (("a", "b"), ("b", "a")):
        taus = [
            stats.kendalltau(part["m"], part["gap"]).statistic for _, part in runs.groupby(other)
        ]
        assert d.details["axes"][axis]["tau"] == pytest.approx(np.mean(taus))
        assert d.details["axes"][axis]["sets"] == 3
    psi = [d.details["axes"][a]["tau"] for a in ("a", "b")]
    assert d.statistic == pytest.approx(np.mean(psi))


def seeded_grid(rng: np.random.Generator, effect: float, seeds: int = 3) -> pd.DataFrame:
    """A one-at-a-time grid with seeds; the measure is effect * gap + noise."""
    points = [BASE]
    for axis, values in enumerate(([500, 2000, 4000], [1e-3, 1e-2, 3e-2], [0.2, 0.4, 0.6])):
        points += [tuple(v if k == axis else BASE[k] for k in range(3)) for v in values]
    rows = []
    for b, lr, c in points:
        for s in range(seeds):
            gap = rng.normal()
            rows.append(
                {
                    "batch_size": b,
                    "lr": lr,
                    "corruption": c,
                    "seed": s,
                    "gap": gap,
                    "m": effect * gap + rng.normal(),
                }
            )
    return pd.DataFrame(rows)


def test_granulated_permutation_test_keeps_its_level_and_finds_a_real_effect():
    rng = np.random.default_rng(1)
    null_p = [
        rules.granulated_kendall(seeded_grid(rng, 0.0), measure="m", n_permutations=199).p_value
        for _ in range(200)
    ]
    assert np.mean(np.asarray(null_p) < 0.05) <= 0.09
    strong = rules.granulated_kendall(seeded_grid(rng, 3.0), measure="m", n_permutations=999)
    assert strong.supported and strong.p_value == pytest.approx(1 / 1000)
    assert strong.details["overall"]["p_value"] == pytest.approx(1 / 1000)


def test_granulated_p_values_are_reproducible():
    runs = seeded_grid(np.random.default_rng(2), 0.3)
    first = rules.granulated_kendall(runs, measure="m", n_permutations=499)
    again = rules.granulated_kendall(runs, measure="m", n_permutations=499)
    assert first == again
    assert 1 / 500 <= first.p_value <= 1


def test_granulated_tau_refuses_what_it_cannot_decide():
    fixed_lr = KNOWN[KNOWN["lr"] == BASE[1]]
    with pytest.raises(ValueError, match="only 'lr' varies"):
        rules.granulated_kendall(fixed_lr, measure="m", n_permutations=9)
    flat = KNOWN.assign(m=1.0)
    with pytest.raises(ValueError, match="constant"):
        rules.granulated_kendall(flat, measure="m", n_permutations=9)
    broken = KNOWN.assign(m=KNOWN["m"].where(KNOWN["lr"] != 1e-2, np.nan))
    with pytest.raises(ValueError, match="NaN"):
        rules.granulated_kendall(broken, measure="m", n_permutations=9)
