"""One experiment of a plan as plain data, and the function that trains it anywhere.

A :class:`JobSpec` holds everything a process needs to train one experiment (its settings,
seeds, engine, device, where the data and the checkpoints live, the dataset's checksum) and
nothing of pytest, so the same :func:`run_job` trains it in the session's process or in a Ray
worker on another machine (``suite.run.ray_executor``), which loads MNIST through its own data
layer and refuses data whose checksum differs from the driver's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suite.data.datasets import Dataset, load_dataset
from suite.train.cache import cache_key
from suite.train.checkpoints import Checkpoints
from suite.train.frames import ExperimentResult
from suite.train.seeds import SeedSet
from suite.train.training import device_name

Say = Callable[[str], None]


@dataclass(frozen=True)
class JobSpec:
    name: str
    config: Any  # the experiment's settings dataclass
    config_dict: dict[str, Any]
    seeds: SeedSet
    profile: str
    engine: str
    device: str
    data_root: Path | None
    checksum: str
    cache_dir: Path
    fresh: bool = False
    # CPU threads the job trains with: the number decides the matmuls' summation order, so a
    # job trained elsewhere (a Ray worker gets 1 thread per CPU it asked for) uses the driver's
    threads: int | None = None
    dataset: str = "mnist"  # its name in suite.data.datasets (a worker loads it by name)
    # The user's files that register what it runs (its record, model, measures, dataset), run
    # by a worker process that has no record of it (``load_sources``).
    sources: tuple[str, ...] = ()
    # The digest of user code it runs (its runner, model, measures: ``outside_code``).
    outside: str = ""

    @property
    def key(self) -> str:
        """The run-cache entry: settings, seeds, data, device name, engine mode, the CPU threads
        it trains with and the code (``suite.train.cache.cache_key``); a measured experiment's
        settings hold its measures (``suite.run.obtain.keyed_settings``)."""
        return cache_key(
            self.name,
            self.config_dict,
            self.seeds.ids,
            self.checksum,
            device_name(self.device),
            self.engine,
            self.cpu_threads,
            self.outside,
        )

    @property
    def cpu_threads(self) -> int | None:
        """The threads a CPU job trains with (this process's count where not set); None on
        a GPU."""
        if self.device.startswith("cuda"):
            return None
        if self.threads is not None:
            return self.threads
        import torch

        return torch.get_num_threads()

    @property
    def checkpoints(self) -> Checkpoints:
        return Checkpoints(self.cache_dir / "checkpoints" / self.key)


def settings_of(spec: JobSpec) -> Any:
    """The job's settings: as sent, or (sent without them, by ``ray_executor._portable``) its
    record's at its profile, checked against the settings the driver keyed it on."""
    if spec.config is not None:
        return spec.config
    from dataclasses import asdict

    from suite.profiles import get_profile
    from suite.records import experiment_record

    config = experiment_record(spec.name).settings_at(get_profile(spec.profile))
    sent = {k: v for k, v in spec.config_dict.items() if k != "measures"}
    if asdict(config) != sent:
        raise RuntimeError(
            f"{spec.name}: this worker's settings {asdict(config)} are not the driver's {sent} "
            f"(is {', '.join(spec.sources)} the same file on every node?)"
        )
    return config


_LOADED: set[str] = set()


def _imported_files() -> set[Path]:
    """The files of every module this process has imported (pytest imports a test file and a
    conftest as modules: the driver has run the user's files already)."""
    found = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path:
            found.add(Path(path).resolve())
    return found


def load_sources(spec: JobSpec) -> None:
    """In a process that has not imported them (a Ray worker), run the user's files that
    register what ``spec`` runs (its record, model, measures, dataset), once per process: a
    homework experiment with a user's measure needs that file as much as a user's experiment.
    The files must be at the same paths there (one machine, or a shared filesystem)."""
    from suite.records import experiment_names

    if not spec.sources:
        return
    import runpy

    imported = _imported_files()
    for source in spec.sources:
        if source in _LOADED or Path(source).resolve() in imported:
            continue
        if not Path(source).is_file():
            raise FileNotFoundError(
                f"{spec.name}: this worker has no record of it, and {source}, which registers "
                "it, is not on this machine (put the file at the same path on every node)"
            )
        runpy.run_path(source, run_name=f"gen_sources_{len(_LOADED)}")
        _LOADED.add(source)
    if spec.name not in experiment_names():
        raise LookupError(f"no experiment named {spec.name!r} after running {spec.sources}")


def run_job(spec: JobSpec, data: Dataset | None = None, say: Say = print) -> ExperimentResult:
    """Train ``spec`` (resuming from its checkpoints) and return its result; no cache write.

    ``data``: the splits on ``spec.device`` (loaded here when None, e.g. in a Ray worker).
    A diverged run raises FloatingPointError and leaves no checkpoint to resume.
    """
    import torch

    from suite.records import experiment_record

    load_sources(spec)

    if spec.threads is not None and not spec.device.startswith("cuda"):
        torch.set_num_threads(spec.threads)
    if data is None:
        data = load_dataset(spec.dataset, spec.data_root, spec.device)
    if data.checksum != spec.checksum:
        raise RuntimeError(
            f"{spec.name}: this worker's {spec.dataset} ({data.checksum[:12]}) is not the driver's "
            f"({spec.checksum[:12]}); check the data root on every node"
        )
    checkpoints = spec.checkpoints
    if spec.fresh:
        checkpoints.clear()
    elif checkpoints.root.is_dir() and any(checkpoints.root.iterdir()):
        say(f"{spec.name}: resuming from the checkpoints in {checkpoints.root}")
    where = f"{spec.device} ({spec.profile}, seed base {spec.seeds.base}, {spec.engine} engine)"
    seeds = spec.seeds
    which = f"seeds {seeds.start}..{seeds.end - 1}" if seeds.start else f"{len(seeds)} seeds"
    say(f"{spec.name}: training {which} on {where}")
    try:
        result = experiment_record(spec.name).runner()(
            settings_of(spec),
            data,
            spec.seeds,
            profile=spec.profile,
            progress=say,
            checkpoints=checkpoints,
            engine=spec.engine,
        )
    except FloatingPointError:
        checkpoints.clear()  # a diverged state must not be resumed next time
        raise
    # the record's name: a runner shared by several records (a homework runner trained on a
    # user's model) names its result after the homework's experiment
    result.name = spec.name
    # and its title, for a process without the record (an xdist controller writing the report)
    result.extra.setdefault("title", experiment_record(spec.name).heading)
    result.extra.update(seed_base=spec.seeds.base, seed_ids=list(spec.seeds.ids))
    if checkpoints.prior_seconds:  # resumed: the wall time of the whole run, not this part
        result.seconds += checkpoints.prior_seconds
        result.extra.update(resumed_after_s=round(checkpoints.prior_seconds, 1))
    return result
