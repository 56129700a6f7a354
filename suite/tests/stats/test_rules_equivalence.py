"""``suite.stats.rules.equivalence``: ``random-labels-chance``, a claim of no effect, by TOST.

Arguments as in ``suite/claims/test_random_labels.py``: one row per seed, test accuracy against
that seed's own chance reference, margin 0.02 (the catalog's), alpha 0.05.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from suite.stats import rules
from suite.stats.catalog import spec_for
from suite.stats.power import cases
from suite.stats.verdicts import Verdict

MARGIN = spec_for("random-labels-chance").margin
REFERENCES = [0.097, 0.100, 0.103]  # sum_c pi_c q_c of each seed's relabelling


def final(test_acc: list[float], chance_ref: list[float] = REFERENCES) -> pd.DataFrame:
    return pd.DataFrame(
        {"seed": range(len(test_acc)), "test_acc": test_acc, "chance_ref": chance_ref}
    )


def at_chance(runs: pd.DataFrame):
    return rules.at_chance(runs, acc="test_acc", reference="chance_ref", margin=MARGIN, alpha=0.05)


def test_the_catalog_margin_is_two_points_of_accuracy():
    assert MARGIN == 0.02


def test_accuracy_tightly_at_each_seeds_chance_reference_is_supported():
    d = at_chance(final([0.099, 0.097, 0.104]))  # offsets +0.002, -0.003, +0.001
    assert d.verdict is Verdict.SUPPORTED
    assert d.statistic == pytest.approx(0.0)
    assert d.details["per_seed_offset"] == pytest.approx([0.002, -0.003, 0.001])


def test_each_seed_is_compared_with_its_own_reference():
    # The references spread 0.08..0.12 (a relabelling of 1000 images moves chance that much);
    # the accuracies follow them. Against 0.1 for all, the offsets would be -0.02..+0.02.
    d = at_chance(final([0.081, 0.100, 0.119], chance_ref=[0.080, 0.101, 0.120]))
    assert d.verdict is Verdict.SUPPORTED


def test_leaked_labels_far_above_chance_are_refuted():
    # A leak: test accuracy 0.87 in every seed, while chance is about 0.1.
    d = at_chance(final([0.87, 0.87, 0.87]))
    assert d.verdict is Verdict.REFUTED
    assert d.statistic == pytest.approx(0.77)
    assert d.p_refute < 1e-4


def test_an_offset_shown_beyond_the_margin_is_refuted():
    d = at_chance(final([0.148, 0.150, 0.153]))  # about 0.05 above chance, tightly
    assert d.verdict is Verdict.REFUTED
    assert d.details["interval"][0] > MARGIN


def test_noisy_offsets_are_inconclusive_not_at_chance():
    # Mean offset about 0, but seeds spread too much to show it lies within +-0.02.
    d = at_chance(final([0.127, 0.080, 0.113]))  # offsets +0.03, -0.02, +0.01
    assert d.verdict is Verdict.INCONCLUSIVE
    assert d.p_value >= 0.05


def test_one_row_per_seed_is_required():
    runs = pd.DataFrame(
        {"seed": [0, 0, 1], "test_acc": [0.1, 0.1, 0.1], "chance_ref": [0.1, 0.1, 0.1]}
    )
    with pytest.raises(ValueError, match="one row per seed"):
        at_chance(runs)


def test_the_same_offset_in_every_seed_is_no_evidence_of_the_spread():
    # Zero spread gave p = 0 (certain equivalence) before: seeds that are the same draw
    # (a seeding bug) would have shown the claim.
    d = at_chance(final([0.100, 0.100, 0.100], chance_ref=[0.099, 0.099, 0.099]))
    assert d.verdict is Verdict.INCONCLUSIVE
    assert "no evidence of its spread" in d.reason
    assert d.p_value == 1.0 and d.p_refute == 1.0
    assert d.seeds_needed is None


def test_the_decision_carries_the_tost_interval_margin_and_level():
    d = at_chance(final([0.099, 0.097, 0.104]))
    assert d.interval == pytest.approx(tuple(d.details["interval"]))
    assert d.interval_level == pytest.approx(0.90)
    assert d.margin == MARGIN
    assert -MARGIN < d.interval[0] < d.statistic < d.interval[1] < MARGIN
    assert d.seeds_needed is None  # decided


def test_an_inconclusive_tost_says_about_how_many_seeds_would_decide_it():
    runs = final([0.127, 0.080, 0.113])
    d = at_chance(runs)
    assert d.verdict is Verdict.INCONCLUSIVE
    n = d.seeds_needed
    assert n is not None and n > 3
    # the observed mean and sd with n seeds decide; with n - 1 they do not
    offsets = np.asarray(d.details["per_seed_offset"])
    m, sd = offsets.mean(), offsets.std(ddof=1)

    def decided(k: int) -> bool:
        se = sd / np.sqrt(k)
        t_eq = max(stats.t.sf((m + MARGIN) / se, k - 1), stats.t.cdf((m - MARGIN) / se, k - 1))
        return t_eq < 0.05

    assert decided(n) and not decided(n - 1)


def test_alpha_and_margin_have_no_defaults():
    with pytest.raises(TypeError):
        rules.at_chance(final([0.1, 0.1, 0.1]), acc="test_acc")  # type: ignore[call-arg]


# --- simulation: TOST at its margin (offset +-0.02, sd 0.010, correlations of the power cases) ---
# 2000 draws a row, 8 rows a scenario (4 seed counts x 2 directions): each held to 0.05 + 3
# Monte-Carlo SE (0.0646; see test_rules_barriers.py for why 3 on a grid).

N_SIM = 2000
GRID_LIMIT = 0.05 + 1.5 * cases.mc_slack(0.05, N_SIM)
AT_MARGIN = [
    c
    for c in cases.CASES
    if c.claim == "random-labels-chance" and "margin" in c.scenario and c.truth == cases.FALSE
]


@pytest.mark.slow
@pytest.mark.parametrize("case", AT_MARGIN, ids=lambda c: c.scenario)
def test_tost_holds_alpha_at_the_margin(case):
    for seeds in (3, 5, 10, 20):
        o = cases.outcome(case, seeds, N_SIM)
        # at the margin neither "within" nor "outside" is true
        assert o.supported <= GRID_LIMIT, f"{seeds} seeds: P(SUPPORTED) {o.supported:.3f}"
        assert o.refuted <= GRID_LIMIT, f"{seeds} seeds: P(REFUTED) {o.refuted:.3f}"
