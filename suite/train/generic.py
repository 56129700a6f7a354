"""Training a stack of any model (``suite.train.models``): the short loop beside the MLP's engine.

The MLP has a fast stacked engine (layouts, compiled steps, CUDA graphs, narrowing finished
members away); a generic model gets the same training in its plainest form: every member's
batches from :class:`suite.train.engine.BatchSchedule` (its data seed, its :class:`Subsets`),
the forward through ``Model.forward`` in training mode, the sum of the members' mean
cross-entropies differentiated by autograd, and the step ``torch.optim.Adam(fused=True)`` takes
(:func:`suite.train.steps.fused_adam`, the eager engine's update, same betas and eps). Hooks,
the stop rule and checkpoints behave as :func:`suite.train.training.train` documents; finished
members keep the parameters they had when they finished, and train on unseen (the stack keeps
its size, so the others' dropout masks do not move).

Dropout draws from the global RNG, which the loop seeds from the stack's members (their init
and data seeds) and restores afterwards, holding ``models.GLOBAL_RNG`` meanwhile (generic stacks
of two experiments training in threads run one after the other): a run is reproducible, and
its state is checkpointed.
A member's masks depend on its position in the stack, unlike its init and batch order.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor

from suite.train.engine import BatchSchedule, Member, Params, Subsets, derive_seed, take_rows
from suite.train.models import GLOBAL_RNG
from suite.train.steps import AdamState, fused_adam
from suite.train.threads import ThreadPolicy, policy_for, probe_batches

if TYPE_CHECKING:
    from collections.abc import Callable

    from suite.train.checkpoints import Checkpoint
    from suite.train.models import Model


class GenericStep(AdamState):
    """One Adam step of a generic stack on a batch ``idx`` (U, B), state held here."""

    def __init__(
        self, model: Model, params: Params, x: Tensor, y: Tensor, schedule: BatchSchedule, lr: float
    ):
        self.model, self.x, self.y, self.schedule, self.lr = model, x, y, schedule, lr
        self.params = [p.detach().clone().requires_grad_(True) for p in params]
        self._allocate(torch.float32)

    def loss(self, idx: Tensor) -> Tensor:
        """The sum over members of each one's mean cross-entropy on its batch (as the engine's
        ``suite.train.steps.batch_loss``): each member's gradient is its own."""
        s = self.schedule
        rows = idx if s.rows is None else s.rows.gather(1, idx)
        member_rows = rows[s.member_order]
        y = self.y
        yb = y.gather(1, idx[s.member_order]) if y.dim() == 2 else y[member_rows]
        logits = self.model.forward(self.params, take_rows(self.x, member_rows), train=True)
        return F.cross_entropy(logits.flatten(0, 1), yb.flatten(), reduction="sum") / idx.shape[1]

    def __call__(self, idx: Tensor) -> None:
        grads = torch.autograd.grad(self.loss(idx), self.params)
        fused_adam(self, [g.contiguous() for g in grads])


def dropout_seed(members: Sequence[Member]) -> int:
    """The seed of a stack's dropout masks: its members', in order."""
    return derive_seed("dropout", *(s for m in members for s in (m.init_seed, m.data_seed)))


def train_generic(
    model: Model,
    members: Sequence[Member],
    x: Tensor,
    y: Tensor,
    *,
    batch_size: int,
    lr: float,
    epochs: int,
    classes: int,
    on_epoch: Callable[[int, Params], bool | Collection[int] | None] | None = None,
    eval_every: int = 1,
    params: Params | None = None,
    checkpoint: Checkpoint | None = None,
    checkpoint_every: int | None = None,
    carry: list[Any] | None = None,
    subsets: Subsets | None = None,
) -> Params:
    """:func:`suite.train.training.train` for a model other than the MLP (see the module)."""
    device = x.device
    index = device.index if device.index is not None else 0
    devices = [index] if device.type == "cuda" else []
    torch.set_flush_denormal(True)  # per thread, as the engine's train() sets it
    # the lock: another thread's generic stack would draw from the same global generator
    with GLOBAL_RNG, torch.random.fork_rng(devices=devices):
        torch.manual_seed(dropout_seed(members))
        initial = (
            params
            if params is not None
            else model.init(members, device, in_features=x.shape[-1], classes=classes)
        )
        n = x.shape[0] if subsets is None else subsets.n
        schedule = BatchSchedule(members, n, batch_size, device, subsets)
        step = GenericStep(model, initial, x, y, schedule, lr)
        batches = probe_batches(len(schedule.generators), n, batch_size, device)

        def probe() -> Params:
            """Steps of a fresh stepper from the initialization on fixed batches, dropout
            drawn from a fixed seed: what the thread policy compares across counts."""
            with torch.random.fork_rng(devices=devices):
                torch.default_generator.manual_seed(0)  # the CPU generator's dropout only
                fresh = GenericStep(model, initial, x, y, schedule, lr)
                for idx in batches:
                    fresh(idx)
                return fresh.params

        return _loop(
            step,
            schedule,
            members,
            epochs,
            on_epoch,
            eval_every,
            checkpoint,
            checkpoint_every,
            [] if carry is None else carry,
            devices,
            policy_for(device, "eager", probe),
        )


def _loop(
    step: GenericStep,
    schedule: BatchSchedule,
    members: Sequence[Member],
    epochs: int,
    on_epoch: Callable[[int, Params], bool | Collection[int] | None] | None,
    eval_every: int,
    checkpoint: Checkpoint | None,
    checkpoint_every: int | None,
    carry: list[Any],
    devices: list[int],
    threads: ThreadPolicy,
) -> Params:
    every = checkpoint_every or max(1, epochs // 20)
    state = checkpoint.load() if checkpoint is not None else None
    finished: set[int] = set()
    kept: Params | None = None
    start, stopped = 0, False
    if state is not None:
        with torch.no_grad():
            for p, saved in zip(step.params, state["params"], strict=True):
                p.copy_(saved)
        step.load_state_dict(state["optimizer"])
        schedule.set_state(state["generators"])
        carry[:] = state["carry"]
        finished = set(state.get("finished", []))
        kept = [t.to(step.params[0].device) for t in state["kept"]] if state.get("kept") else None
        torch.set_rng_state(state["rng"])
        if devices:
            torch.cuda.set_rng_state(state["cuda_rng"], devices[0])
        start, stopped = int(state["epoch"]), bool(state.get("stopped", False))

    def current() -> Params:
        now = [p.detach().clone() for p in step.params]
        if kept is not None and finished:
            done = torch.tensor(sorted(finished), device=now[0].device)
            for p, k in zip(now, kept, strict=True):
                p[done] = k[done]
        return now

    if stopped:
        return current()
    if start == 0 and on_epoch is not None:
        on_epoch(0, current())
    for epoch in range(start + 1, epochs + 1):
        hooked = on_epoch is not None and (epoch % eval_every == 0 or epoch == epochs)
        with threads.epoch():  # fewer threads beside busy cores, where no bit moves
            for idx in schedule.epoch():
                step(idx)
            now = current() if hooked else []
        stop = False
        if on_epoch is not None and hooked:
            said = on_epoch(epoch, now)
            if isinstance(said, bool) or said is None:
                stop = bool(said)
            elif set(said) - finished:
                kept, finished = now, finished | set(said)
                stop = len(finished) == len(members)
        if checkpoint is not None and (stop or epoch % every == 0 or epoch == epochs):
            checkpoint.save(
                {
                    "epoch": epoch,
                    "params": [p.detach().cpu() for p in step.params],
                    "optimizer": step.state_dict(),
                    "generators": schedule.state(),
                    "carry": list(carry),
                    "stopped": stop,
                    "finished": sorted(finished),
                    "kept": [t.cpu() for t in kept] if kept is not None else None,
                    "rng": torch.get_rng_state(),
                    "cuda_rng": torch.cuda.get_rng_state(devices[0]) if devices else None,
                }
            )
        if stop:
            break
    return current()
