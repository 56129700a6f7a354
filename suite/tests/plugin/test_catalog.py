"""The catalog's undecided entries: a claim, or one case of it, is INCONCLUSIVE at a profile.

A claim whose verdict no seed count within a profile's budget makes stable is declared
undecided there (README "Profiles"): the rule still runs and its outcome is shown, the verdict
is INCONCLUSIVE. An entry for one parametrized case must leave the other cases decided.
"""

from __future__ import annotations

import pytest

from suite.catalog import CLAIMS, spec_for


def test_an_undecided_case_leaves_the_other_cases_of_its_claim_decided():
    spec = spec_for("interpolation-peak[shared]")
    assert spec.undecided("interpolation-peak[shared]", "ci")
    assert spec.undecided("interpolation-peak[independent]", "ci") is None
    assert spec.undecided("interpolation-peak[shared]", "paper") is None


def test_a_claim_undecided_as_a_whole_is_undecided_in_every_case():
    spec = spec_for("random-labels-fit")
    assert spec.undecided("random-labels-fit", "ci")
    assert spec.undecided("random-labels-fit[any]", "ci")
    assert spec.undecided("random-labels-fit", "paper") is None


def test_every_claim_is_decided_at_paper():
    for spec in CLAIMS.values():
        assert "paper" not in spec.undecided_at
        assert all("paper" not in profiles for profiles in spec.undecided_cases.values())


CLAIMS_FILE = """
import pytest

from suite.train.frames import ExperimentResult
from suite.stats.verdicts import Decision, Verdict


@pytest.mark.generalization("interpolation-peak")
@pytest.mark.parametrize("init", ["independent", "shared"])
def test_peak(claim, init):
    decision = Decision(
        rule="error barrier", statistic=5.0, threshold="> 2", p_value=0.001,
        verdict=Verdict.SUPPORTED, n_runs=3, n_seeds=3,
    )
    experiment = ExperimentResult(
        name="interpolation", profile="ci", device="cpu", config={}, frames={}, seconds=0.0
    )
    claim.decide(decision, experiment)
"""

ARGS = ["-p", "suite.plugin.hooks", "-p", "suite.plugin.fixtures", "-p", "no:cacheprovider"]
ARGS += ["--gen-device", "cpu", "--gen-report", "none", "--gen-cache-dir", "cache", "-rs"]


@pytest.mark.parametrize("profile", ["ci", "paper"])
def test_the_undecided_case_is_skipped_with_the_rules_outcome_the_other_passes(
    pytester: pytest.Pytester, profile: str
):
    pytester.makepyfile(test_claims=CLAIMS_FILE)
    result = pytester.runpytest_inprocess(*ARGS, "--gen-profile", profile)
    if profile == "paper":
        result.assert_outcomes(passed=2)
        return
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*interpolation-peak[[]shared[]] inconclusive: undecided at ci by the catalog*"
            "rule outcome: supported*"
        ]
    )
