"""The claim records: one decision per claim, called alike everywhere; no verdict set by them.

A record holds no override: at every profile the verdict is its rule's outcome on the data. So
a training regression shows as a failure, not a skip: random labels that end at 50% train
accuracy refute ``random-labels-fit`` at ``ci``, and the run fails.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest

from suite.stats.catalog import CLAIMS, ClaimSpec, case_of, claims_on, spec_for
from suite.stats.verdicts import Verdict

CLAIMS_DIR = Path(__file__).resolve().parents[2] / "claims"


def test_no_record_carries_a_verdict_of_its_own():
    fields = {f.name for f in dataclasses.fields(ClaimSpec)}
    assert not {f for f in fields if "undecided" in f or "verdict" in f}


def test_every_record_has_a_level_a_decision_and_cases_its_test_parametrizes():
    for spec in CLAIMS.values():
        assert 0 < spec.alpha <= 0.05 and callable(spec.decide)
    assert spec_for("interpolation-peak[shared]").cases == ("independent", "shared")
    assert case_of("interpolation-peak[shared]") == "shared" and case_of("width-monotone") is None
    assert {s.id for s in claims_on("interpolation")} == {
        "interpolation-peak",
        "shared-init-lower-barrier",
    }


def test_claim_tests_call_no_rule_of_their_own():
    """The rule call is written once, in the record: claim tests only hand over the data."""
    for path in CLAIMS_DIR.glob("test_*.py"):
        text = path.read_text()
        assert "rules." not in text and "from suite.stats import rules" not in text, path.name


def test_a_rule_takes_no_default_margin_or_level():
    from suite.stats import rules

    for name in rules.__all__:
        params = inspect.signature(getattr(rules, name)).parameters
        for p in ("alpha", "margin", "share"):
            if p in params:
                assert params[p].default is inspect.Parameter.empty, f"{name}({p}=...)"


CONFTEST = """
import pandas as pd
import pytest

from suite.train.frames import ExperimentResult


@pytest.fixture(scope="session")
def random_labels():
    rows = []
    for seed in range(10):
        for epoch in (0, 20, 40):
            acc = 0.1 + 0.4 * epoch / 40  # ends at 50% train accuracy: memorization broke
            rows.append(dict(seed=seed, epoch=epoch, train_loss=2.3 - 0.01 * epoch,
                             train_acc=acc, test_loss=2.3 + 0.05 * epoch, test_acc=0.1,
                             chance_ref=0.1))
    return ExperimentResult(name="random_labels", profile="ci", device="cpu", config={},
                            frames={"epochs": pd.DataFrame(rows)}, seconds=0.0)
"""

ARGS = ["-p", "suite.plugin.hooks", "-p", "suite.plugin.fixtures", "-p", "no:cacheprovider"]
ARGS += ["--gen-device", "cpu", "--gen-report", "none", "--gen-cache-dir", "cache", "-rA"]


def test_random_labels_at_half_train_accuracy_refute_the_fit_claim_and_fail_the_run(
    pytester: pytest.Pytester,
):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_random=(CLAIMS_DIR / "test_random_labels.py").read_text())
    result = pytester.runpytest_inprocess(*ARGS, "--gen-profile", "ci", "-k", "full_train")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*claim random-labels-fit refuted*"])
    assert result.ret == 1


def test_the_decision_is_the_rules_outcome_at_every_profile():
    from suite.tests import fake_results

    frames = fake_results.random_labels().frames
    spec = spec_for("random-labels-chance")
    assert spec.decision(frames).verdict in set(Verdict)
    with pytest.raises(ValueError, match="per case"):
        spec_for("interpolation-peak").decision(fake_results.interpolation().frames)
