"""Where a training step's time goes, for every stack each experiment trains at a profile.

    python -m suite.benchmarks.profile_steps --profile ci [--steps 20] [--only width_sweep]

Each experiment runs as the suite runs it (its settings, its first look's seeds, the eager
engine), except that ``train`` is intercepted: for every stack the experiment builds, the same
batch order, layout and stepper are made, ``--steps`` steps are timed without a profiler, the
same number again under ``torch.profiler``, and then the experiment is handed the stack at its
initialization (0 epochs), so the whole sweep is profiled in a minute, not trained.

The table splits a step's wall time by the operators' own CPU time: matmul (``bmm``,
``baddbmm``, ``mm``, ``addmm``), the optimizer (``_fused_adam_``), gathers (index, gather,
index_select, index_copy), the loss (log-softmax, NLL and their backward), other elementwise
operators, and what is left: Python, autograd and dispatch (the unprofiled wall time minus the
profiled operators' time). Matmul GFLOP/s is the profiler's FLOP count of the matmuls over
their time: set it against a plain matmul of the same shapes to see how near the peak a stack
runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch.profiler import ProfilerActivity, profile

CATEGORIES = ("matmul", "optimizer", "gather", "loss", "elementwise", "python+dispatch")
_MATMUL = {"aten::bmm", "aten::baddbmm", "aten::mm", "aten::addmm"}
_OPTIMIZER = {"aten::_fused_adam_", "aten::_fused_adam", "aten::_foreach_add_"}
_GATHER = {
    "aten::index",
    "aten::gather",
    "aten::index_select",
    "aten::index_copy_",
    "aten::index_copy",
    "aten::index_put_",
    "aten::_index_put_impl_",
    "aten::index_add_",
    "aten::scatter_add_",
    "aten::take",
}
_LOSS = {
    "aten::_log_softmax",
    "aten::_log_softmax_backward_data",
    "aten::nll_loss_forward",
    "aten::nll_loss_backward",
}


def category(op: str) -> str:
    """The column of the table an operator's own time goes to."""
    if op in _MATMUL:
        return "matmul"
    if op in _OPTIMIZER:
        return "optimizer"
    if op in _GATHER:
        return "gather"
    if op in _LOSS:
        return "loss"
    return "elementwise"


@dataclass
class StackProfile:
    """One stack's step: its shape, wall time and the time per category (ms per step)."""

    experiment: str
    stack: str
    members: int
    batch: int
    step_ms: float
    shares_ms: dict[str, float]
    matmul_gflops: float

    def row(self) -> list[str]:
        cells = [self.experiment, self.stack, str(self.members), str(self.batch)]
        cells.append(f"{self.step_ms:.2f}")
        cells += [f"{100 * self.shares_ms[c] / self.step_ms:.0f}%" for c in CATEGORIES]
        return [*cells, f"{self.matmul_gflops:.0f}"]


HEADER = ["experiment", "stack", "members", "batch", "ms/step", *CATEGORIES, "matmul GFLOP/s"]


def split(events: Sequence[Any], steps: int, wall_ms: float) -> tuple[dict[str, float], float]:
    """Per-category ms per step of a profiled run of ``steps`` steps that took ``wall_ms`` per
    step, and the matmuls' GFLOP/s (the profiler's FLOP count over their own time)."""
    shares = dict.fromkeys(CATEGORIES, 0.0)
    flops = matmul_us = 0.0
    for e in events:
        if not e.key.startswith("aten::"):
            continue
        c = category(e.key)
        shares[c] += e.self_cpu_time_total / 1000 / steps
        if c == "matmul":
            flops += e.flops or 0.0
            matmul_us += e.self_cpu_time_total
    shares["python+dispatch"] = max(0.0, wall_ms - sum(shares.values()))
    return shares, (flops / (matmul_us * 1e3) if matmul_us else 0.0)


def profile_stack(
    stepper: Callable[[torch.Tensor], None], batches: Sequence[torch.Tensor], steps: int
) -> tuple[float, dict[str, float], float]:
    """(ms per step unprofiled, ms per step per category, matmul GFLOP/s) over ``steps`` steps
    after as many warm-up steps; the batches are used in turn. The categories' shares are those
    of a profiled run of the same steps (the profiler slows operators a little), applied to the
    unprofiled time."""

    def run(n: int) -> None:
        for i in range(n):
            stepper(batches[i % len(batches)])

    run(steps)  # warm-up: allocator, first-touch, oneDNN primitive caches
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        run(steps)
        times.append((time.perf_counter() - t0) * 1000 / steps)
    wall = statistics.median(times)
    t0 = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
        run(steps)
    profiled = (time.perf_counter() - t0) * 1000 / steps
    shares, gflops = split(prof.key_averages(), steps, profiled)
    # the profiler slows every operator down a little: its shares are fractions of its own run,
    # scaled to the unprofiled step
    return wall, {c: v * wall / profiled for c, v in shares.items()}, gflops


def build_step(
    members: Sequence[Any],
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    lr: float,
    engine: str = "eager",
    subsets: Any = None,
) -> tuple[Any, list[torch.Tensor]]:
    """A stack's stepper as ``train`` makes it, at its initialization, and one epoch's full
    batches: what timing steps outside the training loop needs."""
    from suite.train.engine import BatchSchedule, init_params
    from suite.train.steps import make_step
    from suite.train.training import stack_plan

    n = x.shape[0] if subsets is None else subsets.n
    schedule = BatchSchedule(members, n, batch_size, x.device, subsets)
    plan = stack_plan(schedule, members)
    step = make_step(engine, plan.pack(init_params(members, x.device)), x, y, plan, lr)
    batches = [b for b in schedule.epoch() if b.shape[1] == batch_size] or schedule.epoch()
    return step, batches


@contextmanager
def intercepted(steps: int, found: list[StackProfile], name: str) -> Iterator[None]:
    """Every ``train`` call of the experiment modules profiles its stack and trains 0 epochs."""
    from suite.experiments import (
        batch_sweep,
        interpolation,
        label_corruption,
        measures,
        random_labels,
        width_sweep,
    )
    from suite.train import training

    modules = (batch_sweep, interpolation, label_corruption, measures, random_labels, width_sweep)
    real = training.train

    def profiled(members, x, y, *, batch_size, lr, epochs, subsets=None, engine="eager", **kw):
        step, batches = build_step(members, x, y, batch_size, lr, engine, subsets)
        wall, shares, gflops = profile_stack(step, batches, steps)
        label = f"batch {batch_size}, lr {lr:g}, hidden {members[0].hidden}"
        found.append(StackProfile(name, label, len(members), batch_size, wall, shares, gflops))
        print(f"  {name}: {label}, {len(members)} members: {wall:.2f} ms/step", flush=True)
        return real(
            members,
            x,
            y,
            batch_size=batch_size,
            lr=lr,
            epochs=0,
            subsets=subsets,
            engine=engine,
            **kw,
        )

    saved = [m.train for m in modules]
    try:
        for m in modules:
            m.train = profiled
        yield
    finally:
        for m, t in zip(modules, saved, strict=True):
            m.train = t


def profile_experiments(
    profile_name: str, steps: int, only: Sequence[str] = (), device: str = "cpu"
) -> list[StackProfile]:
    """Profile every stack of each experiment (all of them unless ``only``) at the first look."""
    from suite.data.splits import load_mnist
    from suite.profiles import get_profile
    from suite.records import records
    from suite.train.seeds import SeedSet

    prof = get_profile(profile_name)
    data = load_mnist(device=device)
    found: list[StackProfile] = []
    for record in records():
        name = record.name
        if only and name not in only:
            continue
        seeds = SeedSet.of(prof.looks_for(name)[0])
        print(f"{name}: {len(seeds)} seeds", flush=True)
        before = len(found)
        with intercepted(steps, found, name):
            try:
                record.train(prof, data, seeds, engine="eager")
            except (KeyError, ValueError, IndexError) as error:
                # trained 0 epochs, an experiment may have no rows to summarize (label
                # corruption measures a run once it fits): its stacks were profiled all the same
                if len(found) == before:
                    raise
                print(f"  ({name}'s summary of 0 epochs failed: {error!r}; not needed here)")
    return found


def markdown(rows: Sequence[StackProfile]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r.row()) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suite.benchmarks.profile_steps")
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--steps", type=int, default=20, help="steps timed per stack")
    parser.add_argument("--only", nargs="*", default=(), help="experiments to profile")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--json", default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    rows = profile_experiments(args.profile, args.steps, args.only)
    print(markdown(rows))
    if args.json:
        import json
        from pathlib import Path

        Path(args.json).write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
