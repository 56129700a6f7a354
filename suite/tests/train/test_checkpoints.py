"""A run killed with SIGKILL part-way resumes from its checkpoint and ends with the same numbers."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import torch

from suite.train.checkpoints import Checkpoint
from suite.train.engine import Member
from suite.train.training import train

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from suite.train.checkpoints import Checkpoints
    from suite.experiments import run_random_labels
    from suite.profiles import RandomLabels
    from suite.data.splits import load_mnist

    out, ckpt, kill_at = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

    def progress(message):
        print(message, flush=True)
        if kill_at != "never" and message.split(":")[1].strip().startswith(f"epoch {kill_at}/"):
            os.kill(os.getpid(), signal.SIGKILL)

    cfg = RandomLabels(n_train=200, epochs=40, eval_every=4)
    checkpoints = Checkpoints(ckpt) if ckpt.name != "none" else None
    result = run_random_labels(cfg, load_mnist(), 2, progress=progress, checkpoints=checkpoints)
    result.frames["epochs"].to_csv(out, index=False)
    """
)


def _run(tmp_path: Path, out: str, ckpt: str, kill_at: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "-c", SCRIPT, str(tmp_path / out), str(tmp_path / ckpt), kill_at]
    return subprocess.run(args, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_sigkilled_run_resumes_and_matches_an_uninterrupted_run(tmp_path):
    killed = _run(tmp_path, "killed.csv", "ckpt", kill_at="20")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not (tmp_path / "killed.csv").exists()
    assert (tmp_path / "ckpt" / "train.pt").exists()
    saved_epoch = torch.load(tmp_path / "ckpt" / "train.pt", weights_only=True)["epoch"]
    assert 0 < saved_epoch < 40

    resumed = _run(tmp_path, "resumed.csv", "ckpt", kill_at="never")
    assert resumed.returncode == 0, resumed.stderr
    assert "epoch 4/40" not in resumed.stdout  # it did not start over
    straight = _run(tmp_path, "straight.csv", "none", kill_at="never")
    assert straight.returncode == 0, straight.stderr
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "resumed.csv"),
        pd.read_csv(tmp_path / "straight.csv"),
        check_exact=True,
    )


def test_resume_in_process_is_exact(tmp_path):
    x, y = torch.rand(120, 784), torch.randint(0, 10, (120,))
    members = [Member((9,), 1, 2), Member((9,), 3, 4)]
    whole = train(members, x, y, batch_size=32, lr=1e-2, epochs=6)
    ckpt = Checkpoint(tmp_path / "stage.pt")
    train(members, x, y, batch_size=32, lr=1e-2, epochs=3, checkpoint=ckpt, checkpoint_every=1)
    resumed = train(members, x, y, batch_size=32, lr=1e-2, epochs=6, checkpoint=ckpt)
    for a, b in zip(whole, resumed, strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint", b"\x80\x02garbage"])
def test_a_torn_checkpoint_is_ignored_and_removed(tmp_path, content):
    path = tmp_path / "stage.pt"
    path.write_bytes(content)
    assert Checkpoint(path).load() is None
    assert not path.exists()


def test_a_run_its_hook_stopped_resumes_as_stopped(tmp_path):
    """Resuming a stack whose hook ended it (every member fitted) trains nothing more."""
    torch.manual_seed(0)
    x, y = torch.rand(96, 784), torch.randint(0, 10, (96,))
    members = [Member((8,), 1, 2)]
    calls = []

    def stop_at_two(epoch, params):
        calls.append(epoch)
        return epoch == 2

    ckpt = Checkpoint(tmp_path / "train.pt")
    kwargs = dict(batch_size=32, lr=1e-2, epochs=10, on_epoch=stop_at_two, checkpoint=ckpt)
    first = train(members, x, y, **kwargs)
    again = train(members, x, y, **kwargs)
    assert calls == [0, 1, 2]  # the resumed call neither trained nor asked the hook again
    for a, b in zip(first, again, strict=True):
        assert torch.equal(a, b)


def test_the_seconds_spent_before_a_stop_survive_it(tmp_path):
    """A run resumed in another session reports the wall time of both parts."""
    from suite.train.checkpoints import Checkpoints

    first = Checkpoints(tmp_path / "run")
    assert first.prior_seconds == 0.0
    first.opened -= 30.0  # as if this process had trained for 30 s before its save
    first.stage("train").save({"epoch": 1})
    again = Checkpoints(tmp_path / "run")
    assert 30.0 <= again.prior_seconds < 40.0
    again.clear()
    assert again.prior_seconds == 0.0
    assert Checkpoints(tmp_path / "run").prior_seconds == 0.0


@pytest.mark.parametrize("content", ["", "nonsense", "-5"])
def test_a_torn_or_foreign_elapsed_file_counts_as_a_fresh_start(tmp_path, content):
    from suite.train.checkpoints import ELAPSED, Checkpoints

    (tmp_path / "train.pt").write_bytes(b"a state")
    (tmp_path / ELAPSED).write_text(content)
    assert Checkpoints(tmp_path).prior_seconds == 0.0


def test_seconds_without_a_saved_state_are_not_counted(tmp_path):
    """With no state to resume, training starts over: the old seconds would count twice."""
    from suite.train.checkpoints import ELAPSED, Checkpoints

    (tmp_path / ELAPSED).write_text("1000.0\n")
    assert Checkpoints(tmp_path).prior_seconds == 0.0
    (tmp_path / "train.pt").write_bytes(b"a state")
    assert Checkpoints(tmp_path).prior_seconds == 1000.0


def test_a_resumed_job_reports_the_whole_wall_time(tmp_path):
    from dataclasses import asdict

    from suite.data.splits import load_mnist
    from suite.profiles import RandomLabels
    from suite.run.jobs import JobSpec, run_job
    from suite.train.checkpoints import ELAPSED
    from suite.train.seeds import SeedSet

    cfg = RandomLabels(n_train=100, epochs=40, eval_every=4)
    data = load_mnist()
    spec = JobSpec("random_labels", cfg, asdict(cfg), SeedSet(0, 1), "test", "eager", "cpu",
                   None, data.checksum, tmp_path)  # fmt: skip

    def stop_at_epoch_20(message: str) -> None:
        if "epoch 20/" in message:
            raise KeyboardInterrupt  # a stop part-way, after the epoch-18 checkpoint

    with pytest.raises(KeyboardInterrupt):
        run_job(spec, data, say=stop_at_epoch_20)
    first_part = float((spec.checkpoints.root / ELAPSED).read_text())
    assert first_part > 0
    (spec.checkpoints.root / ELAPSED).write_text("1000.0\n")  # as if that part took 1000 s
    result = run_job(spec, data, say=lambda _: None)
    assert 1000.0 < result.seconds < 1100.0
    assert result.extra["resumed_after_s"] == 1000.0
