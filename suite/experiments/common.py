"""What every experiment does alike: measure a stack on full sets, report progress, time it."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
import torch
from torch import Tensor

from suite.measures.registry import Measure, MeasureInput, measure_names, registered
from suite.train.engine import Params, Subsets, check_finite, take, training_sets
from suite.train.evaluation import evaluate
from suite.train.fitting import fitting_load, signature
from suite.train.frames import ExperimentResult
from suite.train.models import Model, as_model, is_mlp

Progress = Callable[[str], None]

METRICS = ["train_loss", "train_acc", "test_loss", "test_acc"]  # what :func:`measure` adds
GAPS = ["gap", "acc_gap"]


def generalization_columns() -> list[str]:
    """What :func:`measure_generalization` adds to a row: the metrics, the two gaps and one
    column per registered measure (``suite.measures.registry``), in registration order."""
    return [*METRICS, *GAPS, *measure_names()]


def measures_extra() -> dict[str, Any]:
    """What a generalization result's ``extra`` records of its measures: name -> label."""
    return {"measures": {m.name: m.label for m in registered()}}


def _silent(_: str) -> None:
    pass


def measure(
    params: Params,
    train: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor],
    keys: Sequence[dict[str, Any]],
    what: str,
    subsets: Subsets | None = None,
    model: Model | str = "mlp",
) -> list[dict[str, Any]]:
    """One row per member: its ``keys`` plus train/test loss and accuracy on the full sets.

    ``subsets``: each member's own training set (``suite.train.engine.Subsets``), None for all
    of it; ``model``: the stack's (``suite.train.models``), the MLP by default.
    Raises FloatingPointError naming ``what`` if any loss is NaN/inf (a diverged run).
    """
    on_train = evaluate(params, *train, subsets=subsets, model=model)
    return scored(keys, on_train, evaluate(params, *test, model=model), what)


def scored(
    keys: Sequence[dict[str, Any]],
    on_train: tuple[Tensor, Tensor],
    on_test: tuple[Tensor, Tensor],
    what: str,
) -> list[dict[str, Any]]:
    """One row per member: its ``keys`` plus its (loss, accuracy) on the train and test sets.

    Raises FloatingPointError naming ``what`` if any loss is NaN/inf (a diverged run).
    """
    (train_loss, train_acc), (test_loss, test_acc) = on_train, on_test
    check_finite(train_loss, what)
    check_finite(test_loss, what)
    columns = zip(
        train_loss.tolist(), train_acc.tolist(), test_loss.tolist(), test_acc.tolist(), strict=True
    )
    return [
        {**k, "train_loss": a, "train_acc": b, "test_loss": c, "test_acc": d}
        for k, (a, b, c, d) in zip(keys, columns, strict=True)
    ]


@dataclass
class Tally:
    """Wall time and work of one experiment, for the timings table (steps/s, samples/s)."""

    started: float = field(default_factory=time.perf_counter)
    steps: int = 0
    samples: int = 0
    weights: dict[str, list[Tensor]] = field(default_factory=dict)

    def add(self, epochs: int, n_train: int, batch_size: int, members: int) -> None:
        """Count ``epochs`` of a stack of ``members`` (last partial batch included)."""
        steps = epochs * math.ceil(n_train / batch_size)
        self.steps += steps
        self.samples += steps * batch_size * members

    def keep(self, stage: str, params: Params) -> None:
        """Keep a trained stack's final parameters for the run cache."""
        self.weights[stage] = [p.detach().cpu() for p in params]

    def result(
        self,
        name: str,
        config: Any,
        device: str,
        profile: str,
        frames: dict[str, pd.DataFrame],
        **extra: Any,
    ) -> ExperimentResult:
        return ExperimentResult(
            name=name,
            profile=profile,
            device=device,
            config=asdict(config),
            frames=frames,
            seconds=time.perf_counter() - self.started,
            steps=self.steps,
            samples=self.samples,
            extra=extra,
            weights=self.weights,
        )


class EpochProgress:
    """Says "name: epoch k/n" about ten times per run, so a long fixture shows it is alive."""

    def __init__(self, name: str, total: int, progress: Progress | None):
        self.name, self.total, self.emit = name, total, progress or _silent
        self.every = max(1, total // 10)
        self.t0 = time.perf_counter()

    def __call__(self, epoch: int, what: str = "") -> None:
        if epoch and (epoch % self.every == 0 or epoch == self.total):
            elapsed = time.perf_counter() - self.t0
            self.emit(f"{self.name}{what}: epoch {epoch}/{self.total} ({elapsed:.1f} s)")


#: Seed of the sensitivity probe's draw. The probe is part of the measure's definition (DESIGN.md,
#: "Definitions"), not of a seed's draw: every run, seed and experiment gets the same images.
PROBE_SEED = 20180215
#: The design's floor on the probe size (Novak et al. 2018 average over >= 1000 test points).
MIN_PROBE = 1000


def sensitivity_probe(test_x: Tensor, n: int) -> Tensor:
    """``n`` >= 1000 test images drawn at random without replacement, the same in every run.

    Not the first ``n``: MNIST's test set puts its easier half first. The indices come from a CPU
    generator seeded with :data:`PROBE_SEED` (so they do not depend on the device) and are sorted
    (the mean does not depend on order); the images are taken on ``test_x``'s device.
    """
    total = test_x.shape[0]
    if n < MIN_PROBE:
        raise ValueError(f"sensitivity needs >= {MIN_PROBE} test points, got {n}")
    if n > total:
        raise ValueError(f"sensitivity probe of {n} points from a test set of {total}")
    g = torch.Generator().manual_seed(PROBE_SEED)
    idx = torch.randperm(total, generator=g)[:n].sort().values
    return test_x[idx.to(test_x.device)]


def measure_generalization(
    params: Params,
    train: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor],
    probe: Tensor,
    cfg: Any,
    keys: Sequence[dict[str, Any]],
    what: str,
    subsets: Subsets | None = None,
    model: Model | str | None = None,
) -> list[dict[str, Any]]:
    """:func:`measure` plus the gaps and every registered measure, one row per member.

    ``model``: the stack's (``suite.train.models``; None: the MLP), handed to every measure in
    :class:`~suite.measures.registry.MeasureInput` and to the evaluation.

    Each measure (``suite.measures.registry``) gets the stack, the probe, ``cfg`` and, where it
    reads training data, the first ``cfg.sharpness_n`` images of each member's training set with
    its labels (one call per distinct training set of the stack).
    """
    built = None if model is None or is_mlp(model) else as_model(model)
    rows = measure(params, train, test, keys, what, subsets, model=built or "mlp")
    values = {m.name: _measured(m, params, train, probe, cfg, subsets, built) for m in registered()}
    return [
        {
            **row,
            "gap": row["test_loss"] - row["train_loss"],
            "acc_gap": row["train_acc"] - row["test_acc"],
            **{name: v[i] for name, v in values.items()},
        }
        for i, row in enumerate(rows)
    ]


def _measured(
    m: Measure,
    params: Params,
    train: tuple[Tensor, Tensor],
    probe: Tensor,
    cfg: Any,
    subsets: Subsets | None,
    model: Model | None = None,
) -> list[float]:
    """Measure ``m`` of every member of the stack, as floats (float64 before the conversion)."""
    size = params[0].shape[0]
    detached = [p.detach() for p in params]
    if not m.uses_train:
        inp = MeasureInput(detached, None, None, probe, cfg, model)
        return _checked(m, _fitted(m, inp), size).tolist()
    x, y = train
    k = cfg.sharpness_n
    out = torch.zeros(size, dtype=torch.float64, device=x.device)
    for members, rows in training_sets(subsets, size):
        first = slice(None, k) if rows is None else rows[:k]
        labels = y[torch.tensor(members, device=y.device), :k] if y.dim() == 2 else y[first]
        inp = MeasureInput(take(detached, members), x[first], labels, probe, cfg, model)
        value = _checked(m, _fitted(m, inp), len(members))
        out[torch.tensor(members, device=x.device)] = value.to(out)
    return out.tolist()


def _fitted(m: Measure, inp: MeasureInput) -> Any:
    """``m.fn(inp)`` at the threads the load leaves, where that changes no bit of its value
    (:func:`suite.train.fitting.fitting_load`: sharpness is ~2,500 small passes, each of which
    would wait for a thread on a busy core), checked on the measure's probe where it has one."""
    key = signature(
        "measure", m.name, inp.params, inp.train_x, inp.train_y, inp.probe, inp.settings, inp.model
    )
    probe = None if m.probe is None else (lambda: m.probe(inp))
    return fitting_load(key, lambda: m.fn(inp), inp.probe.device, probe)


def _checked(m: Measure, value: Tensor, members: int) -> Tensor:
    if not isinstance(value, Tensor) or tuple(value.shape) != (members,):
        shape = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
        raise ValueError(f"measure {m.name!r} gave {shape}, not a tensor of shape ({members},)")
    return value.detach()
