"""The decision rules' error rates under the experiments' dependence (``suite.stats.power``).

Every false-positive case (the claim false: no effect, or an effect exactly at the claim's
margin, under each dependence scenario) is held to P(SUPPORTED) <= the claim's own alpha (0.05
or 0.01) plus two Monte-Carlo standard errors over 1000 draws, at the seed count the ci profile
trains at most (its cap). The simulation decides through each claim record's own decision.
Every case in which the claim holds is held to P(REFUTED) <= 5% (fewer draws: 200); its power
at 3 and 5 seeds is reported (``-rA`` or ``-s`` shows the table) and asserted only where the
rule should clearly reach it. A rule that misses a target is redesigned, not marked here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from suite.stats.catalog import CLAIMS
from suite.stats.power import cases, claims, grid, interpolation, shared, table, width
from suite.stats.rules import error_barriers
from suite.stats.rules.significance import kendall_s

# Simulations of each rule's error rates: minutes in all, so outside the fast tier.
pytestmark = pytest.mark.slow

N_FP = 1000
N_POWER = 200

FP_CASES = [c for c in cases.CASES if c.truth == cases.FALSE]
TRUE_CASES = [c for c in cases.CASES if c.truth == cases.TRUE]

#: Rules whose power at the calibration effect is far from the line: asserted (>= 0.90).
CLEARLY_POWERFUL = {
    ("random-labels-fit", "calibration: every image fitted"),
    ("random-labels-overfit", "calibration: 2.32 -> 21 nats"),
    ("interpolation-peak", "calibration independent: barrier U(35, 48)"),
    ("shared-init-lower-barrier", "calibration: 41.5 +- 4 vs 2.1 +- 0.4"),
    ("corruption-test-monotone", "calibration: tau -0.94, seed 0.3, sd 3x"),
    ("corruption-fit", "calibration: every run fits (0.1% censored)"),
}


def _id(case: cases.Case) -> str:
    return f"{case.claim}: {case.scenario}"


def _limit(p: float, n: int) -> float:
    return p + cases.mc_slack(p, n)


@pytest.mark.parametrize("case", FP_CASES, ids=_id)
def test_false_positive_rate(case: cases.Case):
    seeds = claims.profile_seeds(case.experiment)
    o = cases.outcome(case, seeds, N_FP)
    alpha = CLAIMS[case.claim].alpha  # every rule is held to its own level, not to 0.05
    assert o.supported <= _limit(alpha, N_FP), (
        f"{case.rule} supports a false claim in {o.supported:.3f} of {N_FP} draws ({seeds} seeds)"
        f", above its alpha {alpha:g}"
    )


@pytest.mark.parametrize("case", TRUE_CASES, ids=_id)
@pytest.mark.parametrize("seeds", [3, 5])
def test_false_refutation_rate(case: cases.Case, seeds: int):
    o = cases.outcome(case, seeds, N_POWER)
    assert o.refuted <= _limit(cases.FP_MAX, N_POWER), (
        f"{case.rule} refutes a true claim in {o.refuted:.3f} of {N_POWER} draws ({seeds} seeds)"
    )


def test_power_at_3_and_5_seeds_is_reported(capsys):
    lines = []
    for case in TRUE_CASES:
        counts = sorted({3, 5, claims.profile_seeds(case.experiment)})
        rates = {s: cases.outcome(case, s, N_POWER).supported for s in counts}
        lines.append(
            f"{_id(case):75s} "
            + "  ".join(f"{s} seeds {r:.3f}" for s, r in rates.items())
            + ("" if case.calibration else "  (stress variant)")
        )
        if (case.claim, case.scenario) in CLEARLY_POWERFUL:
            ci = claims.profile_seeds(case.experiment)
            assert rates[ci] >= cases.POWER_MIN - cases.mc_slack(cases.POWER_MIN, N_POWER), lines[
                -1
            ]
    with capsys.disabled():
        print(f"\npower (P(SUPPORTED) at the calibration effect, {N_POWER} draws)")
        print("\n".join(lines))


# --------------------------------------------------------------------------------------------
# the known-bad cases of issue 10
# --------------------------------------------------------------------------------------------


def test_leaked_labels_are_refuted_not_at_chance():
    case = next(c for c in FP_CASES if c.scenario.startswith("leaked labels"))
    o = cases.outcome(case, claims.profile_seeds(case.experiment), N_FP)
    assert o.supported == 0.0
    assert o.refuted >= 0.99


@pytest.mark.parametrize(
    "case", [c for c in FP_CASES if "only between seeds" in c.scenario], ids=_id
)
def test_a_trend_only_between_seeds_is_not_supported(case: cases.Case):
    for seeds in (3, 5):
        o = cases.outcome(case, seeds, N_FP)
        assert o.supported <= _limit(cases.FP_MAX, N_FP), f"{seeds} seeds: {o.supported:.3f}"


def test_pooling_the_rows_of_a_seed_would_be_fooled():
    # The same draws, pooled as if every row were independent (the old rule): a positive
    # Kendall trend far more often than 5%. Guards that the scenario is a real trap.
    case = next(
        c for c in FP_CASES if c.claim == "sensitivity-gap" and "only between" in c.scenario
    )
    rng = np.random.default_rng(0)
    hits = 0
    for t in case.draws(rng, 200, 3):
        s, var, _ = kendall_s(t["sensitivity"], t["gap"])
        hits += (s - 1) / math.sqrt(var) > 1.645
    assert hits / 200 > 0.5  # 0.93 at 1000 draws


# --------------------------------------------------------------------------------------------
# the simulation itself
# --------------------------------------------------------------------------------------------


def test_every_claim_is_simulated_as_its_test_calls_it():
    simulated = {c.claim for c in cases.CASES}
    same_call = {
        "sharpness-gap": "sensitivity-gap",
        "sharpness-granulated": "sensitivity-granulated",
    }
    for claim in CLAIMS:
        assert same_call.get(claim, claim) in simulated, claim
    for claim in simulated:
        kinds = {c.truth for c in cases.CASES if c.claim == claim}
        assert kinds == {cases.FALSE, cases.TRUE}, claim


def test_the_simulation_decides_through_the_claim_records_own_decision(monkeypatch):
    """Not a copy of the call: the record's function itself, so the two cannot drift apart."""
    import dataclasses

    from suite.stats import catalog
    from suite.stats.verdicts import Decision, Verdict

    seen = []

    def fake(frames, ask):
        seen.append((set(frames), ask.alpha))
        return Decision("fake", 0.0, "-", None, Verdict.SUPPORTED, 1, 1)

    spec = catalog.CLAIMS["width-monotone"]
    monkeypatch.setitem(catalog.CLAIMS, spec.id, dataclasses.replace(spec, decide=fake))
    case = next(c for c in cases.CASES if c.claim == spec.id)
    table = next(iter(case.draws(np.random.default_rng(0), 1, 3)))
    assert case.decide(table).rule == "fake"
    assert seen == [({spec.frame}, spec.alpha)]


def test_margin_cases_use_the_catalog_margins():
    rng = np.random.default_rng(0)
    case = next(c for c in FP_CASES if c.scenario == "offset = margin, corr(acc, ref) 0.55")
    d = cases.outcome(case, 3, 50).statistic
    assert d == pytest.approx(CLAIMS["random-labels-chance"].margin, abs=0.005)
    drop = width.width_drop(-1)
    assert drop[-2] - drop[-1] == pytest.approx(CLAIMS["width-monotone"].margin)
    t = next(interpolation.peak_draws(CLAIMS["interpolation-peak"].margin, 0.0)(rng, 1, 4))
    b, _ = error_barriers(t, ("train_acc", "test_acc"))
    assert np.abs(b - 2.0).max() < 0.3  # roughness only


@pytest.mark.parametrize("n_x, tau, ratio", [(10, 0.2, 1.0), (6, -0.94, 3.0), (4, 0.3, 1.0)])
def test_grid_slope_gives_the_expected_tau(n_x: int, tau: float, ratio: float):
    rng = np.random.default_rng(1)
    slope = shared.grid_slope(n_x, tau, ratio)
    y = slope * np.arange(n_x) + shared.spread(n_x, ratio) * rng.standard_normal((4000, n_x))
    i, j = np.triu_indices(n_x, 1)
    taus = np.sign(y[:, j] - y[:, i]).mean(axis=1)
    assert taus.mean() == pytest.approx(tau, abs=0.02)


def test_measures_grid_is_one_at_a_time_with_a_shared_base():
    points, _ = grid.measure_grid()
    assert len(points) == 1 + sum(len(v) - 1 for v, _ in grid.MEASURE_AXES.values())
    base = points[0]
    assert all(np.sum(p != base) <= 1 for p in points)


def test_outcomes_are_seeded_and_reproducible():
    case = TRUE_CASES[0]
    from suite.stats.power import outcomes

    a = outcomes._outcome.__wrapped__(case, 3, 20, 7)
    b = outcomes._outcome.__wrapped__(case, 3, 20, 7)
    assert a == b


def test_the_table_prints(capsys):
    assert table.main(["--draws", "2"]) == 0
    out = capsys.readouterr().out
    for col in ("claim", "scenario", "seeds", "kind", "rate", "requirement", "ok"):
        assert col in out
    for kind in ("false positive", "false refutation", "power"):
        assert kind in out
