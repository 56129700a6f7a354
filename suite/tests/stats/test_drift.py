"""The drift test of a comparison (issue 27): per claim a two-sample test on its per-seed
values, Holm over the claims; the per-seed values read from every rule's details; and the
simulation that holds the family-wise false-positive rate to alpha."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import suite
from suite.report.files import read_results
from suite.stats.drift import ALPHA, drift_test, holm
from suite.stats.power.drift import false_positive_rate, mc_se, populations, power
from suite.stats.seed_values import SeedValues, seed_values

REFERENCE = Path(suite.__file__).parent.parent / "reports" / "reference-ci"


def test_identical_runs_do_not_drift():
    values = [0.6, 0.6, 0.73, 0.87, 1.0, 0.87]
    for scale in ("mean", "log"):
        assert drift_test(values, values, scale).p == pytest.approx(1.0)
    assert drift_test([1, 1, 0, 1], [1, 1, 0, 1], "share").p == 1.0


def test_a_shift_far_beyond_the_seed_spread_drifts():
    rng = np.random.default_rng(0)
    old = rng.normal(0.0, 1.0, 8)
    test = drift_test(old, old + 5.0, "mean")
    assert test.p < 1e-4
    assert test.method == "Welch t"
    assert test.new_mean - test.old_mean == pytest.approx(5.0)


def test_barriers_are_compared_on_logs_so_one_large_seed_does_not_decide():
    old = [40.0, 45.0, 50.0, 55.0, 60.0, 42.0]
    new = [2.0, 2.5, 3.0, 1.5, 2.2, 2.8]  # every seed 20x lower
    assert drift_test(old, new, "log").p < 1e-6
    assert drift_test(old, new, "log").method == "Welch t on log values"
    # zeros are floored, not -inf
    assert math.isfinite(drift_test([0.0, 0.0, 1.0], [0.0, 1.0, 2.0], "log").p)


def test_shares_use_fishers_exact_test():
    assert drift_test([1.0] * 10, [0.0] * 10, "share").p == pytest.approx(1.0825e-05, rel=1e-3)
    assert drift_test([1.0] * 5 + [0.0], [1.0] * 4 + [0.0] * 2, "share").p == 1.0


def test_values_the_same_in_every_seed_drift_only_when_the_runs_differ():
    assert drift_test([-1.0] * 6, [-1.0] * 6, "mean").p == 1.0
    assert drift_test([-1.0] * 6, [-0.8] * 6, "mean").p == 0.0


def test_too_few_seeds_are_not_tested():
    assert math.isnan(drift_test([1.0], [2.0, 3.0], "mean").p)
    with pytest.raises(ValueError, match="scale"):
        drift_test([1.0, 2.0], [1.0, 2.0], "median")


def test_holm_adjusts_step_down_and_skips_untested_claims():
    adjusted, flagged = holm([0.01, 0.04, math.nan, 0.03, 0.005], alpha=0.05)
    # sorted 0.005, 0.01, 0.03, 0.04 over 4 tested: 0.02, 0.03, 0.06, 0.06
    assert adjusted[4] == pytest.approx(0.02)
    assert adjusted[0] == pytest.approx(0.03)
    assert adjusted[3] == pytest.approx(0.06)
    assert adjusted[1] == pytest.approx(0.06)
    assert math.isnan(adjusted[2])
    assert flagged == [True, False, False, False, True]


def test_every_claims_seed_values_average_to_its_statistic():
    """Read from the committed reference run's details: the one place that knows each rule."""
    claims = read_results(REFERENCE).claims
    found = {c.claim: c for c in claims if c.seed_values is not None}
    assert set(found) == {c.claim for c in claims}  # every rule keeps its per-seed values
    for c in found.values():
        assert np.mean(c.seed_values) == pytest.approx(c.statistic, rel=1e-9, abs=1e-12), c.claim
        assert c.n_seeds in (len(c.seed_values), 0) or c.seed_scale == "share", c.claim
    assert found["random-labels-fit"].seed_scale == "share"
    assert found["interpolation-peak[shared]"].seed_scale == "log"
    assert found["shared-init-lower-barrier"].seed_scale == "mean"


def test_an_unknown_rule_has_no_seed_values():
    assert seed_values("no_such_rule", {"per_seed_tau": [1.0]}) is None
    assert seed_values("within_seed_trend", {}) is None
    with pytest.raises(ValueError):
        SeedValues((1.0,), "median")


def test_the_granulated_rule_now_keeps_each_seeds_tau():
    from suite.stats.catalog import CLAIMS
    from suite.tests import fake_results

    frames = fake_results.measures().frames
    decision = CLAIMS["sensitivity-granulated"].decision(frames)
    found = seed_values(decision.rule, decision.details)
    assert found is not None and found.scale == "mean"
    assert np.mean(found.values) == pytest.approx(decision.statistic, abs=1e-9)


# --- the simulation -------------------------------------------------------------------------

DRAWS = 300


def test_the_family_wise_false_positive_rate_is_at_most_alpha():
    """Two runs of the same code on disjoint seeds, every claim of the reference run at its
    own seed count, spread and scale (``python -m suite drift-power`` runs more draws)."""
    pops = populations(REFERENCE / "claims.json")
    assert len(pops) >= 14
    for scenario in ("as measured", "skewed"):
        rate = false_positive_rate(pops, DRAWS, scenario, seed=1)
        assert rate <= ALPHA + 2 * mc_se(ALPHA, DRAWS), (scenario, rate)


def test_a_known_shift_is_found_in_the_claim_that_moved_and_not_elsewhere():
    pops = populations(REFERENCE / "claims.json")
    width = next(i for i, p in enumerate(pops) if p.claim == "width-monotone")  # 20 seeds
    hit, other = power(pops, width, shift=2.0, draws=100, seed=2)
    assert hit >= 0.9
    assert other <= ALPHA + 2 * mc_se(ALPHA, 100)


def test_the_seed_values_use_the_rules_own_floor_and_tolerance():
    # kept apart to avoid an import circle (verdicts -> seed_values -> rules -> verdicts)
    from suite.stats import seed_values
    from suite.stats.rules import fits, skewed

    assert seed_values.LOG_FLOOR == skewed.FLOOR
    assert seed_values.ACC_TOL == fits.ACC_TOL
