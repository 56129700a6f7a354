"""``train``: a stack of members trained with Adam, epoch by epoch, with hooks and checkpoints.

The pieces it puts together: the batch order (``suite.train.engine.BatchSchedule``), the step in the
chosen engine mode (``suite.train.steps``), and the loop over an epoch's batches, which runs over
fixed index buffers and, for the compiled step on CUDA, as CUDA graphs (``suite.train.replay``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from suite.train.engine import BatchSchedule, Member, Params, Subsets, init_params
from suite.train.layouts import StackPlan, UnitMajorFirst, WidthPacking
from suite.train.replay import EpochRunner, IndexFeed
from suite.train.steps import make_step
from suite.train.threads import policy_for

if TYPE_CHECKING:
    from suite.train.checkpoints import Checkpoint

EvalHook = Callable[[int, Params], "bool | None"]  # returns True to stop training early


def default_engine(device: str | torch.device) -> str:
    """``compiled`` where it pays, ``eager`` elsewhere (README "Engine modes").

    On CUDA a step is ~40 kernel launches, which compilation and CUDA graphs remove. On CPU the
    step is arithmetic-bound and compiling costs ~30-60 s per stack shape on 2 cores, more than
    the ``ci`` profile's whole runs save.
    """
    return "compiled" if torch.device(device).type == "cuda" else "eager"


def device_name(device: str | torch.device) -> str:
    """The processor a device string runs on: the GPU's name, or the CPU model from the OS."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(device)}"
    return f"cpu:{_cpu_model()}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def stack_plan(schedule: BatchSchedule, members: Sequence[Member]) -> StackPlan:
    """The step's view of a stack: batch rows, the member -> order map, and the layout it trains
    in: packed to its members' own widths (a grouped stack whose members are padded: the width
    sweep, :class:`suite.train.layouts.WidthPacking`), its first layer unit-major (narrow first
    layers on CPU, :class:`suite.train.layouts.UnitMajorFirst`), or as every reader keeps it."""
    if schedule.grouped:
        packing = WidthPacking.of(members, len(schedule.generators), schedule.real)
    else:
        packing = UnitMajorFirst.of(members, schedule.device)
    return StackPlan(schedule.member_order, schedule.rows, schedule.grouped, packing)


def train(
    members: Sequence[Member],
    x: Tensor,
    y: Tensor,
    *,
    batch_size: int,
    lr: float,
    epochs: int,
    on_epoch: EvalHook | None = None,
    eval_every: int = 1,
    params: Params | None = None,
    checkpoint: Checkpoint | None = None,
    checkpoint_every: int | None = None,
    carry: list[Any] | None = None,
    subsets: Subsets | None = None,
    engine: str = "eager",
    graphs: bool | None = None,
) -> Params:
    """Adam on every member of the stack at once; returns the final stacked parameters.

    ``y`` is (N,) when all members share labels, (M, N) when each has its own (random labels).
    With ``subsets``, member m trains on the images ``subsets`` gives it (and ``y`` is (N,) or
    (M, n), see :class:`suite.train.engine.Subsets`); without, every member on all of ``x``.
    ``on_epoch(epoch, params)`` is called after epoch 0 (the init) and every ``eval_every``
    epochs, and after the last one, so callers record curves without the engine knowing what;
    it returns True to end training there (e.g. once every member has fitted).
    ``engine``: "eager" or "compiled" (``suite.train.steps``); ``graphs`` (default: compiled on
    CUDA) replays each epoch as CUDA graphs.

    With a ``checkpoint``, the whole state (parameters, Adam, batch-order generators, epoch and
    the caller's ``carry`` list, e.g. recorded rows) is saved every ``checkpoint_every`` epochs
    (default: every 5% of the run) and at the end, and a saved state is resumed from.
    """
    device = x.device
    # Denormals flushed to zero in *this* thread (suite.train.engine sets it at import, but the flag
    # is per thread: a Ray worker or a plan thread may train in a thread created before that).
    torch.set_flush_denormal(True)
    initial = params if params is not None else init_params(members, device)
    n = x.shape[0] if subsets is None else subsets.n
    schedule = BatchSchedule(members, n, batch_size, device, subsets)
    plan = stack_plan(schedule, members)
    step = make_step(engine, plan.pack(initial), x, y, plan, lr)

    def padded() -> Params:
        return plan.unpack([p.detach() for p in step.params])

    if graphs is None:
        graphs = engine == "compiled" and device.type == "cuda" and torch.cuda.is_available()
    if graphs and engine != "compiled":
        raise ValueError("CUDA graphs need engine='compiled' (its state is allocated up front)")
    # the compiled step masks a padded last batch: one shape per stack (the eager step keeps
    # the short batch, so the CPU default's numbers do not move)
    feed = IndexFeed(len(schedule.generators), n, batch_size, device, pad=engine == "compiled")
    runner = EpochRunner(step, feed, warm_up=graphs, graphs=graphs)
    units = len(schedule.generators)
    shapes = [(units, size) for size in sorted({batch_size, n % batch_size} - {0}, reverse=True)]
    threads = policy_for(device, engine, lambda: _probe(engine, initial, x, y, plan, lr, shapes))
    every = checkpoint_every or max(1, epochs // 20)
    carry = [] if carry is None else carry
    start, stopped = _resume(checkpoint, step, schedule, carry)
    if stopped:  # the hook had ended this run before the process was stopped
        return padded()
    if start == 0 and on_epoch is not None:
        on_epoch(0, padded())
    for epoch in range(start + 1, epochs + 1):
        feed.fill(schedule.draw())
        threads.before_epoch()
        try:
            runner.run_epoch()
        finally:
            threads.after_epoch()
        stop = False
        if on_epoch is not None and (epoch % eval_every == 0 or epoch == epochs):
            stop = bool(on_epoch(epoch, padded()))
        if checkpoint is not None and (stop or epoch % every == 0 or epoch == epochs):
            checkpoint.save(
                {
                    "epoch": epoch,
                    "params": [p.detach().cpu() for p in step.params],
                    "optimizer": step.state_dict(),
                    "generators": schedule.state(),
                    "carry": list(carry),
                    "stopped": stop,
                }
            )
        if stop:
            break
    return padded()


def _probe(
    engine: str,
    initial: Params,
    x: Tensor,
    y: Tensor,
    plan: StackPlan,
    lr: float,
    shapes: Sequence[tuple[int, int]],
) -> Params:
    """Steps of a fresh stepper from the stack's initialization on fixed random batches of
    ``shapes`` (a full batch, and the short last one if the epoch has one): what
    :func:`suite.train.threads.policy_for` compares across thread counts. The run's own
    stepper and batch order are not touched."""
    step = make_step(engine, plan.pack(initial), x, y, plan, lr)
    generator = torch.Generator().manual_seed(0)
    n = x.shape[0] if plan.rows is None else plan.rows.shape[1]
    for shape in shapes:
        step(torch.randint(0, n, shape, generator=generator).to(x.device))
    return step.params


def _resume(
    checkpoint: Checkpoint | None, step: Any, schedule: BatchSchedule, carry: list[Any]
) -> tuple[int, bool]:
    """Load a saved state into the live objects: the epoch to continue after (0: fresh start),
    and whether the hook had stopped the run there (then there is nothing left to train)."""
    state = checkpoint.load() if checkpoint is not None else None
    if state is None:
        return 0, False
    with torch.no_grad():
        for p, saved in zip(step.params, state["params"], strict=True):
            p.copy_(saved)
    step.load_state_dict(state["optimizer"])
    schedule.set_state(state["generators"])
    carry[:] = state["carry"]
    return int(state["epoch"]), bool(state.get("stopped", False))
