"""Comparing two runs' report folders (issue 27): ``compare_runs``, ``compare.json``, the
report's comparison section and ``python -m suite compare``; no training."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import suite
from suite.__main__ import main
from suite.report import render_from_results
from suite.report.compare import compare_runs, load_baseline, mismatch, read_comparison
from suite.report.compare_section import comparison_figure

REFERENCE = Path(suite.__file__).parent.parent / "reports" / "reference-ci"


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old", tmp_path / "new"
    for d in (old, new):
        shutil.copytree(REFERENCE, d)
        (d / "index.html").unlink()
    return old, new


def edit_claims(folder: Path, edit) -> None:
    path = folder / "claims.json"
    claims = json.loads(path.read_text())
    for c in claims:
        edit(c)
    path.write_text(json.dumps(claims))


def shift_overfit(c: dict) -> None:
    """random-labels-overfit's test loss rises 3 nats less in every seed."""
    if c["id"] == "random-labels-overfit":
        c["details"]["rise"] = [float(v) - 3.0 for v in c["details"]["rise"]]
        if c.get("seed_values") is not None:  # written since issue 27: the values themselves
            c["seed_values"] = [float(v) - 3.0 for v in c["seed_values"]]
        c["statistic"] -= 3.0


def test_a_folder_compared_with_itself_moves_nothing(two_runs):
    old, new = two_runs
    (c_old, m_old), (c_new, m_new) = load_baseline(old), load_baseline(new)
    comparison = compare_runs(c_old, c_new, m_old, m_new)
    assert comparison["moved"] == []
    assert comparison["verdict_changes"] == comparison["drifts"] == 0
    assert comparison["claims_tested"] == 16  # every claim keeps its per-seed values
    assert "Holm over the 16 claims tested" in comparison["correction"]
    assert comparison["alpha"] == 0.05


def test_a_shifted_claim_drifts_and_no_other(two_runs):
    old, new = two_runs
    edit_claims(new, shift_overfit)
    (c_old, m_old), (c_new, m_new) = load_baseline(old), load_baseline(new)
    comparison = compare_runs(c_old, c_new, m_old, m_new)
    assert comparison["moved"] == ["random-labels-overfit"]
    row = next(r for r in comparison["claims"] if r["id"] == "random-labels-overfit")
    assert row["drift"] and not row["verdict_changed"]
    assert row["p_holm"] < 0.05 and row["method"] == "Welch t"
    assert row["old_statistic"] - row["new_statistic"] == pytest.approx(3.0)


def test_a_changed_verdict_is_reported_even_without_drift(two_runs):
    old, new = two_runs

    def refute(c):
        if c["id"] == "width-monotone":
            c["verdict"] = "refuted"

    edit_claims(new, refute)
    comparison = compare_runs(*load_baseline(old)[:1], *load_baseline(new)[:1], {}, {})
    row = next(r for r in comparison["claims"] if r["id"] == "width-monotone")
    assert row["verdict_changed"] and not row["drift"] and row["moved"]
    assert (row["old_verdict"], row["new_verdict"]) == ("supported", "refuted")


def test_runs_of_another_profile_seed_base_or_device_are_named():
    base = {"profile": "ci", "seed_base": 0, "device": "cuda:0"}
    assert mismatch(base, {**base, "device": "cuda:1"}) is None
    assert "seed base is 0, this run's is 3" in mismatch(base, {**base, "seed_base": 3})
    assert "profile is 'ci', this run's is 'paper'" in mismatch(base, {**base, "profile": "paper"})
    assert "device is 'cuda', this run's is 'cpu'" in mismatch(base, {**base, "device": "cpu"})


def test_the_report_shows_the_comparison_section_with_its_figure(two_runs):
    old, new = two_runs
    edit_claims(new, shift_overfit)
    assert main(["compare", str(old), str(new)]) == 0
    comparison = read_comparison(new / "compare.json")
    page = render_from_results(new).read_text(encoding="utf-8")
    assert '<section id="comparison">' in page and 'href="#comparison"' in page
    assert "1 of 16 claims moved" in page
    assert "comparison figure" in page
    fig = comparison_figure(comparison)
    gids = {line.get_gid() for ax in fig.axes for line in ax.lines}
    assert {"random-labels-overfit-old", "random-labels-overfit-new"} <= gids


def test_cli_compare_prints_the_table_and_fails_only_when_asked(two_runs, capsys):
    old, new = two_runs
    edit_claims(new, shift_overfit)
    assert main(["compare", str(old), str(new), "--fail", "verdict"]) == 0
    out = capsys.readouterr().out
    assert "random-labels-overfit" in out and "drift" in out
    assert "1 of 16 claims moved (0 verdict changes, 1 drifts beyond the seeds" in out
    assert main(["compare", str(old), str(new), "--fail", "drift"]) == 1


def test_cli_compare_refuses_another_seed_base_in_one_line(two_runs, capsys):
    old, new = two_runs
    run = json.loads((new / "run.json").read_text())
    run["meta"]["seed_base"] = 7
    (new / "run.json").write_text(json.dumps(run))
    assert main(["compare", str(old), str(new)]) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "seed base is 0, this run's is 7" in err[0]
    assert not (new / "compare.json").exists()
    assert main(["compare", str(old), str(new), "--allow-mismatch"]) == 0


def test_cli_compare_of_a_missing_folder_is_one_line(tmp_path, capsys):
    assert main(["compare", str(REFERENCE), str(tmp_path / "nowhere")]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"error: no run at {tmp_path / 'nowhere'} (no claims.json there)"
    )


def test_a_report_written_without_a_comparison_drops_an_old_compare_json(two_runs):
    from suite.report.files import COMPARE_FILE, read_results, write_results

    old, new = two_runs
    assert main(["compare", str(old), str(new)]) == 0
    write_results(read_results(old), new)  # no comparison this time
    assert not (new / COMPARE_FILE).exists()


def test_rises_measured_at_another_final_epoch_are_not_compared(two_runs):
    # at ci random labels stop once every seed of the run fits: all its rises share that epoch
    old, new = two_runs

    def ended_at(epoch: int):
        def edit(c: dict) -> None:
            if c["id"] == "random-labels-overfit":
                c["details"]["final_epoch"] = epoch

        return edit

    edit_claims(old, ended_at(480))
    edit_claims(new, ended_at(620))
    edit_claims(new, shift_overfit)
    (c_old, m_old), (c_new, m_new) = load_baseline(old), load_baseline(new)
    row = next(
        r
        for r in compare_runs(c_old, c_new, m_old, m_new)["claims"]
        if r["id"] == "random-labels-overfit"
    )
    assert row["p"] is None and not row["drift"]
    assert "final_epoch (480 vs 620)" in row["note"]
    edit_claims(new, ended_at(480))  # the same end: compared, and the shift found
    (c_new, m_new) = load_baseline(new)
    row = next(
        r
        for r in compare_runs(c_old, c_new, m_old, m_new)["claims"]
        if r["id"] == "random-labels-overfit"
    )
    assert row["drift"]
