"""``python -m suite``, run in-process."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from suite.__main__ import main
from suite.data.idx import MnistUnavailable, raw_dir
from suite.data.mnist import ensure_mnist


@pytest.fixture(scope="module")
def mnist_root() -> Path:
    try:
        return ensure_mnist()
    except MnistUnavailable as error:
        pytest.skip(f"MNIST is not available here: {error}")


def test_fetch_data_on_a_fetched_root_fetches_nothing_and_shows_the_data(mnist_root, capsys):
    assert main(["fetch-data", "--data-root", str(mnist_root)]) == 0
    out = capsys.readouterr().out
    assert "found existing files" in out
    assert "train 55000, val 5000, test 10000" in out
    assert "5923 6742 5958 6131 5842 5421 5918 6265 5851 5949" in out
    assert "980 1135 1032 1010 982 892 958 1028 974 1009" in out
    assert str(raw_dir(mnist_root)) in out


def test_fetch_data_errors_are_one_line_and_exit_2(tmp_path, capsys):
    raw_dir(tmp_path).mkdir(parents=True)
    (raw_dir(tmp_path) / "t10k-images-idx3-ubyte").write_bytes(b"not idx")
    assert main(["fetch-data", "--data-root", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: broken MNIST file")
    assert "t10k-images-idx3-ubyte" in captured.err
    assert captured.err.count("\n") == 1


@pytest.fixture
def fake_report(monkeypatch):
    calls: list[tuple[Path, Path | None]] = []

    def render_from_results(
        results_dir: Path, html_path: Path | None = None, stability: Path | None = None
    ) -> Path:
        calls.append((results_dir, html_path))
        if not results_dir.exists():
            raise FileNotFoundError(f"no results in {results_dir}")
        return html_path or results_dir / "report.html"

    module = types.ModuleType("suite.report")
    module.render_from_results = render_from_results
    monkeypatch.setitem(sys.modules, "suite.report", module)
    return calls


def test_report_renders_and_prints_the_path(fake_report, tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "report.html")
    assert main(["report", str(tmp_path), "--output", str(tmp_path / "x.html")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "x.html")
    assert fake_report == [(tmp_path, None), (tmp_path, tmp_path / "x.html")]


def test_report_errors_are_one_line_and_exit_2(fake_report, tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.startswith("error: no results in")


def test_no_command_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2


def test_results_table_marks_the_times_of_resumed_experiments(tmp_path, capsys):
    """The README's table from a results folder; an experiment resumed from checkpoints has its
    seconds from several sittings, and the table says so."""
    from dataclasses import replace

    from suite.report.files import write_results
    from suite.report.model import ReportData
    from suite.tests import fake_results

    experiments = [
        replace(e, extra={**e.extra, "resumed_after_s": 60.0}) if e.name == "width_sweep" else e
        for e in fake_results.experiments()
    ]
    meta = {"profile": "paper", "device": "cpu", "torch_version": "2.14.1"}
    write_results(ReportData(fake_results.claims(), experiments, meta), tmp_path)
    assert main(["results-table", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Measured at profile `paper`, device `cpu`, torch 2.14.1:"
    width = [line for line in lines if line.startswith("| width-monotone |")]
    others = [line for line in lines if line.startswith("| random-labels-fit |")]
    assert width and all(line.endswith(" * |") for line in width)
    assert others and not any("*" in line for line in others)
    assert lines[-1].startswith("\\* resumed from checkpoints")
