"""Train many small MLPs as one: the members of a stack share a batch size and learning rate.

Why one stack instead of a loop over models: a 3x64 MLP leaves any processor nearly idle, so the
cost of a step is kernel launches and Python overhead, not arithmetic. Stacking M members turns
M small matmuls into one batched matmul (``torch.baddbmm``) and M optimizers into one.

Members may have different hidden widths (the width sweep): every layer is padded to the widest
member with zero weights. A padded unit has pre-activation 0, ReLU'(0) = 0 in PyTorch, so its
weights get exactly zero gradient, Adam moves them by 0/(0+eps) = 0, and the real units see the
same numbers as in a model of their own width. ``suite/tests/test_engine.py`` checks this against
plain ``nn.Linear`` models trained alone.

Each member draws its own initialization and its own batch order from generators seeded by the
member alone, so a run's numbers do not depend on which other runs share its stack.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

if TYPE_CHECKING:
    from suite.checkpoints import Checkpoint

# Near interpolation, softmax tails underflow into denormals, which a CPU handles ~10x slower
# (measured: random labels went from 1 ms to 10 ms a step once train loss fell below 1e-3).
# The flag is per thread and threads inherit it when created, so it is set at import, before
# torch starts its intra-op thread pool. Flushing them to zero changes no number a claim reads.
torch.set_flush_denormal(True)


def configure_precision(device: str) -> None:
    """TF32 stays off on CUDA: claims compare numbers across runs and devices, and the stacked
    engine's equality to single-model training is tested at 1e-5, which TF32 matmuls break.
    The report's environment table shows the flag as it was during the run."""
    if device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


IN_FEATURES = 784
CLASSES = 10


@dataclass(frozen=True)
class Member:
    """One model of a stack: its hidden widths and the seed of its init and batch order."""

    hidden: tuple[int, ...]
    init_seed: int
    data_seed: int

    @property
    def n_params(self) -> int:
        sizes = (IN_FEATURES, *self.hidden, CLASSES)
        return sum(a * b + b for a, b in pairwise(sizes))


def derive_seed(*parts: int | str) -> int:
    """A 63-bit seed from labelled parts, so (experiment, seed, width) never collide."""
    words = [
        p if isinstance(p, int) else int.from_bytes(p.encode()[:8].ljust(8, b"\0"), "little")
        for p in parts
    ]
    return int(np.random.SeedSequence(words).generate_state(1, np.uint64)[0] >> 1)


Params = list[Tensor]  # [W1 (M, in, h1), b1 (M, h1), W2, b2, ...]


def init_params(members: Sequence[Member], device: torch.device | str = "cpu") -> Params:
    """``nn.Linear``'s default init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), per member, zero-padded."""
    depth = {len(m.hidden) for m in members}
    if len(depth) != 1:
        raise ValueError(f"members of one stack need the same depth, got {sorted(depth)}")
    padded = [max(ws) for ws in zip(*(m.hidden for m in members), strict=True)]
    sizes = [IN_FEATURES, *padded, CLASSES]
    params: Params = []
    for layer, (d_in, d_out) in enumerate(pairwise(sizes)):
        w = torch.zeros(len(members), d_in, d_out)
        b = torch.zeros(len(members), d_out)
        for i, m in enumerate(members):
            true = [IN_FEATURES, *m.hidden, CLASSES]
            fan_in, fan_out = true[layer], true[layer + 1]
            g = torch.Generator().manual_seed(derive_seed(m.init_seed, layer))
            bound = 1.0 / math.sqrt(fan_in)
            w[i, :fan_in, :fan_out] = torch.empty(fan_in, fan_out).uniform_(
                -bound, bound, generator=g
            )
            b[i, :fan_out] = torch.empty(fan_out).uniform_(-bound, bound, generator=g)
        params += [w.to(device), b.to(device)]
    return params


def forward(params: Params, x: Tensor) -> Tensor:
    """Logits (M, B, 10) of every member.

    ``x`` is (M, B, 784), one batch per member; or (U, B, 784) with U dividing M, one batch per
    group of M/U consecutive members that share a batch order; or (B, 784), shared by all.
    """
    h = x
    n_layers = len(params) // 2
    for i in range(n_layers):
        w, b = params[2 * i], params[2 * i + 1]
        if h.dim() == 2:
            h = torch.matmul(h, w) + b.unsqueeze(1)
        elif h.shape[0] != w.shape[0]:
            h = _grouped_layer(h, w, b)
        else:
            h = torch.baddbmm(b.unsqueeze(1), h, w)
        if i < n_layers - 1:
            h = torch.relu(h)
    return h


def _grouped_layer(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """Members sharing an input batch: one wide GEMM per group instead of one small GEMM each.

    The G weight matrices of a group are laid side by side, (784, G*H), so the widest layer (the
    first) runs as one large matmul per group; the output is split back into members.
    """
    groups, batch, d_in = x.shape
    members, _, d_out = w.shape
    per_group = members // groups
    wide = w.view(groups, per_group, d_in, d_out).permute(0, 2, 1, 3).reshape(groups, d_in, -1)
    h = torch.bmm(x, wide).view(groups, batch, per_group, d_out).permute(0, 2, 1, 3)
    return h.reshape(members, batch, d_out) + b.unsqueeze(1)


@torch.no_grad()
def evaluate(params: Params, x: Tensor, y: Tensor, chunk: int = 10_000) -> tuple[Tensor, Tensor]:
    """Mean cross-entropy and accuracy of every member on a full set; ``y`` is (N,) or (M, N)."""
    m = params[0].shape[0]
    loss = torch.zeros(m, dtype=torch.float64, device=x.device)
    correct = torch.zeros(m, dtype=torch.float64, device=x.device)
    for start in range(0, x.shape[0], chunk):
        logits = forward(params, x[start : start + chunk])
        yb = y[..., start : start + chunk].expand(m, -1)
        loss += F.cross_entropy(logits.transpose(1, 2), yb, reduction="none").sum(1).double()
        correct += (logits.argmax(-1) == yb).sum(1).double()
    return loss / x.shape[0], correct / x.shape[0]


class BatchSchedule:
    """Shuffled epochs, like ``DataLoader(shuffle=True, drop_last=False)``, one per data seed.

    Members with the same ``data_seed`` share a batch order. Index tensors are drawn on the CPU
    from one generator per data seed (cheap: one randperm per order and epoch) and moved to the
    device once per epoch. ``epoch()`` yields (U, B) index tensors, one row per order.
    """

    def __init__(self, members: Sequence[Member], n: int, batch_size: int, device: torch.device):
        self.n, self.batch_size, self.device = n, batch_size, device
        seeds = list(dict.fromkeys(m.data_seed for m in members))
        self.generators = [torch.Generator().manual_seed(s) for s in seeds]
        group = [seeds.index(m.data_seed) for m in members]
        self.member_order = torch.tensor(group, device=device)
        per_group = len(members) // len(seeds)
        # Members laid out group-major in equal groups can share one gathered batch per group
        # (see forward); otherwise every member gets its own copy of its group's batch.
        self.grouped = len(seeds) < len(members) and group == [
            i // per_group for i in range(len(members))
        ]

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def state(self) -> list[Tensor]:
        return [g.get_state() for g in self.generators]

    def set_state(self, states: Sequence[Tensor]) -> None:
        for g, s in zip(self.generators, states, strict=True):
            g.set_state(s)

    def epoch(self) -> list[Tensor]:
        order = torch.stack([torch.randperm(self.n, generator=g) for g in self.generators])
        return list(order.to(self.device).split(self.batch_size, dim=1))


EvalHook = Callable[[int, Params], "bool | None"]  # returns True to stop training early


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
) -> Params:
    """Adam on every member of the stack at once; returns the final stacked parameters.

    ``y`` is (N,) when all members share labels, (M, N) when each has its own (random labels).
    ``on_epoch(epoch, params)`` is called after epoch 0 (the init) and every ``eval_every``
    epochs, and after the last one, so callers record curves without the engine knowing what;
    it returns True to end training there (e.g. once every member has fitted).
    The loss is the sum over members of each member's mean batch loss: its gradient with respect
    to a member's parameters is that member's own gradient, and Adam is elementwise, so each
    member gets exactly the update it would get alone.

    With a ``checkpoint``, the whole state (parameters, Adam, batch-order generators, epoch and
    the caller's ``carry`` list, e.g. recorded rows) is saved every ``checkpoint_every`` epochs
    (default: every 5% of the run) and at the end, and a saved state is resumed from.
    """
    device = x.device
    initial = params if params is not None else init_params(members, device)
    params = [p.detach().clone().requires_grad_(True) for p in initial]
    opt = torch.optim.Adam(params, lr=lr, fused=True)
    schedule = BatchSchedule(members, x.shape[0], batch_size, device)
    every = checkpoint_every or max(1, epochs // 20)
    carry = [] if carry is None else carry
    start = _resume(checkpoint, params, opt, schedule, carry)
    if start == 0 and on_epoch is not None:
        on_epoch(0, params)
    for epoch in range(start + 1, epochs + 1):
        for idx in schedule.epoch():
            _step(params, opt, x, y, idx, schedule)
        stop = False
        if on_epoch is not None and (epoch % eval_every == 0 or epoch == epochs):
            stop = bool(on_epoch(epoch, params))
        if checkpoint is not None and (stop or epoch % every == 0 or epoch == epochs):
            checkpoint.save(
                {
                    "epoch": epoch,
                    "params": [p.detach().cpu() for p in params],
                    "optimizer": opt.state_dict(),
                    "generators": schedule.state(),
                    "carry": list(carry),
                }
            )
        if stop:
            break
    return [p.detach() for p in params]


def _step(
    params: Params,
    opt: torch.optim.Optimizer,
    x: Tensor,
    y: Tensor,
    idx: Tensor,
    schedule: BatchSchedule,
) -> None:
    """One Adam step of every member on its batch (row ``member_order[m]`` of ``idx``)."""
    per_member = idx[schedule.member_order]
    yb = y.gather(1, per_member) if y.dim() == 2 else y[per_member]
    logits = forward(params, x[idx] if schedule.grouped else x[per_member])
    loss = F.cross_entropy(logits.flatten(0, 1), yb.flatten(), reduction="sum") / idx.shape[1]
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def _resume(
    checkpoint: Checkpoint | None,
    params: Params,
    opt: torch.optim.Optimizer,
    schedule: BatchSchedule,
    carry: list[Any],
) -> int:
    """Load a saved state into the live objects; the epoch to continue after (0: fresh start)."""
    state = checkpoint.load() if checkpoint is not None else None
    if state is None:
        return 0
    with torch.no_grad():
        for p, saved in zip(params, state["params"], strict=True):
            p.copy_(saved)
    opt.load_state_dict(state["optimizer"])
    schedule.set_state(state["generators"])
    carry[:] = state["carry"]
    return int(state["epoch"])


def check_finite(values: Tensor, what: str) -> None:
    """A diverged run is inconclusive, never a pass: stop with the config in the message."""
    if not torch.isfinite(values).all():
        raise FloatingPointError(f"training diverged (NaN/inf) in {what}")
