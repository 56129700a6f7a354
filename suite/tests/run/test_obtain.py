"""``suite.run.obtain``: a result is trained once, cached, and read back; no pytest involved."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from suite.run.obtain import obtain
from suite.train.frames import ExperimentResult
from suite.train.seeds import SeedSet


@dataclass(frozen=True)
class Toy:
    epochs: int = 1


class Profile:
    name = "ci"

    def experiment(self, name: str) -> Toy:
        return Toy()


@dataclass
class Settings:
    cache_dir: Path
    profile: Profile = field(default_factory=Profile)
    device: str = "cpu"
    data_root: Path | None = None
    dataset: str = "mnist"
    fresh: bool = False
    engine: str = "eager"

    @property
    def profile_name(self) -> str:
        return self.profile.name

    def rounds_for(self, experiment: str) -> list[SeedSet]:
        return SeedSet(0, 3).rounds((3,))


def test_a_result_is_trained_once_then_read_from_the_cache(tmp_path):
    trained, said = [], []

    def train(job):
        trained.append(job.seeds.count)
        frame = pd.DataFrame({"seed": range(job.seeds.count), "y": 1.0})
        return ExperimentResult("toy", "ci", "cpu", {}, {"f": frame}, seconds=2.0)

    settings, data = Settings(tmp_path), SimpleNamespace(checksum="sha")
    first = obtain("toy", settings, data, said.append, train)
    second = obtain("toy", settings, data, said.append, train)
    assert trained == [3]  # the second call trains nothing
    assert first.frames["f"].equals(second.frames["f"])
    assert "trained in 2.0 s" in said[0] and "read from the run cache" in said[-1]
    assert not any((tmp_path / "checkpoints").glob("*/*"))  # none left once cached
