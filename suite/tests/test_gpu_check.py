"""``suite.benchmarks.gpu_check``: stages that fit one device lease, each under its own limit,
and MNIST carried to a machine without network. Runs on CPU (the stages themselves need CUDA)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from suite.benchmarks import gpu_check, gpu_stages
from suite.data.idx import IMAGES_MAGIC, LABELS_MAGIC, IdxSpec

#: The device lease: 15 minutes in all, a fresh start costs one or more: stages <= 12.
LEASE_BUDGET_S = 12 * 60


def test_the_stages_fit_one_lease_and_the_dry_run_lists_them(capsys, tmp_path):
    plan = gpu_check.stages(tmp_path / "out", tmp_path / "work")
    assert sum(s.budget_s for s in plan) <= LEASE_BUDGET_S
    names = [s.name for s in plan]
    assert names[:3] == ["env", "data", "cuda-tests"] and names[-1] == "paper"
    assert gpu_check.main(["--dry-run"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in names) and "total" in text


def test_the_cuda_tests_stage_selects_the_cuda_marker():
    (stage,) = [s for s in gpu_check.stages(Path("o"), Path("w")) if s.name == "cuda-tests"]
    assert stage.command[stage.command.index("-m", 3) + 1] == "cuda"


def test_a_stage_past_its_limit_is_interrupted_and_the_next_one_runs(tmp_path):
    slow = gpu_check.Stage(
        "slow", 1, "sleeps", (sys.executable, "-c", "import time; time.sleep(60)")
    )
    fast = gpu_check.Stage("fast", 30, "exits", (sys.executable, "-c", "print('done')"))
    with open(tmp_path / "log", "w") as log:
        first = gpu_check.run_stage(slow, {}, log)
        second = gpu_check.run_stage(fast, {}, log)
    assert first["exit_code"] == "timed out" and first["seconds"] < 1 + gpu_check.GRACE_S + 5
    assert second["exit_code"] == 0
    assert "done" in (tmp_path / "log").read_text()


@pytest.mark.slow
def test_an_interrupted_pytest_still_reports_what_finished(tmp_path):
    # SIGINT at the limit: pytest ends the session and writes its junit XML
    test = tmp_path / "test_slow.py"
    test.write_text("import time\ndef test_quick(): pass\ndef test_slow(): time.sleep(60)\n")
    junit = tmp_path / "junit.xml"
    command = (
        sys.executable,
        "-m",
        "pytest",
        str(test),
        "-p",
        "no:cacheprovider",
        "-q",
        f"--junitxml={junit}",
        "-c",
        str(tmp_path / "none.ini"),
    )
    (tmp_path / "none.ini").write_text("[pytest]\n")
    # as a shell's `cmd &` starts a check: SIGINT ignored, which its stages would inherit
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with open(tmp_path / "log", "w") as log:
            result = gpu_check.run_stage(gpu_check.Stage("t", 5, "", command), {}, log)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert result["exit_code"] == "timed out"
    assert junit.is_file() and "test_quick" in junit.read_text()


def test_mnist_packs_and_unpacks_verified(tmp_path, monkeypatch):
    specs = (IdxSpec("images", IMAGES_MAGIC, (3, 28, 28)), IdxSpec("labels", LABELS_MAGIC, (3,)))
    monkeypatch.setattr(gpu_stages, "IDX_FILES", specs)
    raw = tmp_path / "root" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for spec in specs:
        (raw / spec.name).write_bytes(
            spec.header + bytes(i % 251 for i in range(spec.size - len(spec.header)))
        )
    packed = gpu_stages.pack_data(tmp_path / "root", tmp_path / "packed")
    assert [p.name for p in packed] == ["images.gz", "labels.gz"]
    gpu_stages.unpack_data(tmp_path / "packed", tmp_path / "device")
    for spec in specs:
        assert (tmp_path / "device" / "MNIST" / "raw" / spec.name).read_bytes() == (
            raw / spec.name
        ).read_bytes()


def test_a_truncated_carried_file_is_refused(tmp_path, monkeypatch):
    import gzip

    spec = IdxSpec("labels", LABELS_MAGIC, (3,))
    monkeypatch.setattr(gpu_stages, "IDX_FILES", (spec,))
    (tmp_path / "packed").mkdir()
    with gzip.open(tmp_path / "packed" / "labels.gz", "wb") as f:
        f.write(spec.header)  # no labels
    with pytest.raises(Exception, match="labels"):
        gpu_stages.unpack_data(tmp_path / "packed", tmp_path / "device")


@pytest.mark.slow
def test_without_cuda_the_check_says_so(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    done = subprocess.run(
        [sys.executable, "-m", "suite.benchmarks.gpu_check", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "no CUDA device" in done.stderr
