"""Baselines through pytest (issue 27): ``--gen-save``, ``--gen-compare``,
``--gen-compare-fail`` and ``--gen-require-decided``, end to end on fake experiments.

The project's claims are decided by the real rules on two made-up experiments, ``alpha`` and
``beta``, that train nothing: each seed's data has a slope set by the experiment's learning
rate (``FAKE_LR_ALPHA`` / ``FAKE_LR_BETA``) plus seed noise, and the seeds come from
``--gen-seed-base``. So a run takes a second, and changing one experiment's learning rate
moves exactly that experiment's claims.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

CONFTEST = """
pytest_plugins = ["suite.plugin.hooks", "suite.plugin.fixtures"]
"""

CLAIMS = '''
import os

import numpy as np
import pandas as pd
import pytest

from suite.stats import rules
from suite.stats.verdicts import Decision, Verdict
from suite.train.frames import ExperimentResult


def experiment(name, seed_base, y_noise):
    """8 seeds x 6 points; y rises with x at a slope set by the learning rate."""
    lr = float(os.environ.get(f"FAKE_LR_{name.upper()}", "0.1"))
    rng = np.random.default_rng([seed_base, sum(map(ord, name)), int(y_noise * 10)])
    rows = []
    for seed in range(8):
        slope = 10 * lr + rng.normal(0.0, 0.3)
        for x in range(6):
            rows.append({"seed": seed, "x": x, "y": slope * x + rng.normal(0.0, y_noise)})
    return ExperimentResult(name, "ci", "cpu", {"lr": lr}, {"final": pd.DataFrame(rows)}, 0.1)


def trend(claim, name, y_noise):
    e = experiment(name, claim.settings.seed_base, y_noise)
    decision = rules.within_seed_trend(
        e.frames["final"], x="x", y="y", direction="increasing", alpha=0.05
    )
    claim.record(decision, e)


@pytest.mark.generalization("sensitivity-gap")
def test_alpha_trend(claim):
    trend(claim, "alpha", 1.0)


@pytest.mark.generalization("sensitivity-accuracy")
def test_alpha_noisy_trend(claim):
    trend(claim, "alpha", 0.5)


@pytest.mark.generalization("sharpness-gap")
def test_beta_trend(claim):
    trend(claim, "beta", 1.0)


@pytest.mark.generalization("sharpness-batch")
def test_beta_undecided(claim):
    e = experiment("beta", claim.settings.seed_base, 1.0)
    claim.record(
        Decision(
            rule="within_seed_trend",
            statistic=0.0,
            threshold="-",
            p_value=0.5,
            verdict=Verdict.INCONCLUSIVE,
            n_runs=48,
            n_seeds=8,
            reason="made up: never decided",
            details={"per_seed_tau": [0.1, -0.1, 0.0, 0.2, -0.2, 0.0, 0.1, -0.1]},
        ),
        e,
    )
'''

ALPHA_CLAIMS = {"sensitivity-gap", "sensitivity-accuracy"}


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\n")
    pytester.makeconftest(textwrap.dedent(CONFTEST))
    pytester.makepyfile(test_claims=textwrap.dedent(CLAIMS))
    return pytester


def run(p: pytest.Pytester, *args: str) -> pytest.RunResult:
    return p.runpytest_inprocess(
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "--gen-device=cpu",
        "--gen-cache-dir=cache",
        "--gen-report=report/index.html",
        *args,
    )


def claims(p: pytest.Pytester, folder: str = "report") -> dict[str, dict]:
    return {c["id"]: c for c in json.loads((p.path / folder / "claims.json").read_text())}


def comparison(p: pytest.Pytester) -> dict[str, dict]:
    data = json.loads((p.path / "report" / "compare.json").read_text())
    return {r["id"]: r for r in data["claims"]}


def test_save_keeps_the_run_with_its_seed_values_commit_and_profile(project):
    result = run(project, "--gen-save", "main")
    assert result.ret == pytest.ExitCode.OK  # three supported, one inconclusive (a skip)
    saved = project.path / "reports" / "baselines" / "main"
    result.stdout.fnmatch_lines([f"generalization baseline saved: {saved}"])
    kept = claims(project, "reports/baselines/main")
    assert set(kept) == ALPHA_CLAIMS | {"sharpness-gap", "sharpness-batch"}
    assert all(len(c["seed_values"]) == 8 and c["seed_scale"] == "mean" for c in kept.values())
    meta = json.loads((saved / "run.json").read_text())["meta"]
    assert {"commit", "profile", "seed_base", "device", "torch_version", "suite_version"} <= set(
        meta
    )


def test_two_identical_runs_move_nothing(project):
    run(project, "--gen-save", "main")
    result = run(project, "--gen-compare", "main", "--gen-compare-fail", "drift")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["*compared with main*: 0 of 4 claims moved*"])
    assert not any(r["moved"] for r in comparison(project).values())
    assert "FAILED: " not in result.stdout.str()


def test_a_changed_learning_rate_drifts_that_experiments_claims_only(project, monkeypatch):
    run(project, "--gen-save", "main")
    monkeypatch.setenv("FAKE_LR_ALPHA", "0.0")  # no slope but the seeds': alpha's taus fall
    result = run(project, "--gen-compare", "main")
    rows = comparison(project)
    assert {k for k, r in rows.items() if r["drift"]} == ALPHA_CLAIMS, result.stdout.str()
    assert all(rows[k]["new_statistic"] < rows[k]["old_statistic"] for k in ALPHA_CLAIMS)
    result.stdout.fnmatch_lines(["*: 2 of 4 claims moved (* verdict changes, 2 drifts*"])
    page = (project.path / "report" / "index.html").read_text()
    assert '<section id="comparison">' in page
    assert result.ret == pytest.ExitCode.OK  # a comparison fails a run only when asked
    failed = run(project, "--gen-compare", "main", "--gen-compare-fail", "drift")
    assert failed.ret == pytest.ExitCode.TESTS_FAILED
    failed.stdout.fnmatch_lines(["generalization: FAILED: sensitivity-*"])
    assert "FAILED: sharpness" not in failed.stdout.str()


def test_a_changed_verdict_fails_with_compare_fail_verdict(project, monkeypatch):
    monkeypatch.setenv("FAKE_LR_BETA", "0.0")  # beta's trend is not there in the baseline
    baseline = run(project, "--gen-save", "main", "--gen-report", "none")
    assert "sharpness-gap" in baseline.stdout.str()
    monkeypatch.setenv("FAKE_LR_BETA", "0.1")  # ... and is in this run: a verdict changed
    result = run(project, "--gen-compare", "main", "--gen-compare-fail", "verdict")
    assert comparison(project)["sharpness-gap"]["verdict_changed"]
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["generalization: FAILED: sharpness-gap: verdict changed * -> supported*"]
    )
    assert run(project, "--gen-compare", "main").ret == pytest.ExitCode.OK  # not asked to fail


def test_a_required_claim_left_inconclusive_fails_the_run(project):
    decided = run(project, "-k", "alpha_trend", "--gen-require-decided", "sensitivity-gap")
    assert decided.ret == pytest.ExitCode.OK, decided.stdout.str()
    result = run(
        project,
        "-k",
        "alpha_trend or undecided",
        "--gen-require-decided",
        "sensitivity-gap,sharpness-batch",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["generalization: FAILED: sharpness-batch: required to be decided, but INCONCLUSIVE*"]
    )
    missing = run(project, "-k", "alpha_trend", "--gen-require-decided", "width-monotone")
    assert missing.ret == pytest.ExitCode.TESTS_FAILED
    missing.stdout.fnmatch_lines(["*width-monotone: required to be decided, but it did not run"])


def test_the_ini_keys_do_the_same(project, monkeypatch):
    run(project, "--gen-save", "main", "--gen-report", "none")
    project.makeini(
        "[pytest]\ngen_compare = main\ngen_compare_fail = drift\n"
        "gen_require_decided = sensitivity-gap\n"
    )
    monkeypatch.setenv("FAKE_LR_ALPHA", "0.0")
    result = run(project, "-k", "alpha")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*FAILED: sensitivity-gap: verdict changed supported -> inconclusive*",
            "*FAILED: sensitivity-gap: required to be decided, but INCONCLUSIVE*",
        ]
    )


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--gen-compare", "nope"], "--gen-compare: no baseline named 'nope' (looked for "),
        (["--gen-compare", "no/such/dir"], "--gen-compare: no baseline at "),
        (["--gen-compare", "main", "--gen-seed-base", "3"], "seed base is 0, this run's is 3"),
        (["--gen-compare", "main", "--gen-profile", "paper"], "profile is 'ci', this run's is"),
        (["--gen-compare", "main", "--gen-compare-fail", "all"], "must be verdict or drift"),
        (["--gen-save", "../up"], "--gen-save: a baseline name is letters, digits"),
        (["--gen-require-decided", "no-such-claim"], "'no-such-claim' is not a claim id"),
    ],
    ids=["missing", "missing-path", "seed-base", "profile", "fail-value", "name", "require"],
)
def test_a_missing_or_mismatched_baseline_is_one_line_exit_4_nothing_written(project, args, says):
    run(project, "--gen-save", "main", "--gen-report", "none")
    before = _tree(project.path)
    result = run(project, *args)
    printed = [line for line in [*result.outlines, *result.errlines] if line.strip()]
    assert result.ret == pytest.ExitCode.USAGE_ERROR, printed
    assert len(printed) == 1 and printed[0].startswith("ERROR: "), printed
    assert says in printed[0]
    assert _tree(project.path) == before
