"""``train``: a stack of members trained with Adam, epoch by epoch, with hooks and checkpoints.

The pieces it puts together: the batch order (``suite.train.engine.BatchSchedule``), the step in the
chosen engine mode (``suite.train.steps``), and the loop over an epoch's batches, which runs over
fixed index buffers and, for the compiled step on CUDA, as CUDA graphs (``suite.train.replay``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from suite.train.engine import (
    CLASSES,
    BatchSchedule,
    Member,
    Params,
    Subsets,
    init_params,
    take_at_widths,
)
from suite.train.generic import train_generic
from suite.train.layouts import StackPlan, UnitMajorFirst, WidthPacking
from suite.train.models import Model, as_model, is_mlp
from suite.train.replay import EpochRunner, IndexFeed
from suite.train.steps import make_step
from suite.train.threads import policy_for, probe_batches

if TYPE_CHECKING:
    from suite.train.checkpoints import Checkpoint

EvalHook = Callable[[int, Params], "bool | Collection[int] | None"]  # True: stop; or: finished


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
    model: Model | str = "mlp",
    classes: int = CLASSES,
) -> Params:
    """Adam on every member of the stack at once; returns the final stacked parameters.

    ``y`` is (N,) when all members share labels, (M, N) when each has its own (random labels).
    With ``subsets``, member m trains on the images ``subsets`` gives it (and ``y`` is (N,) or
    (M, n), see :class:`suite.train.engine.Subsets`); without, every member on all of ``x``.
    ``on_epoch(epoch, params)`` is called after epoch 0 (the init) and every ``eval_every``
    epochs, and after the last one, so callers record curves without the engine knowing what.
    It returns True to end training there, or the members (indices) that are finished: each
    keeps the parameters it has at that epoch (they are what ``train`` returns for it), and once
    the finished ones are half of those still in the stack, the rest train on as a smaller stack
    (label corruption measures each run when it fits; when all are finished, training ends).
    ``engine``: "eager" or "compiled" (``suite.train.steps``); ``graphs`` (default: compiled on
    CUDA) replays each epoch as CUDA graphs.

    With a ``checkpoint``, the whole state (parameters, Adam, batch-order generators, epoch,
    finished members and the caller's ``carry`` list, e.g. recorded rows) is saved every
    ``checkpoint_every`` epochs (default: every 5% of the run) and at the end, and a saved state
    is resumed from.

    ``model`` (a :class:`suite.train.models.Model` or its registered name) is the MLP by
    default, trained by the stacked engine; any other model trains in the short generic loop of
    :func:`suite.train.generic.train_generic` (same batch orders, Adam, hooks and checkpoints;
    ``engine`` and ``graphs`` do not apply), one stack of members that share parameter shapes.
    ``classes`` is the data's class count; the input features are ``x``'s last dimension.
    """
    if not is_mlp(model):
        return train_generic(
            as_model(model),
            members,
            x,
            y,
            batch_size=batch_size,
            lr=lr,
            epochs=epochs,
            classes=classes,
            on_epoch=on_epoch,
            eval_every=eval_every,
            params=params,
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every,
            carry=carry,
            subsets=subsets,
        )
    device = x.device
    # Denormals flushed to zero in *this* thread (suite.train.engine sets it at import, but the flag
    # is per thread: a Ray worker or a plan thread may train in a thread created before that).
    torch.set_flush_denormal(True)
    initial = (
        params
        if params is not None
        else init_params(members, device, in_features=x.shape[-1], classes=classes)
    )
    if graphs is None:
        graphs = engine == "compiled" and device.type == "cuda" and torch.cuda.is_available()
    if graphs and engine != "compiled":
        raise ValueError("CUDA graphs need engine='compiled' (its state is allocated up front)")

    def stack(active: list[int], start: Params) -> _Stack:
        return _Stack(members, active, start, x, y, subsets, batch_size, lr, engine, graphs)

    everyone = list(range(len(members)))
    every = checkpoint_every or max(1, epochs // 20)
    carry = [] if carry is None else carry
    state = checkpoint.load() if checkpoint is not None else None
    state_of = state or {}
    active = state_of.get("active", everyone)
    live = stack(active, initial if active == everyone else _rows(initial, active, members))
    finished: set[int] = set(state_of.get("finished", []))
    # every member's parameters, a finished one's as it finished (None: nobody has)
    kept = [t.to(device) for t in state_of["kept"]] if state_of.get("kept") else None
    start, stopped = _resume(state, live.step, live.schedule, carry)

    def padded() -> Params:
        params = live.padded()
        if kept is None:
            return params
        out = [t.clone() for t in kept]
        training = [(j, i) for j, i in enumerate(live.active) if i not in finished]
        if training:
            at = torch.tensor([j for j, _ in training], device=device)
            ids = torch.tensor([i for _, i in training], device=device)
            for o, p in zip(out, params, strict=True):
                o[(ids, *(slice(0, d) for d in p.shape[1:]))] = p.index_select(0, at)
        return out

    if stopped:  # the hook had ended this run before the process was stopped
        return padded()
    if start == 0 and on_epoch is not None:
        on_epoch(0, padded())
    for epoch in range(start + 1, epochs + 1):
        hooked = on_epoch is not None and (epoch % eval_every == 0 or epoch == epochs)
        with live.threads.epoch():
            live.run_epoch()
            now = padded() if hooked else []
        stop = False
        if on_epoch is not None and hooked:
            said = on_epoch(epoch, now)
            if isinstance(said, bool) or said is None:
                stop = bool(said)
            elif set(said) - finished:
                # copies: the live stack's parameters are views that the next steps update
                kept, finished = [t.clone() for t in now], finished | set(said)
                stop = len(finished) == len(members)
                rest = [i for i in live.active if i not in finished]
                if not stop and len(rest) <= len(live.active) // 2:
                    live = live.narrowed(rest, stack)
        if checkpoint is not None and (stop or epoch % every == 0 or epoch == epochs):
            checkpoint.save(
                {
                    "epoch": epoch,
                    "params": [p.detach().cpu() for p in live.step.params],
                    "optimizer": live.step.state_dict(),
                    "generators": live.schedule.state(),
                    "carry": list(carry),
                    "stopped": stop,
                    "active": live.active,
                    "finished": sorted(finished),
                    "kept": [t.cpu() for t in kept] if kept is not None else None,
                }
            )
        if stop:
            break
    return padded()


def _rows(params: Params, rows: Sequence[int], members: Sequence[Member]) -> Params:
    """The members ``rows`` of a padded stack, padded only to the widest of them."""
    widest = [max(w) for w in zip(*(members[i].hidden for i in rows), strict=True)]
    return take_at_widths(params, rows, widest)


class _Stack:
    """The members still training (``active``: indices into the stack) and what their step
    needs: batch orders, layout, step, index feed, epoch runner, thread policy."""

    def __init__(
        self,
        members: Sequence[Member],
        active: list[int],
        params: Params,
        x: Tensor,
        y: Tensor,
        subsets: Subsets | None,
        batch_size: int,
        lr: float,
        engine: str,
        graphs: bool,
    ):
        everyone = len(active) == len(members)
        self.members = [members[i] for i in active]
        self.active = list(active)
        device = x.device
        if not everyone:
            subsets = subsets.select(active) if subsets is not None else None
            y = y[torch.tensor(active, device=y.device)] if y.dim() == 2 else y
        n = x.shape[0] if subsets is None else subsets.n
        self.schedule = BatchSchedule(self.members, n, batch_size, device, subsets)
        self.plan = plan = stack_plan(self.schedule, self.members)
        self.step = make_step(engine, plan.pack(params), x, y, plan, lr)
        # the compiled step masks a padded last batch: one shape per stack (the eager step keeps
        # the short batch, so the CPU default's numbers do not move)
        self.feed = IndexFeed(
            len(self.schedule.generators), n, batch_size, device, pad=engine == "compiled"
        )
        self.runner = EpochRunner(self.step, self.feed, warm_up=graphs, graphs=graphs)
        batches = probe_batches(len(self.schedule.generators), n, batch_size, device)
        self.threads = policy_for(
            device, engine, lambda: _probe(engine, params, x, y, plan, lr, batches)
        )

    def run_epoch(self) -> None:
        """One epoch, at the threads the caller set (``self.threads.epoch()``)."""
        self.feed.fill(self.schedule.draw())
        self.runner.run_epoch()

    def padded(self) -> Params:
        return self.plan.unpack([p.detach() for p in self.step.params])

    def narrowed(self, keep: list[int], stack: Callable[[list[int], Params], _Stack]) -> _Stack:
        """A stack of the members ``keep`` that goes on exactly where each of them is now:
        parameters, Adam's moments and step count, batch-order generators."""
        at = [self.active.index(i) for i in keep]
        live = [self.members[j] for j in at]
        moments = [
            _rows(self.plan.unpack(list(m)), at, self.members)
            for m in (self.step.exp_avg, self.step.exp_avg_sq)
        ]
        new = stack(keep, _rows(self.padded(), at, self.members))
        with torch.no_grad():
            for mine, theirs in zip((new.step.exp_avg, new.step.exp_avg_sq), moments, strict=True):
                for t, saved in zip(mine, new.plan.pack(theirs), strict=True):
                    t.copy_(saved)
            new.step.step_count.copy_(self.step.step_count)
        by_seed = dict(zip(_orders(self.members), self.schedule.state(), strict=True))
        new.schedule.set_state([by_seed[s] for s in _orders(live)])
        return new


def _orders(members: Sequence[Member]) -> list[int]:
    """The data seeds of a stack in the order its schedule keeps their generators."""
    return list(dict.fromkeys(m.data_seed for m in members))


def _probe(
    engine: str,
    initial: Params,
    x: Tensor,
    y: Tensor,
    plan: StackPlan,
    lr: float,
    batches: Sequence[Tensor],
) -> Params:
    """Steps of a fresh stepper from the stack's initialization on ``batches``
    (:func:`suite.train.threads.probe_batches`): what
    :func:`suite.train.threads.policy_for` compares across thread counts. The run's own
    stepper and batch order are not touched."""
    step = make_step(engine, plan.pack(initial), x, y, plan, lr)
    for idx in batches:
        step(idx)
    return step.params


def _resume(
    state: dict[str, Any] | None, step: Any, schedule: BatchSchedule, carry: list[Any]
) -> tuple[int, bool]:
    """Load a saved state into the live objects: the epoch to continue after (0: fresh start),
    and whether the hook had stopped the run there (then there is nothing left to train)."""
    if state is None:
        return 0, False
    with torch.no_grad():
        for p, saved in zip(step.params, state["params"], strict=True):
            p.copy_(saved)
    step.load_state_dict(state["optimizer"])
    schedule.set_state(state["generators"])
    carry[:] = state["carry"]
    return int(state["epoch"]), bool(state.get("stopped", False))
