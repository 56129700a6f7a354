"""A documented refutation (``suite.plugin.claim.refuted_at``) xfails only inside its interval.

The claim tests below run through pytest itself (``pytester``, in-process, at the ci profile),
so that the strict xfail, the plugin and ``Claim.decide`` act together as in a claims run: no
training, the rule decides a table written in the test. The interval (-0.01, 0.03) documents
an offset from chance of about +0.025; a leak that puts test accuracy at 0.87 (offset 0.77)
is refuted too, and must fail rather than pass for the documented refutation.
"""

from __future__ import annotations

import pytest

CLAIMS = """
import pandas as pd
import pytest

from suite.plugin.claim import refuted_at
from suite.train.frames import ExperimentResult

REFERENCES = [0.097, 0.100, 0.103]


def decide(claim, test_acc):
    final = pd.DataFrame({"seed": [0, 1, 2], "test_acc": test_acc, "chance_ref": REFERENCES})
    experiment = ExperimentResult(
        name="random_labels", profile="ci", device="cpu", config={},
        frames={"epochs": final}, seconds=0.0,
    )
    claim.decide(experiment)  # the claim's own decision, from its catalog record


@pytest.mark.generalization("random-labels-chance")
@refuted_at("ci", "mean offset 0.025", interval=(-0.01, 0.03))
def test_documented(claim):
    decide(claim, [0.121, 0.125, 0.129])  # offset 0.025 in every seed


@pytest.mark.generalization("random-labels-chance")
@refuted_at("ci", "mean offset 0.025", interval=(-0.01, 0.03))
def test_leaked(claim):
    decide(claim, [0.86, 0.87, 0.88])  # offset 0.77


@pytest.mark.generalization("random-labels-chance")
@refuted_at("ci", "mean offset 0.025", interval=(-0.01, 0.03))
def test_holds(claim):
    decide(claim, [0.098, 0.101, 0.102])  # at chance: the documented refutation is gone


@pytest.mark.generalization("random-labels-chance")
def test_undocumented(claim):
    decide(claim, [0.86, 0.87, 0.88])


@pytest.mark.generalization("random-labels-chance")
@refuted_at("paper", "mean offset 0.77", interval=(0.5, 1.0))
@refuted_at("ci", "mean offset 0.025", interval=(-0.01, 0.03))
def test_each_profile_its_interval(claim):
    decide(claim, [0.121, 0.125, 0.129])  # ci's documented refutation, outside paper's interval


@pytest.mark.generalization("random-labels-chance")
@refuted_at("paper", "mean offset 0.025", interval=(-0.01, 0.03))
def test_paper_only(claim):
    decide(claim, [0.121, 0.125, 0.129])  # refuted at ci, documented only at paper


@pytest.mark.generalization("random-labels-chance")
@refuted_at("ci", "mean offset 0.025", interval=(-0.01, 0.03), because="below the margin")
def test_other_reason(claim):
    decide(claim, [0.121, 0.125, 0.129])  # refuted above the margin, documented below it


@pytest.mark.generalization("random-labels-chance")
@refuted_at("ci", "mean offset 0.025", interval=(-0.01, 0.03), because="above the margin")
def test_same_reason(claim):
    decide(claim, [0.121, 0.125, 0.129])
"""


ARGS = ["-p", "suite.plugin.hooks", "-p", "suite.plugin.fixtures", "-p", "no:cacheprovider"]
ARGS += ["--gen-profile", "ci", "--gen-device", "cpu", "--gen-report", "none"]


@pytest.fixture
def run(pytester: pytest.Pytester):
    """Runs one claim test above through pytest; returns its call-phase report."""
    pytester.makepyfile(test_claims=CLAIMS)

    def call(name: str) -> pytest.TestReport:
        result = pytester.runpytest_inprocess(*ARGS, "--gen-cache-dir", "cache", "-k", name)
        (report,) = [
            r for r in result.reprec.getreports("pytest_runtest_logreport") if r.when == "call"
        ]
        return report

    return call


def test_a_refutation_inside_its_documented_interval_xfails(run):
    report = run("test_documented")
    assert report.skipped and hasattr(report, "wasxfail")


def test_a_refutation_outside_its_documented_interval_is_a_real_failure(run):
    report = run("test_leaked")
    assert report.failed and not hasattr(report, "wasxfail")
    assert "RegressionBehindRefutation" in report.longreprtext
    assert "statistic 0.77 outside its documented interval [-0.01, 0.03]" in report.longreprtext


def test_a_documented_refutation_that_no_longer_holds_fails_the_strict_xfail(run):
    report = run("test_holds")
    assert report.failed
    assert "XPASS(strict)" in report.longreprtext


def test_an_undocumented_refutation_fails(run):
    report = run("test_undocumented")
    assert report.failed and "claim random-labels-chance refuted" in report.longreprtext


def test_with_a_refutation_documented_at_two_profiles_each_profile_reads_its_own(run):
    report = run("test_each_profile_its_interval")
    assert report.skipped and "refuted at the ci profile" in report.wasxfail


def test_a_refutation_documented_at_another_profile_fails_here(run):
    report = run("test_paper_only")
    assert report.failed and not hasattr(report, "wasxfail")
    assert "claim random-labels-chance refuted" in report.longreprtext


def test_a_refutation_for_another_reason_than_documented_is_a_real_failure(run):
    report = run("test_other_reason")
    assert report.failed and "RegressionBehindRefutation" in report.longreprtext
    assert "documented as refuted because 'below the margin'" in report.longreprtext


def test_a_refutation_for_its_documented_reason_xfails(run):
    report = run("test_same_reason")
    assert report.skipped and hasattr(report, "wasxfail")
