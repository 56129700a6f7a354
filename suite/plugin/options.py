"""Command-line options and ini keys, and their validation into one frozen :class:`Settings`.

Bad input is a ``pytest.UsageError``: one line, exit code 4, and nothing written to disk.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from suite.plugin.baseline import FAIL_ON, BaselineError, baseline_path, known_claim
from suite.profiles import PROFILES, Profile, get_profile
from suite.run.extras import ray_installed

if TYPE_CHECKING:
    from suite.train.seeds import SeedSet

SETTINGS_KEY = pytest.StashKey["Settings"]()
DEFAULT_REPORT = Path("reports/latest/index.html")
DEFAULT_CACHE = Path(".gen-cache")

_OPTIONS = [
    # (name, ini default, help)
    ("gen_profile", "ci", f"experiment profile: {', '.join(PROFILES)} (default ci)"),
    ("gen_device", "auto", "training device: auto (cuda when present), cpu or cuda"),
    (
        "gen_engine",
        "auto",
        "training step: auto (compiled on CUDA, eager on CPU), eager or compiled",
    ),
    (
        "gen_executor",
        "local",
        "who trains the session's plan: local (this process) or ray (a Ray cluster; extra 'ray')",
    ),
    (
        "gen_ray_address",
        "",
        "Ray cluster to join: auto or host:port (default: start a local Ray instance)",
    ),
    ("gen_seeds", "", "number of independent seeds per experiment (default: the profile's)"),
    (
        "gen_seed_base",
        "0",
        "seed set: seed i is derived from (base, i), so each base is a disjoint draw (default 0)",
    ),
    (
        "gen_dataset",
        "mnist",
        "dataset the experiments train on: mnist, or one registered with suite.register_dataset",
    ),
    (
        "gen_data_root",
        "",
        "torchvision-layout MNIST root (default: $GEN_DATA_ROOT or the user cache)",
    ),
    ("gen_cache_dir", str(DEFAULT_CACHE), "run cache directory (default .gen-cache)"),
    (
        "gen_report",
        str(DEFAULT_REPORT),
        "HTML report path, or 'none' (default reports/latest/index.html)",
    ),
    ("gen_save", "", "keep this run's claims as the baseline NAME (reports/baselines/NAME/)"),
    (
        "gen_compare",
        "",
        "compare this run with a baseline: a NAME under reports/baselines/ or a report folder",
    ),
    (
        "gen_compare_fail",
        "",
        "with --gen-compare, fail the run when a verdict changed (verdict) or when a verdict "
        "changed or a claim drifted beyond its seeds (drift)",
    ),
]
REQUIRE_HELP = (
    "claim ids that must be decided: the run fails when one of them ends INCONCLUSIVE or "
    "does not run (several ids, or a comma-separated list)"
)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("generalization", "generalization claims")
    for name, default, help_text in _OPTIONS:
        flag = "--" + name.replace("_", "-")
        group.addoption(flag, dest=name, default=None, help=help_text)
        parser.addini(name, help=help_text, default=default)
    group.addoption(
        "--gen-require-decided",
        dest="gen_require_decided",
        nargs="+",
        action="extend",
        default=None,
        metavar="ID",
        help=REQUIRE_HELP,
    )
    parser.addini("gen_require_decided", help=REQUIRE_HELP, type="args", default=[])
    group.addoption(
        "--gen-fresh",
        action="store_true",
        default=False,
        help="ignore the run cache for this run (results are still written to it)",
    )


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, resolved once per process."""

    profile: Profile
    device: str
    data_root: Path | None
    cache_dir: Path
    report: Path | None
    fresh: bool
    seed_base: int = 0
    engine: str = "eager"
    executor: str = "local"
    ray_address: str = ""
    # Baselines (issue 27): where this run is kept, what it is compared with, what fails it.
    save: Path | None = None
    baseline: Path | None = None
    compare_fail: str | None = None
    require_decided: tuple[str, ...] = ()
    # A registered dataset's name (``suite.data.datasets``): checked when it is first loaded,
    # since a user's may be registered by a test file collected after the options are read.
    dataset: str = "mnist"

    @property
    def profile_name(self) -> str:
        return self.profile.name

    @property
    def seeds(self) -> SeedSet:
        """The run's seeds: the profile's count, drawn from ``seed_base``."""
        return self.seeds_for(None)

    def seeds_for(self, experiment: str | None) -> SeedSet:
        """The seeds of ``experiment`` (the profile may give it more), drawn from the base.

        Seed i is the same draw in every experiment of a run; an experiment with more seeds
        has more of them, not other ones.
        """
        from suite.train.seeds import SeedSet  # torch only once a run needs it

        count = self.profile.seeds if experiment is None else self.profile.seeds_for(experiment)
        return SeedSet(self.seed_base, count)

    def rounds_for(self, experiment: str) -> list[SeedSet]:
        """The seeds of ``experiment`` in the rounds of its looks (one round for one look)."""
        return self.seeds_for(experiment).rounds(self.profile.looks_for(experiment))


def _value(config: pytest.Config, name: str) -> str:
    cli = config.getoption(name)
    return str(cli) if cli is not None else str(config.getini(name))


def resolve(config: pytest.Config, worker_index: int | None = None) -> Settings:
    """Validate options and ini keys; raise ``pytest.UsageError`` with one clear line."""
    seeds_text = _value(config, "gen_seeds").strip()
    try:
        seeds = int(seeds_text) if seeds_text else None
    except ValueError:
        raise pytest.UsageError(f"--gen-seeds must be an integer, got {seeds_text!r}") from None
    if seeds is not None and seeds < 1:
        raise pytest.UsageError(f"--gen-seeds must be >= 1, got {seeds}")
    base_text = _value(config, "gen_seed_base").strip()
    try:
        seed_base = int(base_text)
    except ValueError:
        raise pytest.UsageError(f"--gen-seed-base must be an integer, got {base_text!r}") from None
    if seed_base < 0:
        raise pytest.UsageError(f"--gen-seed-base must be >= 0, got {seed_base}")
    try:
        profile = get_profile(_value(config, "gen_profile").strip(), seeds)
    except ValueError as exc:
        raise pytest.UsageError(f"--gen-profile: {exc}") from None

    data_root_text = _value(config, "gen_data_root").strip() or os.environ.get("GEN_DATA_ROOT", "")
    data_root = Path(data_root_text).expanduser().absolute() if data_root_text else None
    if data_root is not None and not (
        data_root.is_dir() and os.access(data_root, os.R_OK | os.X_OK)
    ):
        raise pytest.UsageError(f"--gen-data-root: {data_root} is not a readable directory")
    dataset = _value(config, "gen_dataset").strip() or "mnist"
    if data_root is not None and dataset == "mnist":
        _check_data_root(data_root)

    # Where the run writes is probed now only where the user chose it: a project that installed
    # the plugin and runs no claim starts in a read-only checkout too (the defaults are
    # written, and fail there, only when a claim runs).
    cache_dir = _path(config, _value(config, "gen_cache_dir"))
    if _chosen(config, "gen_cache_dir"):
        _require_writable(cache_dir, "--gen-cache-dir")
    report_text = _value(config, "gen_report").strip()
    report = None if report_text.lower() == "none" else _path(config, report_text)
    if report is not None:
        if report.is_dir():
            raise pytest.UsageError(f"--gen-report: {report} is a directory; give a file path")
        if _chosen(config, "gen_report"):
            _require_writable(report.parent, "--gen-report")

    device = _device(_value(config, "gen_device"), worker_index)
    baseline = _baseline(config, profile.name, seed_base, device)
    return Settings(
        profile=profile,
        device=device,
        data_root=data_root,
        dataset=dataset,
        cache_dir=cache_dir,
        report=report,
        fresh=bool(config.getoption("gen_fresh")),
        seed_base=seed_base,
        engine=_engine(_value(config, "gen_engine"), device),
        executor=_executor(_value(config, "gen_executor")),
        ray_address=_value(config, "gen_ray_address").strip(),
        save=_save(config),
        baseline=baseline,
        compare_fail=_compare_fail(_value(config, "gen_compare_fail")),
        require_decided=_require_decided(config),
    )


def _chosen(config: pytest.Config, name: str) -> bool:
    """Whether option ``name`` was given on the command line or set in the ini file."""
    default = {key: value for key, value, _ in _OPTIONS}[name]
    return config.getoption(name) is not None or str(config.getini(name)) != default


def _save(config: pytest.Config) -> Path | None:
    name = _value(config, "gen_save").strip()
    if not name:
        return None
    try:
        path = baseline_path(config.rootpath, name, for_saving=True)
    except BaselineError as exc:
        raise pytest.UsageError(f"--gen-save: {exc}") from None
    _require_writable(path, "--gen-save")
    return path


def _baseline(config: pytest.Config, profile: str, seed_base: int, device: str) -> Path | None:
    """The baseline folder to compare with, checked now: a missing one, or one of another
    profile, seed base or device, stops the run before anything is trained or written."""
    text = _value(config, "gen_compare").strip()
    if not text:
        return None
    from suite.report.compare import load_baseline, mismatch  # the report's imports: only now

    try:
        path = baseline_path(config.rootpath, text)
        _, meta = load_baseline(path)
    except ValueError as exc:  # BaselineError, or a folder that is not a run
        raise pytest.UsageError(f"--gen-compare: {exc}") from None
    why = mismatch(meta, {"profile": profile, "seed_base": seed_base, "device": device})
    if why is not None:
        raise pytest.UsageError(f"--gen-compare: baseline {path} not compared: {why}")
    return path


def _compare_fail(text: str) -> str | None:
    text = text.strip().lower()
    if text in ("", "none"):
        return None
    if text not in FAIL_ON:
        raise pytest.UsageError(f"--gen-compare-fail must be verdict or drift, got {text!r}")
    return text


def _require_decided(config: pytest.Config) -> tuple[str, ...]:
    given = config.getoption("gen_require_decided")
    items = given if given is not None else config.getini("gen_require_decided")
    ids = tuple(
        dict.fromkeys(i.strip() for item in items for i in str(item).split(",") if i.strip())
    )
    unknown = [i for i in ids if not known_claim(i)]
    if unknown:
        raise pytest.UsageError(
            f"--gen-require-decided: {', '.join(map(repr, unknown))} is not a claim id in "
            "suite/stats/catalog.py"
        )
    return ids


def _executor(requested: str) -> str:
    requested = requested.strip().lower()
    if requested not in {"local", "ray"}:
        raise pytest.UsageError(f"--gen-executor must be local or ray, got {requested!r}")
    if requested == "ray" and not ray_installed():
        raise pytest.UsageError(
            "--gen-executor ray: Ray is not installed; install the extra: pip install -e '.[ray]'"
        )
    return requested


def _engine(requested: str, device: str) -> str:
    requested = requested.strip().lower()
    if requested not in {"auto", "eager", "compiled"}:
        raise pytest.UsageError(f"--gen-engine must be auto, eager or compiled, got {requested!r}")
    if requested != "auto" or device == "cpu":  # CPU's default is eager: no torch to ask
        return requested if requested != "auto" else "eager"
    from suite.train.training import default_engine

    return default_engine(device)


def _check_data_root(root: Path) -> None:
    """Broken IDX files in a user's root stop the run before any training, in one line."""
    from suite.data.idx import MnistUnavailable, has_idx_files

    try:
        has_idx_files(root)
    except MnistUnavailable as exc:
        raise pytest.UsageError(f"--gen-data-root: {exc}") from None


def _path(config: pytest.Config, text: str) -> Path:
    """Relative paths count from the rootdir, so runs from any subdirectory land in one place."""
    path = Path(text.strip()).expanduser()
    return path if path.is_absolute() else config.rootpath / path


def _device(requested: str, worker_index: int | None) -> str:
    requested = requested.strip().lower()
    if requested not in {"auto", "cpu", "cuda"}:
        raise pytest.UsageError(f"--gen-device must be auto, cpu or cuda, got {requested!r}")
    if requested == "cpu" or (requested == "auto" and not _may_have_cuda()):
        return "cpu"
    import torch

    if not torch.cuda.is_available():
        if requested == "cuda":
            raise pytest.UsageError(
                "--gen-device cuda: no CUDA device is available on this machine"
            )
        return "cpu"
    # Under pytest-xdist each worker takes its own GPU, so -n <number of GPUs> scales a run.
    index = (worker_index or 0) % torch.cuda.device_count()
    return f"cuda:{index}"


def _may_have_cuda() -> bool:
    """False where Linux plainly has no NVIDIA driver loaded, so that ``--gen-device auto``
    picks the CPU without importing torch (pytest starts as fast in a project that installed
    the plugin and does not use it); True elsewhere, and torch is asked."""
    return "torch" in sys.modules or not plainly_without_nvidia()


def plainly_without_nvidia() -> bool:
    """Linux with no NVIDIA driver loaded: no CUDA device, known without importing torch."""
    if not sys.platform.startswith("linux"):
        return False
    return not (Path("/proc/driver/nvidia").exists() or Path("/dev/nvidiactl").exists())


def _require_writable(path: Path, option: str) -> None:
    """The nearest existing ancestor of ``path`` must be a directory this process can write in.

    Probed by creating a temporary file there (deleted at once), not by ``os.access``:
    permission bits say nothing to root, nor about /proc, /sys or read-only mounts. The missing
    directories themselves are created only when something is written.
    """
    probe = _nearest_existing(path)
    if not probe.is_dir():
        raise pytest.UsageError(f"{option}: {probe} exists and is not a directory")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise pytest.UsageError(
            f"{option}: {path} is not writable (creating a file in {probe}: {reason})"
        ) from None


def _nearest_existing(path: Path) -> Path:
    """``path`` itself or its closest ancestor that exists (the filesystem root at worst)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def share_cpu_threads(workers: int) -> None:
    """Give each xdist worker its share of the cores.

    Every process otherwise starts one OpenMP thread per core, and spinning threads of several
    processes on the same cores slowed training up to 10x here (2 cores, 3 processes).
    """
    import torch

    torch.set_num_threads(max(1, (os.cpu_count() or 1) // max(1, workers)))
