"""A job of a user's experiment trains in a process that has no record of it (a Ray worker):
the worker runs the user's file the job names, takes the settings from the record, and refuses
a file that gives other settings than the driver keyed the job on."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from suite.run.jobs import JobSpec
from suite.train.seeds import SeedSet

USER_FILE = """
from dataclasses import dataclass

import pandas as pd
import torch

from suite import Experiment, SeedSet, Tally, register_dataset, register_experiment


@dataclass(frozen=True)
class Knob:
    level: float = LEVEL


@dataclass
class Tiny:
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    checksum: str = "tiny"

    @property
    def device(self):
        return self.train_x.device

    def to(self, device):
        return self


def load(root, device, progress):
    x, y = torch.zeros(8, 3), torch.zeros(8, dtype=torch.long)
    return Tiny(x, y, x, y, x, y)


def run_knob(cfg, data, seeds, *, profile="", progress=None, checkpoints=None, engine="eager"):
    rows = [{"seed": s, "level": cfg.level, "n": int(data.train_x.shape[0])}
            for s in range(len(SeedSet.of(seeds)))]
    return Tally().result("knob", cfg, "cpu", profile, {"runs": pd.DataFrame(rows)})


register_dataset("tiny", load)
register_experiment(Experiment(name="knob", run=run_knob, settings={"*": Knob()}))
"""

WORKER = """
import pickle, sys
from suite.run.jobs import run_job
result = run_job(pickle.loads(open(sys.argv[1], "rb").read()), None, lambda m: None)
print(result.name, result.frames["runs"]["level"].tolist(), result.frames["runs"]["n"].tolist())
"""


def _job(tmp_path: Path, level: float) -> JobSpec:
    source = tmp_path / "user_knob.py"
    source.write_text(textwrap.dedent(USER_FILE).replace("LEVEL", repr(level)))
    return JobSpec(
        name="knob",
        config=None,  # as the Ray executor sends a user's job (ray_executor._portable)
        config_dict={"level": 0.5},  # what the driver keyed it on
        seeds=SeedSet(0, 2),
        profile="ci",
        engine="eager",
        device="cpu",
        data_root=None,
        checksum="tiny",
        cache_dir=tmp_path / "cache",
        dataset="tiny",
        sources=(str(source),),
    )


def _in_a_fresh_process(tmp_path: Path, job: JobSpec) -> subprocess.CompletedProcess:
    (tmp_path / "job.pkl").write_bytes(pickle.dumps(job))
    return subprocess.run(
        [sys.executable, "-c", WORKER, str(tmp_path / "job.pkl")],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_a_worker_runs_the_users_file_and_trains_the_job(tmp_path):
    out = _in_a_fresh_process(tmp_path, _job(tmp_path, 0.5))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == "knob [0.5, 0.5] [8, 8]"  # its record, its dataset


@pytest.mark.slow
def test_a_worker_whose_file_gives_other_settings_refuses_the_job(tmp_path):
    out = _in_a_fresh_process(tmp_path, _job(tmp_path, 0.7))  # the driver keyed it at 0.5
    assert out.returncode != 0
    assert "not the driver's" in out.stderr
