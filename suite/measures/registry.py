"""The measures every generalization run gets, registered once (DESIGN.md section 9).

A measure is a plain function of a trained stack and the data, ``fn(inp: MeasureInput) ->
Tensor`` of shape (M,), one number per member (the PGDL competition's ``complexity(model,
dataset)``, for a whole stack at once). Registering it is the only edit a new measure needs:
``suite.experiments.common.measure_generalization`` computes every registered measure for every
run of the experiments whose record says they are measured (``batch_sweep``, ``measures``, and
a user's with ``Experiment(measured=True)``), each becomes
a column of their frames (registration order), the report draws and tabulates the measures it
finds in a frame, ``suite.stats.catalog.granulated_claim`` declares the claim that a measure
ranks runs by their gap, and the run cache keys on :func:`fingerprint` so a result computed with
other measures is never read back.

Registration is per process: a Ray worker runs the user's file that registered a measure
before it trains a measured experiment (``suite.run.jobs.load_sources``).
"""

from __future__ import annotations

import hashlib
import inspect
import keyword
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import Any

from torch import Tensor

from suite.measures.sensitivity import probe_points, sensitivity
from suite.measures.sharpness import ascent_probe, cross_entropy_of_stack, sharpness
from suite.stats.grid import NOT_MEASURES
from suite.train.engine import Params
from suite.train.source import code_of


@dataclass(frozen=True)
class MeasureInput:
    """What a measure may look at: a trained stack of M members and the data.

    ``params``: the stack as the engine keeps it, ``[W1 (M, in, h1), b1 (M, h1), ...]``,
    detached. ``train_x`` (n, 784), ``train_y`` (n,) or (M, n) one row per member: the first
    ``settings.sharpness_n`` images of the members' own training set with the labels they were
    trained on (corrupted ones too); every member of one input shares that set. None for a
    measure registered with ``uses_train=False`` (it is then called once on the whole stack).
    ``probe``: the sensitivity probe, >= 1000 test images, the same in every run
    (``suite.experiments.common.sensitivity_probe``). ``settings``: the experiment's settings
    (``suite.profiles.BatchSweep`` or ``Measures``: ``sharpness_eps`` and the like). ``model``:
    the architecture that ``params`` belong to; None is the built-in MLP
    (``suite.train.engine.forward``).
    """

    params: Params
    train_x: Tensor | None
    train_y: Tensor | None
    probe: Tensor
    settings: Any
    model: Any = None

    @property
    def members(self) -> int:
        return int(self.params[0].shape[0])


#: A measure: one value per member of the stack, shape (M,).
MeasureFn = Callable[[MeasureInput], Tensor]


@dataclass(frozen=True)
class Measure:
    """One registered measure: its column name, function, how figures label it, whether it
    reads the training data (then it is called once per distinct training set), and its
    probe for the thread check, if it has one."""

    name: str
    fn: MeasureFn
    label: str
    uses_train: bool = True
    probe: Callable[[MeasureInput], Any] | None = None


_REGISTRY: dict[str, Measure] = {}


def register_measure(
    name: str,
    fn: MeasureFn,
    *,
    label: str | None = None,
    uses_train: bool = True,
    probe: Callable[[MeasureInput], Any] | None = None,
) -> Measure:
    """Register ``fn`` as the measure ``name`` (the frames' column; ``label`` for figures).

    ``uses_train=False`` says the measure reads neither ``train_x`` nor ``train_y``: it is then
    called once on the whole stack rather than once per training set. Registering a name again
    is an error unless with the same function and options (the same call again); a name
    must be a Python identifier that is not a column every run has already (``gap``, ``seed``).

    ``fn`` must be a pure function of its input, apart from drawing from torch's global CPU
    generator: beside a busy core it may run once per thread count to check that fewer threads
    give the same bits (:func:`suite.train.fitting.fitting_load`), with that generator rewound
    each time; other random state (numpy's, Python's, a generator of its own) would move once
    per run and its later values would differ from an idle machine's.

    ``probe``: optional, a cheaper function of the same input that the check runs at each
    thread count instead of ``fn`` (without one it runs ``fn`` itself, once at the configured
    count beside the busy core, where it stalls). It must run every kernel shape ``fn`` runs
    and return what would show a difference in their bits: for the built-in sharpness, one
    ascent step and the gradient it took (:func:`suite.measures.sharpness.ascent_probe`); for
    sensitivity, its first and last chunk of points. The same rule holds for its randomness.
    """
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"a measure's name must be a valid column name, got {name!r}")
    if name in NOT_MEASURES:
        raise ValueError(f"{name!r} is a column every run has already, not a measure's name")
    if not callable(fn):
        raise TypeError(f"measure {name!r}: {fn!r} is not callable")
    if probe is not None and not callable(probe):
        raise TypeError(f"measure {name!r}: its probe {probe!r} is not callable")
    new = Measure(name, fn, label or name, uses_train, probe)
    old = _REGISTRY.get(name)
    if old is not None and old != new:
        raise ValueError(f"measure {name!r} is registered already (with {old.fn!r})")
    _REGISTRY[name] = new
    return new


def registered() -> tuple[Measure, ...]:
    """Every registered measure, in registration order (the built-ins first)."""
    return tuple(_REGISTRY.values())


def measure_names() -> tuple[str, ...]:
    """The registered measures' names, in order: the columns they add to a frame."""
    return tuple(_REGISTRY)


@contextmanager
def restored() -> Iterator[None]:
    """Within the block, register freely; afterwards the registry is as before (for tests)."""
    saved = dict(_REGISTRY)
    try:
        yield
    finally:
        _REGISTRY.clear()
        _REGISTRY.update(saved)


def source_digest(fn: Callable[..., Any]) -> str:
    """A digest of the code of ``fn``: its module's where it has one (the helpers it calls there
    included), else its own, else its qualified name. Read as ``suite.train.source.code_of``
    reads the package (without docstrings or comments), so a comment recomputes nothing."""
    module = inspect.getmodule(fn)
    for of in (module, fn):
        try:
            text = inspect.getsource(of) if of is not None else None
        except (OSError, TypeError):
            continue
        if text is not None:
            break
    else:
        text = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
    with suppress(SyntaxError):  # a lambda's line, cut mid-expression: its text as it stands
        text = code_of(textwrap.dedent(text))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint() -> dict[str, str]:
    """name -> digest of every registered measure's code (and how it is called), in order: what
    the run cache keys a generalization result on besides its settings (a label is not in it:
    it changes no number)."""
    return {
        m.name: source_digest(m.fn) + ("" if m.uses_train else "/whole-stack")
        for m in _REGISTRY.values()
    }


def _sensitivity(inp: MeasureInput) -> Tensor:
    if inp.model is None:
        return sensitivity(inp.params, inp.probe)
    return sensitivity(inp.params, inp.probe, model=inp.model)


def _sensitivity_probe(inp: MeasureInput) -> list[Tensor]:
    return [_sensitivity(replace(inp, probe=points)) for points in probe_points(inp.probe)]


def _sharpness_probe(inp: MeasureInput) -> list[Tensor]:
    cfg = inp.settings
    loss = cross_entropy_of_stack(inp.train_x, inp.train_y, inp.model)
    return ascent_probe(loss, inp.params, eps=cfg.sharpness_eps, step_size=cfg.sharpness_step)


def _sharpness(inp: MeasureInput) -> Tensor:
    cfg = inp.settings
    return sharpness(
        inp.params,
        inp.train_x,
        inp.train_y,
        eps=cfg.sharpness_eps,
        steps=cfg.sharpness_steps,
        step_size=cfg.sharpness_step,
        model=inp.model,
    )


register_measure(
    "sensitivity", _sensitivity, label="sensitivity", uses_train=False, probe=_sensitivity_probe
)
register_measure(
    "sharpness", _sharpness, label="\u03b5-sharpness (% loss increase)", probe=_sharpness_probe
)
