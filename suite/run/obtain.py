"""Obtaining an experiment's result: its seeds in rounds until its claims are decided, each
round read from the run cache or trained (here or by an executor) and then cached.

This is the one place that knows the cache, the checkpoints and the job specs; the pytest
fixtures only ask for results, and the Ray executor hands it a ``train`` that waits for a task.
Only this process writes the cache, and only a finished result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from suite.data.datasets import Dataset
from suite.profiles import Profile
from suite.records import experiment_record
from suite.run.jobs import JobSpec, run_job
from suite.run.looks import in_rounds
from suite.train.cache import RunCache
from suite.train.frames import ExperimentResult
from suite.train.seeds import SeedSet
from suite.train.source import outside_code, outside_files

Say = Callable[[str], None]
Train = Callable[[JobSpec], ExperimentResult]


class RunSettings(Protocol):
    """What obtaining a result needs of a run's settings (``suite.plugin.options.Settings``)."""

    profile: Profile
    device: str
    data_root: Path | None
    dataset: str
    cache_dir: Path
    fresh: bool
    engine: str

    @property
    def profile_name(self) -> str: ...

    def rounds_for(self, experiment: str) -> list[SeedSet]: ...


def job_spec(
    name: str, settings: RunSettings, data: Dataset, seeds: SeedSet | None = None
) -> JobSpec:
    """One round of experiment ``name`` (default: its first) as plain data (what any executor
    needs); it trains with this process's CPU threads, which decide its numbers."""
    import torch

    config = settings.profile.experiment(name)
    code = user_code(name, config, settings.dataset)
    return JobSpec(
        name=name,
        config=config,
        config_dict=keyed_settings(name, asdict(config)),
        seeds=seeds if seeds is not None else settings.rounds_for(name)[0],
        profile=settings.profile_name,
        engine=settings.engine,
        device=settings.device,
        data_root=settings.data_root,
        checksum=data.checksum,
        cache_dir=settings.cache_dir,
        fresh=settings.fresh,
        threads=torch.get_num_threads(),
        dataset=settings.dataset,
        outside=outside_code(code),
        sources=tuple(str(path) for path in outside_files(code)),
    )


def keyed_settings(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """What the run cache keys experiment ``name`` on besides seeds, data and device: its
    settings and, where its record says its runs are measured, the registered measures (names
    in order and a digest of each one's code, ``suite.measures.registry.fingerprint``), so a
    result computed with another set of measures, or a measure's older code, is never read
    back. Taken here, in the driver, so a worker that lacks a user's measures keys alike."""
    try:
        measured = experiment_record(name).measured
    except LookupError:  # a test's stand-in without a record
        measured = False
    if not measured:
        return settings
    from suite.measures.registry import fingerprint

    return {**settings, "measures": fingerprint()}


def user_code(name: str, config: object, dataset: str = "mnist") -> list[object]:
    """What experiment ``name`` runs that may live outside the package: its runner (nothing
    for a name without a record: a test's stand-in), the model its settings name, the measures
    a measured experiment takes and the dataset's loader."""
    from suite.data.datasets import dataset_loader

    try:
        record = experiment_record(name)
    except LookupError:
        return []
    found: list[object] = [record.runner(), dataset_loader(dataset)]
    if record.measured:
        from suite.measures.registry import registered

        found += [m.fn for m in registered()]
    model = getattr(config, "model", None)
    if isinstance(model, str):
        from suite.train.models import model_named

        built = model_named(model)
        found.append(getattr(built, "factory", type(built)))
    return found


def obtain(
    name: str,
    settings: RunSettings,
    data: Dataset,
    say: Say = print,
    train: Train | None = None,
) -> ExperimentResult:
    """The experiment's result: its seeds in rounds until its claims are decided
    (:func:`suite.run.looks.in_rounds`), each round from the run cache or trained first.

    ``say`` reports progress; ``train`` trains a round's job elsewhere (default: here,
    :func:`suite.run.jobs.run_job`)."""
    train = train or (lambda job: run_job(job, data, say))
    return in_rounds(
        name,
        settings.rounds_for(name),
        lambda seeds: obtain_round(job_spec(name, settings, data, seeds), settings, say, train),
        say,
    )


def obtain_round(spec: JobSpec, settings: RunSettings, say: Say, train: Train) -> ExperimentResult:
    """One round: read from the run cache, or trained (resuming from its checkpoints) and cached;
    its checkpoints go once the result is in the cache."""
    seeds = spec.seeds
    name = spec.name if seeds.start == 0 else f"{spec.name} (seeds {seeds.start}..{seeds.end - 1})"
    t0 = time.perf_counter()
    result, cached = RunCache(settings.cache_dir).get_or_run(
        spec.key, lambda: train(spec), fresh=settings.fresh
    )
    if cached:
        say(f"{name}: read from the run cache ({spec.key}, {time.perf_counter() - t0:.1f} s)")
    else:
        spec.checkpoints.clear()  # the finished result is in the cache now
        seconds = max(result.seconds, 1e-9)
        rate = f"{result.steps / seconds:.0f} steps/s, {result.samples / seconds:.0f} samples/s"
        say(f"{name}: trained in {result.seconds:.1f} s ({rate})")
    return result
