"""The benchmark's workloads: one slice of an experiment each, trained by the engine and by the
homework loop, and the rate its matmuls reach alone.

A slice is small enough to time in seconds and shaped as its experiment's stacks are:

* ``width``: one seed of the width sweep (ten widths of 3 hidden layers, batch 200, one batch
  order for the ten), one epoch over 5,000 images;
* ``batch``: a big stack, the batch sweep's at batch 2000 (3 seeds of 64-64-64, each its own
  batch order), two epochs over 10,000 images;
* ``random_labels``: a small stack, random labels' (10 seeds of one hidden layer of 21 units,
  batch 100, each seed its own labelling of the same 1,000 images), 5 epochs.

The homework loop (:mod:`suite.benchmarks.baseline`) trains the same models one at a time
through a ``DataLoader``. :func:`matmul_rate` replays the matmuls one engine step runs (their
shapes recorded by ``torch.profiler``) alone: what the step would reach if it were only its
matmuls. A step's own rate is those matmuls' FLOPs over the whole step's time.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.profiler import ProfilerActivity, profile

from suite.benchmarks.baseline import homework_loader, mlp, train_one_at_a_time
from suite.benchmarks.profile_steps import build_step
from suite.data.splits import MnistSplits, random_labels
from suite.profiles import WIDTHS
from suite.train.engine import Member, derive_seed
from suite.train.steps import Stepper
from suite.train.training import train

#: The operators counted as matmuls, as ``suite.benchmarks.profile_steps`` counts them.
MATMULS = ("aten::bmm", "aten::baddbmm", "aten::mm", "aten::addmm")


@dataclass(frozen=True)
class Slice:
    """One benchmark workload: models (hidden widths per model, per seed), data and schedule."""

    name: str
    hidden: tuple[tuple[int, ...], ...]  # the models of one seed
    seeds: int
    n_train: int
    batch: int
    lr: float
    epochs: int
    own_labels: bool = False  # each seed its own random labelling (random labels)

    @property
    def models(self) -> int:
        return self.seeds * len(self.hidden)

    @property
    def steps(self) -> int:
        """Optimizer steps per member, which the engine takes for all members at once."""
        return self.epochs * math.ceil(self.n_train / self.batch)

    def members(self) -> list[Member]:
        """A seed's models share its batch order (the width sweep's layout); seeds do not."""
        return [
            Member(
                h, derive_seed("bench", self.name, s, i), derive_seed("bench/order", self.name, s)
            )
            for s in range(self.seeds)
            for i, h in enumerate(self.hidden)
        ]

    def labels(self, data: MnistSplits) -> Tensor:
        """(N,) shared labels, or (M, N): every member of seed s with seed s's relabelling."""
        y = data.train_y[: self.n_train]
        if not self.own_labels:
            return y
        per_seed = [random_labels(y, derive_seed("bench/labels", s)) for s in range(self.seeds)]
        return torch.stack([per_seed[s] for s in range(self.seeds) for _ in self.hidden])

    def train_engine(self, data: MnistSplits, engine: str = "eager") -> None:
        x, y = data.train_x[: self.n_train], self.labels(data)
        members = self.members()
        train(members, x, y, batch_size=self.batch, lr=self.lr, epochs=self.epochs, engine=engine)

    def train_homework(self, data: MnistSplits, device: str = "cpu") -> None:
        """The same models, one at a time, as a homework solution trains them."""
        labels = self.labels(data).cpu()
        for s in range(self.seeds):
            own = labels[s * len(self.hidden)] if self.own_labels else None
            loader = homework_loader(data.root, self.n_train, self.batch, seed=s, labels=own)
            models = [mlp(h) for h in self.hidden]
            train_one_at_a_time(models, loader, self.lr, self.epochs, device)

    def stepper(self, data: MnistSplits, engine: str = "eager") -> tuple[Stepper, list[Tensor]]:
        """The engine's step for this slice, at its initialization, and one epoch's batches."""
        x, y = data.train_x[: self.n_train], self.labels(data)
        return build_step(self.members(), x, y, self.batch, self.lr, engine)


SLICES: dict[str, Slice] = {
    s.name: s
    for s in (
        Slice("width", tuple((w,) * 3 for w in WIDTHS), 1, 5_000, 200, 3e-3, 1),
        Slice("batch", ((64, 64, 64),), 3, 10_000, 2_000, 1e-3, 2),
        Slice("random_labels", ((21,),), 10, 1_000, 100, 3e-3, 5, own_labels=True),
    )
}


@dataclass(frozen=True)
class MatmulCall:
    """One matmul a step runs: operator, input shapes, and how many times per step."""

    op: str
    shapes: tuple[tuple[int, ...], ...]
    count: int

    @property
    def flops(self) -> float:
        """2 * (batch) * n * k * m of one call."""
        a, b = self.shapes[-2], self.shapes[-1]
        batch = a[0] if len(a) == 3 else 1
        return 2.0 * batch * a[-2] * a[-1] * b[-1]


def step_matmuls(step: Callable[[Tensor], None], idx: Tensor) -> list[MatmulCall]:
    """The matmuls one call of ``step(idx)`` runs (forward and backward), with their shapes."""
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        step(idx)
    calls = []
    for e in prof.key_averages(group_by_input_shape=True):
        if e.key in MATMULS:
            shapes = tuple(tuple(s) for s in e.input_shapes if s)
            calls.append(MatmulCall(e.key, shapes, e.count))
    return calls


def _replay(call: MatmulCall) -> Callable[[], Tensor]:
    """The call on fresh contiguous operands of its shapes (bias first for the fused ones)."""
    args = [torch.randn(s) for s in call.shapes]
    fn = {"aten::bmm": torch.bmm, "aten::mm": torch.mm}.get(call.op)
    if fn is not None:
        return lambda: fn(*args[-2:])
    fused = torch.baddbmm if call.op == "aten::baddbmm" else torch.addmm
    return lambda: fused(*args[-3:])


def matmul_rate(calls: Sequence[MatmulCall], rounds: int = 5, min_s: float = 0.2) -> float:
    """GFLOP/s of the calls run alone, each its count of times per round (median of
    ``rounds``, each round at least ``min_s`` long): the rate these shapes reach when nothing
    else runs between them."""
    replays = [(_replay(c), c.count) for c in calls]
    flops = sum(c.flops * c.count for c in calls)

    def one() -> None:
        for fn, count in replays:
            for _ in range(count):
                fn()

    one()  # warm-up
    t0 = time.perf_counter()
    one()
    repeats = max(1, math.ceil(min_s / max(time.perf_counter() - t0, 1e-6)))
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(repeats):
            one()
        times.append((time.perf_counter() - t0) / repeats)
    return flops / statistics.median(times) / 1e9
