"""The tests every rule is built from (``suite.stats.rules.significance``), against textbook values.

t across seeds, TOST, and Kendall's S stratified by seed: each checked on numbers small enough
to verify by hand, and against scipy where scipy computes the same thing.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from suite.stats.rules.significance import (
    kendall_s,
    stratified_kendall,
    t_greater,
    t_greater_columns,
    t_interval,
    t_less,
    t_seeds_needed,
    tost,
)

# --- t across seeds -----------------------------------------------------------------------------


def test_t_greater_is_scipys_one_sided_one_sample_t():
    values = np.array([0.12, 0.15, 0.11, 0.14])
    expected = stats.ttest_1samp(values, 0.1, alternative="greater").pvalue
    assert t_greater(values, 0.1) == pytest.approx(expected, rel=1e-12)


def test_t_less_is_the_mirror_of_t_greater():
    values = np.array([0.12, 0.15, 0.11, 0.14])
    expected = stats.ttest_1samp(values, 0.2, alternative="less").pvalue
    assert t_less(values, 0.2) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("mu", "p"), [(0.5, 0.0), (1.0, 0.5), (1.5, 1.0)])
def test_t_greater_with_zero_spread_is_certain_of_the_sign(mu, p):
    # Every seed gave exactly 1.0: above 0.5 for sure, below 1.5 for sure, no evidence at 1.0.
    assert t_greater(np.array([1.0, 1.0, 1.0]), mu) == p


def test_a_t_test_across_seeds_needs_two_seeds():
    with pytest.raises(ValueError, match="at least 2 seeds"):
        t_greater(np.array([0.3]), 0.0)


# --- TOST ---------------------------------------------------------------------------------------


def test_tost_shows_equivalence_when_the_mean_is_tightly_inside_the_margin():
    res = tost(np.array([0.002, -0.003, 0.001]), margin=0.02, alpha=0.05)
    assert res.p_equivalent < 0.05
    assert res.p_outside > 0.5
    assert -0.02 < res.low < res.high < 0.02


def test_tost_shows_the_mean_outside_the_margin():
    res = tost(np.array([0.051, 0.048, 0.050]), margin=0.02, alpha=0.05)
    assert res.p_outside < 0.05
    assert res.p_equivalent > 0.5
    assert res.low > 0.02


def test_tost_is_inconclusive_on_noisy_data_around_zero():
    res = tost(np.array([0.03, -0.02, 0.01]), margin=0.02, alpha=0.05)
    assert res.p_equivalent >= 0.05
    assert res.p_outside >= 0.05


def test_tost_p_values_are_the_two_one_sided_t_tests():
    values = np.array([0.004, -0.006, 0.001, 0.009])
    low = stats.ttest_1samp(values, -0.02, alternative="greater").pvalue
    high = stats.ttest_1samp(values, 0.02, alternative="less").pvalue
    assert tost(values, 0.02, 0.05).p_equivalent == pytest.approx(max(low, high), rel=1e-12)


def test_tost_interval_is_the_90_percent_t_interval_at_alpha_005():
    values = np.array([0.004, -0.006, 0.001, 0.009])
    res = tost(values, 0.02, 0.05)
    low, high = stats.t.interval(0.90, 3, loc=values.mean(), scale=stats.sem(values))
    assert (res.low, res.high) == pytest.approx((low, high), rel=1e-12)


# --- Kendall's S within one seed ----------------------------------------------------------------


def test_kendall_s_without_ties_is_the_textbook_value():
    # Pairs out of order: (3, 2) and (5, 4); 8 of the 10 pairs in order: S = 8 - 2 = 6.
    # Var(S) = n(n-1)(2n+5)/18 = 5 * 4 * 15 / 18 = 50/3.
    x, y = np.array([1.0, 2, 3, 4, 5]), np.array([1.0, 3, 2, 5, 4])
    s, var, tau = kendall_s(x, y)
    assert s == 6
    assert var == pytest.approx(50 / 3)
    assert tau == pytest.approx(stats.kendalltau(x, y).statistic)  # tau-b = 0.6


def test_kendall_s_with_ties_is_the_tie_corrected_textbook_value():
    # x ties: two pairs (t = 2, 2); y ties: one pair (u = 2). Of the 10 pairs, 3 tie in x or y
    # and the other 7 are in order: S = 7. Kendall (1970) eq. 4.3:
    # Var = [300 - 2*(2*1*9) - 2*1*9] / 18 + 0 + (2+2)(2) / (2*5*4) = 41/3 + 1/5 = 208/15.
    x, y = np.array([1.0, 1, 2, 3, 3]), np.array([1.0, 2, 2, 3, 4])
    s, var, tau = kendall_s(x, y)
    assert s == 7
    assert var == pytest.approx(208 / 15)
    assert tau == pytest.approx(stats.kendalltau(x, y).statistic)  # tau-b = 7 / sqrt(8 * 9)


def test_kendall_s_with_a_triple_tie_uses_every_correction_term():
    # t = (3), u = (3, 2), n = 6: [510 - 66 - 84] / 18 + 6*6 / (9*6*5*4) + 6*8 / (2*6*5)
    # = 20 + 1/30 + 4/5.
    x, y = np.array([1.0, 1, 1, 2, 3, 4]), np.array([1.0, 2, 2, 2, 3, 3])
    s, var, tau = kendall_s(x, y)
    assert s == 9
    assert var == pytest.approx(20 + 1 / 30 + 4 / 5)
    assert tau == pytest.approx(stats.kendalltau(x, y).statistic)


def test_tie_corrected_variance_is_the_exact_permutation_variance():
    x, y = np.array([1.0, 1, 1, 2, 3, 4]), np.array([1.0, 2, 2, 2, 3, 3])
    null = [kendall_s(x, np.array(p))[0] for p in itertools.permutations(y)]
    assert np.mean(null) == pytest.approx(0.0, abs=1e-12)
    assert kendall_s(x, y)[1] == pytest.approx(np.var(null))


# --- Kendall's S stratified by seed -------------------------------------------------------------


def test_one_seed_without_ties_is_close_to_scipys_normal_approximation():
    x = np.arange(10.0)
    y = np.array([5.0, 1, 3, 2, 4, 8, 6, 10, 9, 7])  # S = 25, tau = 0.56
    k = stratified_kendall([(x, y)])
    assert k.s == 25
    assert k.tau == pytest.approx(stats.kendalltau(x, y).statistic)
    # Normal approximation with a continuity correction of 1 (Mann-Kendall): z = 24 / sqrt(125).
    assert k.p_increasing == pytest.approx(stats.norm.sf(24 / math.sqrt(125)))
    asymptotic = stats.kendalltau(x, y, alternative="greater", method="asymptotic").pvalue
    exact = stats.kendalltau(x, y, alternative="greater", method="exact").pvalue
    assert k.p_increasing == pytest.approx(asymptotic, abs=0.005)
    assert k.p_increasing == pytest.approx(exact, abs=0.005)


def test_stratified_s_and_variance_are_sums_over_seeds():
    a = (np.array([1.0, 2, 3, 4, 5]), np.array([1.0, 3, 2, 5, 4]))  # S 6, Var 50/3
    b = (np.array([1.0, 1, 2, 3, 3]), np.array([1.0, 2, 2, 3, 4]))  # S 7, Var 208/15
    k = stratified_kendall([a, b])
    assert k.s == 13
    assert k.variance == pytest.approx(50 / 3 + 208 / 15)
    assert k.taus == pytest.approx([0.6, 7 / math.sqrt(72)])
    # The reference is a t on the per-seed S (6, 7), continuity-corrected by 1 on their sum:
    # mean (13 - 1) / 2 = 6, sd sqrt(1/2), t = 6 / (sqrt(1/2) / sqrt(2)) = 12 with 1 df.
    assert (k.reference, k.df) == ("t", 1)
    assert k.z == pytest.approx(12.0)
    assert k.p_increasing == pytest.approx(stats.t.sf(12.0, 1))


def test_rows_of_different_seeds_are_never_compared():
    # Seed 1 lies far above seed 0 in both x and y: pooled, that is a strong trend; within
    # each seed y falls with x.
    down = np.array([4.0, 3, 2, 1, 0])
    k = stratified_kendall([(np.arange(5.0), down), (np.arange(5.0) + 100, down + 100)])
    assert k.s == -20
    assert k.p_decreasing < 0.01


def test_a_seed_with_a_constant_column_adds_nothing():
    x, y = np.arange(5.0), np.array([1.0, 3, 2, 5, 4])
    alone = stratified_kendall([(x, y)])
    with_flat = stratified_kendall([(x, y), (x, np.full(5, 0.7))])
    assert (with_flat.s, with_flat.variance) == (alone.s, alone.variance)


def test_kendall_is_undefined_when_every_seed_is_constant():
    with pytest.raises(ValueError, match="constant within every seed"):
        stratified_kendall([(np.arange(5.0), np.ones(5)), (np.arange(5.0), np.ones(5))])


def test_a_within_seed_trend_needs_three_runs_per_seed():
    with pytest.raises(ValueError, match="at least 3 runs per seed"):
        stratified_kendall([(np.array([1.0, 2.0]), np.array([0.1, 0.2]))])


def test_x_and_y_of_a_seed_must_have_the_same_length():
    with pytest.raises(ValueError, match="differ in length"):
        stratified_kendall([(np.arange(4.0), np.arange(5.0))])


# --- the reference across seeds (issue 23) ------------------------------------------------------


def test_the_t_on_per_seed_s_is_scipys_one_sample_t_up_to_the_continuity_correction():
    rng = np.random.default_rng(3)
    pairs = [(np.arange(10.0), np.arange(10.0) * 0.1 + rng.standard_normal(10)) for _ in range(5)]
    k = stratified_kendall(pairs)
    per_seed = np.array(k.per_seed_s)
    shifted = per_seed - np.sign(per_seed.sum()) / per_seed.size  # the correction of 1 on the sum
    assert k.p_increasing == pytest.approx(
        stats.ttest_1samp(shifted, 0.0, alternative="greater").pvalue
    )
    assert k.p_decreasing == pytest.approx(
        stats.ttest_1samp(shifted, 0.0, alternative="less").pvalue
    )


def test_seeds_that_disagree_are_not_a_trend_however_strong_each_is():
    # Two seeds rank perfectly up, one perfectly down: the permutation reference would call the
    # sum S = 45 significant (z 2.3); across seeds the mean S is 15 with sd 52: no evidence.
    up, down = np.arange(10.0), np.arange(10.0)[::-1]
    k = stratified_kendall([(up, up), (up, up), (up, down)])
    assert k.reference == "t"
    assert k.p_increasing > 0.2


def test_zero_spread_falls_back_to_the_permutation_reference_not_p_zero():
    up = np.arange(6.0)
    k = stratified_kendall([(up, up)] * 3)  # every seed a perfect ranking: S = 15 each
    assert k.reference == "permutation"
    var = 3 * 6 * 5 * 17 / 18
    assert k.variance == pytest.approx(var)
    assert k.p_increasing == pytest.approx(stats.norm.sf(44 / math.sqrt(var)))
    assert 0 < k.p_increasing < 1e-4
    # 4-point strata that agree weakly: S = 2 in each of 3 seeds is no evidence at all.
    x = np.arange(4.0)
    weak = stratified_kendall([(x, np.array([1.0, 0, 3, 2]))] * 3)
    assert weak.reference == "permutation"
    assert weak.p_increasing > 0.1


def test_no_association_in_identical_seeds_gives_p_one_both_ways():
    x = np.arange(4.0)
    k = stratified_kendall([(x, np.array([2.0, 0, 3, 1]))] * 3)
    assert k.s == 0
    assert (k.p_increasing, k.p_decreasing) == (1.0, 1.0)


def test_strata_of_one_seed_are_summed_into_one_observation():
    x = np.arange(4.0)
    a, b = np.array([0.0, 1, 3, 2]), np.array([1.0, 0, 2, 3])  # S 4 each
    k = stratified_kendall([(x, a), (x, b), (x, a), (x, x)], units=[0, 0, 1, 1])
    assert k.per_seed_s == [8.0, 10.0]
    assert k.df == 1


def test_tau_interval_is_the_t_interval_of_the_per_seed_taus():
    rng = np.random.default_rng(5)
    pairs = [(np.arange(8.0), np.arange(8.0) * 0.2 + rng.standard_normal(8)) for _ in range(6)]
    k = stratified_kendall(pairs)
    lo, hi = k.tau_interval(0.05)
    taus = np.array(k.taus)
    half = stats.t.ppf(0.95, 5) * taus.std(ddof=1) / math.sqrt(6)
    assert (lo, hi) == pytest.approx((max(-1, taus.mean() - half), min(1, taus.mean() + half)))


def test_t_interval_matches_the_one_sided_t_test():
    v = np.array([0.3, 0.1, 0.25, -0.05, 0.2])
    lo, hi = t_interval(v, 0.05)
    assert t_greater(v, lo) == pytest.approx(0.05)
    assert t_less(v, hi) == pytest.approx(0.05)
    assert t_interval(np.ones(3), 0.05) == (1.0, 1.0)
    with pytest.raises(ValueError, match="at least 2 seeds"):
        t_interval(np.ones(1), 0.05)


def test_t_seeds_needed_is_the_smallest_seed_count_that_rejects():
    n = t_seeds_needed(0.1, 0.3, 0.05)
    assert n is not None
    reject = lambda k: 0.1 * math.sqrt(k) / 0.3 > stats.t.ppf(0.95, k - 1)  # noqa: E731
    assert reject(n) and not reject(n - 1)
    assert t_seeds_needed(-0.1, 0.3, 0.05) == n  # either direction
    assert t_seeds_needed(0.2, 0.3, 0.05, margin=0.1) == n  # against a margin
    assert t_seeds_needed(0.1, 0.3, 0.01) > n
    assert t_seeds_needed(0.0, 0.3, 0.05) is None  # no effect: cannot say
    assert t_seeds_needed(1e-9, 1.0, 0.05) is None  # beyond any plan
    assert t_seeds_needed(0.1, 0.0, 0.05) == 2
    assert t_seeds_needed(math.nan, 0.3, 0.05) is None


def test_t_greater_columns_is_t_greater_of_each_column():
    rng = np.random.default_rng(8)
    v = rng.standard_normal((5, 4))
    v[:, 3] = 0.2  # zero spread: certain of the sign
    got = t_greater_columns(v, 0.1)
    assert got == pytest.approx([t_greater(c, 0.1) for c in v.T])
