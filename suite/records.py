"""One record per experiment: its name, settings, how it trains, its frames, title and figure.

Everything that used to keep its own list of experiment names reads these records instead:
the plugin's fixtures and session plan, the plan's step counts, the job that trains a round,
the report's sections, titles and figures, and the benchmarks. The homework's six
experiments are registered here; a user registers another with :func:`register_experiment`
(``suite.api``), in the test file that holds its claims.

The module imports neither torch nor matplotlib (the plugin reads it when pytest starts): a
record names its runner and its figure either as the object itself or as a lazy
``"module:attribute"`` reference, resolved on first use (:func:`resolve`).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Ref = Callable[..., Any] | str  # an object, or "module:attribute" resolved when first used


def resolve(ref: Any) -> Any:
    """``ref`` itself, or the attribute a ``"module:attribute"`` string names (imported now)."""
    if not isinstance(ref, str):
        return ref
    module, _, attribute = ref.partition(":")
    if not module or not attribute:
        raise ValueError(f"a reference is 'module:attribute', got {ref!r}")
    target: Any = importlib.import_module(module)
    for part in attribute.split("."):  # an attribute, or a key of a mapping
        target = target[part] if isinstance(target, Mapping) else getattr(target, part)
    return target


def epoch_steps(cfg: Any) -> int:
    """Sequential optimizer steps of one stack trained ``epochs`` epochs at ``batch_size`` on
    ``n_train`` images: the default step count of an experiment whose settings have those."""
    try:
        return int(cfg.epochs) * math.ceil(cfg.n_train / cfg.batch_size)
    except AttributeError:
        return 1  # settings without them: the plan only orders by this, longest first


@dataclass(frozen=True)
class Experiment:
    """An experiment: what a claim is decided on.

    ``run`` trains it: ``run(settings, data, seeds, *, profile, progress, checkpoints, engine)
    -> ExperimentResult`` (``suite.train.frames``), each frame a tidy table named in ``frames``
    whose ``seed`` column is the seed's position in ``seeds`` (0..len-1: the looks number a
    later round's seeds on from the earlier ones'). A runner that calls
    ``measure_generalization`` sets ``measured=True``, so the run cache keys it on the
    registered measures.
    ``settings`` gives its frozen settings at a profile: a mapping from profile name (``"*"``
    for any other) to a settings dataclass, or a function of the profile. ``looks`` maps a
    profile name to the seed counts of its sequential looks (DESIGN.md section 2); a profile
    that names none takes one look at its ``seeds``. ``steps`` counts the sequential optimizer
    steps at the settings' budget (the plan starts the longest first). ``figure`` is a
    ``suite.report.figures.FigureSpec`` (or a reference to one); without one the report shows
    the experiment's claims and no figure.
    """

    name: str
    run: Ref
    settings: Mapping[str, Any] | Callable[[Any], Any]
    title: str = ""
    frames: tuple[str, ...] = ()
    steps: Callable[[Any], int] = epoch_steps
    looks: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    figure: Any = None
    # True: its runs get every registered measure (``measure_generalization``), which the run
    # cache then keys it on.
    measured: bool = False
    builtin: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"an experiment's name is a Python identifier, got {self.name!r}")
        for profile, counts in self.looks.items():
            if not counts or list(counts) != sorted(set(counts)) or counts[0] < 1:
                raise ValueError(f"{self.name}: looks at {profile} must rise from >= 1: {counts}")

    @property
    def heading(self) -> str:
        return self.title or self.name

    def settings_at(self, profile: Any) -> Any:
        """The settings at ``profile`` (a ``suite.profiles.Profile``)."""
        if callable(self.settings):
            return self.settings(profile)
        for key in (profile.name, "*"):
            if key in self.settings:
                return self.settings[key]
        raise LookupError(
            f"experiment {self.name!r} has no settings for profile {profile.name!r} "
            f"(it has {', '.join(self.settings)}); give them, or '*' for any profile"
        )

    def looks_at(self, profile: Any) -> tuple[int, ...] | None:
        """The seed counts of the looks this record gives ``profile``, or None."""
        looks = self.looks.get(profile.name, self.looks.get("*"))
        return tuple(looks) if looks else None

    def runner(self) -> Callable[..., Any]:
        return resolve(self.run)

    def train(self, profile: Any, data: Any, seeds: Any, **options: Any) -> Any:
        """Train it at ``profile`` on ``data`` and ``seeds`` (no cache): what benchmarks and
        notebooks call; ``options`` go to the runner (``progress``, ``engine``, ...)."""
        settings = self.settings_at(profile)
        return self.runner()(settings, data, seeds, profile=profile.name, **options)


_RECORDS: dict[str, Experiment] = {}


def register_experiment(record: Experiment) -> Experiment:
    """Add ``record`` (once: the same name twice is an error unless it is the same record)."""
    known = _RECORDS.get(record.name)
    if known is not None and known != record:
        raise ValueError(f"an experiment named {record.name!r} is registered already")
    _RECORDS[record.name] = record
    return record


def unregister_experiment(name: str) -> None:
    """Remove a user's record (tests use it); the built-in ones stay."""
    if name in _RECORDS and _RECORDS[name].builtin:
        raise ValueError(f"{name!r} is a built-in experiment")
    _RECORDS.pop(name, None)


def experiment_record(name: str) -> Experiment:
    try:
        return _RECORDS[name]
    except KeyError:
        known = ", ".join(_RECORDS)
        raise LookupError(f"no experiment named {name!r}; registered: {known}") from None


def experiment_names() -> tuple[str, ...]:
    """Every registered experiment: the homework's in its order, then the users' as added."""
    return tuple(_RECORDS)


def records() -> Iterator[Experiment]:
    return iter(tuple(_RECORDS.values()))


# -- the homework's experiments -----------------------------------------------------------


def _two_batches(cfg: Any) -> int:
    return sum(cfg.epochs * math.ceil(cfg.n_train / b) for b, _ in (cfg.small, cfg.large))


def _each_batch(cfg: Any) -> int:
    return sum(cfg.epochs * math.ceil(cfg.n_train / b) for b in cfg.batch_sizes)


def _grid_stacks(cfg: Any) -> int:
    """One stack per (batch, lr) of the one-at-a-time grid (corruptions share a stack)."""
    stacks = {(b, cfg.base_lr) for b in cfg.batch_sizes} | {(cfg.base_batch, lr) for lr in cfg.lrs}
    return sum(cfg.epochs * math.ceil(cfg.n_train / b) for b, _ in stacks)


def _builtin(
    name: str,
    title: str,
    frames: tuple[str, ...],
    steps: Callable = epoch_steps,
    measured: bool = False,
):
    def settings(profile: Any) -> Any:
        return getattr(profile, name)

    settings.__qualname__ = f"settings_of_{name}"
    register_experiment(
        Experiment(
            name=name,
            run=f"suite.experiments.{name}:run_{name}",
            settings=settings,
            title=title,
            frames=frames,
            steps=steps,
            figure=f"suite.report.figures:FIGURES.{name}",
            measured=measured,
            builtin=True,
        )
    )


_builtin("random_labels", "1 \u00b7 Fitting random labels", ("epochs",))
_builtin("width_sweep", "2 \u00b7 Model width", ("epochs",))
_builtin(
    "interpolation",
    "3 \u00b7 Interpolating between solutions (and 7 \u00b7 mode connectivity)",
    ("curve",),
    _two_batches,
)
_builtin(
    "batch_sweep",
    "4 \u00b7 Batch size, sensitivity and generalization (and 6 \u00b7 sharpness)",
    ("final",),
    _each_batch,
    measured=True,
)
_builtin("label_corruption", "5 \u00b7 Fitting partially corrupted labels", ("final",))
_builtin(
    "measures",
    "8 \u00b7 Measures that predict generalization",
    ("runs",),
    _grid_stacks,
    measured=True,
)
