"""Verdict stability over seed sets: the aggregation, resuming, the CLI and the report section.

No claim is trained here: sets are claims.json records written by hand or by a stand-in command.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import textwrap
from pathlib import Path

import pytest

from suite.__main__ import main
from suite.report import render_from_results
from suite.report.stability_section import stability_section
from suite.stability import (
    MISSING,
    SetResult,
    aggregate,
    csv_text,
    finished_set,
    pytest_command,
    run_stability,
    set_dir,
    table_lines,
)

EVIL = "<script>alert(1)</script>"


def records(verdicts: dict[str, str], profile: str = "ci", base: int = 0) -> list[dict]:
    """claims.json records as the plugin writes them (only the fields stability reads, and one
    extra field it must ignore)."""
    return [
        {"id": claim, "verdict": v, "profile": profile, "seed_base": base, "expected": False}
        for claim, v in verdicts.items()
    ]


def sets_of(*verdicts: dict[str, str], exit_codes: list[int | None] | None = None):
    codes = exit_codes or [0] * len(verdicts)
    return [
        SetResult.from_claims(base, code, 10.0, records(v, base=base))
        for base, (v, code) in enumerate(zip(verdicts, codes, strict=True))
    ]


def by_id(summary: dict) -> dict[str, dict]:
    return {c["id"]: c for c in summary["claims"]}


# --- aggregation --------------------------------------------------------------------------------


def test_counts_agreement_and_flips_per_claim():
    sets = sets_of(
        {"a": "supported", "b": "refuted", "c": "supported"},
        {"a": "supported", "b": "refuted", "c": "refuted"},
        {"a": "supported", "b": "inconclusive", "c": "supported"},
        {"a": "supported", "b": "refuted", "c": "supported"},
        exit_codes=[0, 1, 0, None],
    )
    summary = aggregate(sets, "ci")
    claims = by_id(summary)
    assert claims["a"]["counts"] == {"supported": 4}
    assert claims["a"]["agreement"] == 1.0 and not claims["a"]["flips"]
    assert claims["b"]["counts"] == {"refuted": 3, "inconclusive": 1}
    assert claims["b"]["agreement"] == 0.75 and claims["b"]["majority"] == "refuted"
    assert not claims["b"]["flips"]  # refuted and inconclusive is no flip
    assert claims["c"]["flips"] and claims["c"]["verdicts"] == [
        "supported",
        "refuted",
        "supported",
        "supported",
    ]
    assert summary["bases"] == [0, 1, 2, 3]
    assert [s["exit_code"] for s in summary["sets"]] == [0, 1, 0, None]
    assert summary["passed_sets"] == 2
    assert summary["summary"].startswith("2 of 4 sets exited 0 at profile ci; 1 of 3 claims")
    assert "flips (supported and refuted): c" in summary["summary"]
    json.dumps(summary)  # plain JSON


def test_verdict_strings_are_counted_as_they_come_and_a_missing_claim_counts():
    sets = sets_of(
        {"x": "expected refutation", "y": "supported"},
        {"x": "refuted", "y": "some future verdict"},
        {"x": "supported"},  # y not recorded: its run crashed before the claim
    )
    claims = by_id(aggregate(sets, "paper"))
    assert claims["x"]["counts"] == {"expected refutation": 1, "refuted": 1, "supported": 1}
    assert claims["x"]["flips"]  # an expected refutation is still a refutation
    assert claims["y"]["counts"] == {"some future verdict": 1, "supported": 1, MISSING: 1}
    assert claims["y"]["agreement"] == pytest.approx(1 / 3)


def test_sets_are_ordered_by_base_and_the_csv_has_a_column_per_verdict_and_set():
    sets = list(reversed(sets_of({"a": "supported"}, {"a": "refuted"})))
    summary = aggregate(sets, "ci")
    assert summary["bases"] == [0, 1]
    rows = list(csv.DictReader(io.StringIO(csv_text(summary))))
    assert rows == [
        {
            "claim": "a",
            "n_sets": "2",
            "agreement": "0.5",
            "majority": "supported",
            "flips": "True",
            "refuted": "1",
            "supported": "1",
            "base_0": "supported",
            "base_1": "refuted",
        }
    ]
    lines = table_lines(summary)
    assert lines[1].split()[:3] == ["a", "0.50", "yes"]
    assert lines[-3] == "pytest exit code (wall time) by base: 0: 0 (10 s), 1: 0 (10 s)"
    assert lines[-2] == "wall time per set: median 10 s, max 10 s"
    assert "1 are decided (supported or refuted) in >= 95%" in lines[-1]


def test_the_table_counts_rule_outcomes_and_the_seeds_each_set_used():
    from suite.stability import SetResult, seeds_text

    sets = [
        SetResult(0, 0, 100.0, {"a": "supported", "b": "inconclusive"}, seeds={"a": 3, "b": 6}),
        SetResult(1, 0, 300.0, {"a": "supported", "b": "supported"}, seeds={"a": 6, "b": 6}),
        SetResult(2, 1, 200.0, {"a": "supported", "b": "refuted"}, seeds={"a": 3, "b": 6}),
    ]
    summary = aggregate(sets, "ci")
    claims = by_id(summary)
    assert claims["a"]["seeds"] == [3, 6, 3] and claims["a"]["decided"] == 1.0
    assert claims["b"]["decided"] == pytest.approx(2 / 3) and claims["b"]["flips"]
    assert seeds_text(claims["a"]["seeds"]) == "3-6 (median 3)"
    assert seeds_text(claims["b"]["seeds"]) == "6"
    assert summary["median_seconds"] == 200.0 and summary["max_seconds"] == 300.0
    assert summary["sets"][1]["seeds"] == {"a": 6, "b": 6}
    assert "3-6 (median 3)" in table_lines(summary)[1]


def test_each_claim_gets_its_statistic_range_and_a_prediction_interval_for_one_more_set():
    from suite.stability import spread_text
    from suite.stats.prediction import prediction_interval

    stats = [-0.5, -0.4, -0.45, -0.3, -0.35]
    sets = [
        SetResult.from_claims(b, 0, 1.0, [{"id": "a", "verdict": "refuted", "statistic": x}])
        for b, x in enumerate(stats)
    ]
    claim = by_id(aggregate(sets, "ci"))["a"]
    assert (claim["statistic_min"], claim["statistic_max"]) == (-0.5, -0.3)
    lo, hi = claim["prediction"]
    # mean -0.4, sd 0.079, t(0.995, 4) = 4.60: half-width 0.40
    assert lo == pytest.approx(-0.799, abs=1e-3) and hi == pytest.approx(-0.001, abs=1e-3)
    assert spread_text(claim) == "-0.5 .. -0.3 (-0.799, -0.00127)"
    # never narrower than what was seen
    assert prediction_interval([0.0, 0.0, 1.0], level=0.5)[1] >= 1.0
    with pytest.raises(ValueError, match="at least 2"):
        prediction_interval([1.0])


# --- running and resuming -----------------------------------------------------------------------

FAKE_RUN = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    profile, base, html = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    verdict = "refuted" if base == 3 else "supported"
    html.parent.mkdir(parents=True, exist_ok=True)
    claims = [{"id": "c", "verdict": verdict, "profile": profile, "seed_base": base}]
    (html.parent / "claims.json").write_text(json.dumps(claims))
    print("ran", base)
    sys.exit(1 if base == 3 else 0)
    """
)


def fake_command(profile: str, base: int, html: Path) -> list[str]:
    return [sys.executable, "-c", FAKE_RUN, profile, str(base), str(html)]


def test_sets_run_resume_and_write_the_summary(tmp_path):
    lines: list[str] = []
    summary = run_stability(
        "ci", 3, tmp_path, first_base=2, workers=2, command=fake_command, progress=lines.append
    )
    assert summary["bases"] == [2, 3, 4]
    assert [s["exit_code"] for s in summary["sets"]] == [0, 1, 0]
    assert by_id(summary)["c"]["counts"] == {"supported": 2, "refuted": 1}
    assert by_id(summary)["c"]["flips"]
    assert json.loads((tmp_path / "stability.json").read_text()) == summary
    assert (tmp_path / "stability.csv").read_text().startswith("claim,n_sets,agreement")
    assert "ran 3" in (set_dir(tmp_path, 3) / "pytest.log").read_text()
    finished = [line for line in lines if line.startswith("set ")]
    assert len(finished) == 3 and any("base 3, exit 1" in line for line in finished)

    def must_not_run(*_args):
        raise AssertionError("a finished set was run again")

    lines.clear()
    again = run_stability(
        "ci", 3, tmp_path, first_base=2, command=must_not_run, progress=lines.append
    )
    assert [s["exit_code"] for s in again["sets"]] == [0, 1, 0]
    assert sum("already done" in line for line in lines) == 3

    # another profile's (or base's) results are not reused
    assert finished_set(tmp_path, 2, "paper") is None
    (set_dir(tmp_path, 4) / "claims.json").write_text(json.dumps(records({"c": "x"}, base=9)))
    assert finished_set(tmp_path, 4, "ci") is None


def test_a_set_that_records_no_claim_counts_every_claim_missing(tmp_path):
    def crash(profile, base, html):
        if base == 0:
            return fake_command(profile, base, html)
        return [sys.executable, "-c", "import sys; sys.exit(4)"]

    summary = run_stability("ci", 2, tmp_path, command=crash, progress=lambda _: None)
    assert [s["exit_code"] for s in summary["sets"]] == [0, 4]
    assert by_id(summary)["c"]["counts"] == {"supported": 1, MISSING: 1}


def test_the_pytest_command_runs_the_claims_of_one_seed_set():
    argv = pytest_command("ci", 7, Path("/out/base-7/index.html"), ["--gen-device", "cpu"])
    assert argv[:3] == [sys.executable, "-m", "pytest"]
    joined = " ".join(argv)
    for part in (
        "suite/ -m generalization",
        "--gen-profile ci",
        "--gen-seed-base 7",
        "--gen-report /out/base-7/index.html",
        "-p no:cacheprovider",
        "--gen-device cpu",
    ):
        assert part in joined


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], []),
        (["--executor", "ray"], ["--gen-executor", "ray"]),
        (
            ["--executor", "ray", "--ray-address", "auto", "-n", "2"],
            ["--gen-executor", "ray", "--gen-ray-address", "auto"],
        ),
    ],
)
def test_every_set_runs_on_the_executor_asked_for(tmp_path, monkeypatch, args, expected):
    import suite.stability

    commands = []

    def run_stability(profile, sets, out, *, command, **kwargs):
        commands.append(command(profile, 3, out / "base-3" / "index.html"))
        return aggregate([], profile)

    monkeypatch.setattr(suite.stability, "run_stability", run_stability)
    extra = ["--pytest-args", "--gen-device cpu"]
    assert main(["stability", "--out", str(tmp_path / "out"), *args, *extra]) == 0
    (argv,) = commands
    tail = argv[argv.index("no:cacheprovider") + 1 :]
    assert tail == [*expected, "--gen-device", "cpu"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--profile", "papr"], "unknown profile 'papr'"),
        (["--sets", "0"], "--sets must be >= 1, got 0"),
        (["--first-base", "-1"], "--first-base must be >= 0, got -1"),
        (["-n", "0"], "-n must be >= 1, got 0"),
        (["--ray-address", "auto"], "--ray-address needs --executor ray"),
        (["--executor", "ray", "-n", "2"], "the sets must share one cluster"),
    ],
)
def test_bad_stability_arguments_are_one_line_errors(tmp_path, capsys, args, says):
    assert main(["stability", "--out", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


# --- the report section -------------------------------------------------------------------------


def summary_with_evil() -> dict:
    sets = sets_of(
        {"a": "supported", EVIL: "refuted"},
        {"a": "supported", EVIL: "supported"},
        {"a": "inconclusive", EVIL: EVIL},
    )
    return aggregate(sets, "ci")


def test_the_section_shows_counts_agreement_flips_and_bases_escaped():
    section = stability_section(summary_with_evil())
    assert section.startswith('<section id="stability"><h2>Stability</h2>')
    assert EVIL not in section and "&lt;script&gt;" in section
    assert "--gen-seed-base 0..2" in section
    assert "pytest exited 0 in 3 of 3 sets" in section
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)
    a_row = next(r for r in rows if '<td class="id">a</td>' in r)
    assert "2 supported, 1 inconclusive" in a_row and "0.667" in a_row
    evil_row = next(r for r in rows if "&lt;script&gt;alert(1)&lt;/script&gt;</td>" in r)
    assert "<b>yes</b>" in evil_row  # flips


def test_a_malformed_summary_does_not_take_the_report_down():
    section = stability_section({"claims": [{"id": "a", "agreement": "high"}], "sets": [1]})
    assert "could not be shown" in section


def results_dir(path: Path) -> Path:
    """A finished run's results directory at its smallest: one claim, no experiment."""
    claim = {"id": "a", "statement": "s", "verdict": "supported", "profile": "ci", "n_runs": 3}
    (path / "claims.json").write_text(json.dumps([claim]))
    return path


def test_the_report_shows_a_stability_json_given_or_found_beside_it(tmp_path):
    html = render_from_results(results_dir(tmp_path), tmp_path / "r.html")
    assert 'id="stability"' not in html.read_text()
    given = tmp_path / "elsewhere.json"
    given.write_text(json.dumps(summary_with_evil()))
    page = render_from_results(tmp_path, tmp_path / "with.html", stability=given).read_text()
    assert '<section id="stability">' in page and 'href="#stability"' in page
    (tmp_path / "stability.json").write_text(json.dumps(summary_with_evil()))
    page = render_from_results(tmp_path, tmp_path / "found.html").read_text()
    assert '<section id="stability">' in page


def test_cli_report_takes_a_stability_file(tmp_path, capsys):
    results_dir(tmp_path)
    stability = tmp_path / "s.json"
    stability.write_text(json.dumps(summary_with_evil()))
    out = tmp_path / "page.html"
    assert main(["report", str(tmp_path), "--output", str(out), "--stability", str(stability)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert '<section id="stability">' in out.read_text()
    assert main(["report", str(tmp_path), "--stability", str(tmp_path / "missing.json")]) == 2
    assert "is not a file" in capsys.readouterr().err
    stability.write_text("[1, 2]")
    assert main(["report", str(tmp_path), "--stability", str(stability)]) == 2
    assert "is not a stability summary" in capsys.readouterr().err
