"""One Adam step of a stack, in the engine's two modes, and the loss both differentiate.

``eager`` is PyTorch as written: autograd and ``torch.optim.Adam(fused=True)``, one kernel
launch per operation and Python in ``zero_grad`` and ``Optimizer.step``.

``compiled`` is the whole step (gather the batch, forward, loss, ``torch.func.grad``, Adam) as
one pure function over fixed-shape tensors that updates parameters and optimizer state in
place, compiled once per stack and batch shape by ``torch.compile`` (inductor: C++ on CPU,
Triton on CUDA). Its state (parameters, both moments, the step count) lives in tensors it owns,
allocated once, so that on CUDA a whole epoch of it can be captured as a CUDA graph
(:mod:`suite.train.replay`). With ``compile=False`` the same function runs eagerly: the tests
use that to check the structure in seconds, and the compiled function against it.

Both modes compute the same mathematics; they differ by floating-point summation order, which
``suite/tests/train/test_steps.py`` bounds (see :data:`MODE_TOLERANCE`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor

from suite.train.engine import CLASSES, Member, Params, forward

ENGINES = ("eager", "compiled")
BETAS = (0.9, 0.999)
EPS = 1e-8
#: compiled and eager parameters after 20 float64 steps differ by at most this (absolute). In
#: float64 the modes differ only in summation order (~1e-16 relative per operation); Adam divides
#: by sqrt(v), which can magnify that on near-zero gradients by ~1e4 over a few steps, so 1e-9
#: leaves room without hiding a wrong formula (a wrong bias correction moves parameters ~1e-3).
MODE_TOLERANCE = 1e-9
#: stacks of one session compile one graph per batch shape each (the learning rate is a tensor,
#: so it is not a guard); dynamo's default of 8 per function would stop a run (fullgraph) after
#: the eighth.
RECOMPILE_LIMIT = 256


@dataclass(frozen=True, eq=False)
class WidthPacking:
    """A grouped stack whose members differ in width, trained at each member's own shapes.

    A width stack pads every member to the widest (90 units): side by side a group's first layer
    is 784 x 900 of which 784 x 455 are real, and the 90 x 90 layers above it are 35% real. In
    training, the first layer is kept packed to its real columns, (G, 784, R) and (G, R), and
    every later layer as one tensor per position k in the group, (G, in_k, out_k) and
    (G, out_k): the forward and backward multiply real weights only and Adam updates real
    weights only. The packed first layer's output is split into the positions' columns, each
    runs its own layers, and the logits are stacked back in member order (group-major).
    :meth:`unpack` gives back the padded layout every other function reads; the padding there
    is zeros, as the padded engine keeps it.
    """

    real: Tensor  # (R,) positions of the real columns in a group's side-by-side layout
    groups: int
    hidden: tuple[tuple[int, ...], ...]  # the hidden widths of each position in a group

    @property
    def per_group(self) -> int:
        return len(self.hidden)

    def _sizes(self, k: int) -> list[int]:
        return [*self.hidden[k], CLASSES]

    def pack(self, params: Params) -> Params:
        w, b = params[0], params[1]
        g, pg, d_in, h = self.groups, self.per_group, w.shape[1], w.shape[2]
        wide = w.reshape(g, pg, d_in, h).permute(0, 2, 1, 3).reshape(g, d_in, pg * h)
        packed = [
            wide.index_select(2, self.real).contiguous(),
            b.reshape(g, pg * h).index_select(1, self.real).contiguous(),
        ]
        for layer in range(1, len(params) // 2):
            w, b = params[2 * layer], params[2 * layer + 1]
            wg = w.reshape(g, pg, *w.shape[1:])
            bg = b.reshape(g, pg, -1)
            for k in range(pg):
                d_in, d_out = self._sizes(k)[layer - 1], self._sizes(k)[layer]
                packed += [wg[:, k, :d_in, :d_out].contiguous(), bg[:, k, :d_out].contiguous()]
        return packed

    def unpack(self, params: Params) -> Params:
        wp, bp = params[0], params[1]
        g, pg = self.groups, self.per_group
        widest = [max(s) for s in zip(*(self._sizes(k) for k in range(pg)), strict=True)]
        d_in, h = wp.shape[1], widest[0]
        wide = wp.new_zeros(g, d_in, pg * h).index_copy(2, self.real, wp)
        w = wide.reshape(g, d_in, pg, h).permute(0, 2, 1, 3).reshape(g * pg, d_in, h)
        b = bp.new_zeros(g, pg * h).index_copy(1, self.real, bp).reshape(g * pg, h)
        padded = [w, b]
        rest = iter(params[2:])
        for layer in range(1, len(widest)):
            w = wp.new_zeros(g, pg, widest[layer - 1], widest[layer])
            b = wp.new_zeros(g, pg, widest[layer])
            for k in range(pg):
                wk, bk = next(rest), next(rest)
                w[:, k, : wk.shape[1], : wk.shape[2]] = wk
                b[:, k, : bk.shape[1]] = bk
            padded += [w.reshape(g * pg, *w.shape[2:]), b.reshape(g * pg, -1)]
        return padded

    def forward(self, params: Params, x: Tensor) -> Tensor:
        """(G, B, 784) -> logits (M, B, 10), member m = g * per_group + k."""
        h = torch.relu(torch.baddbmm(params[1].unsqueeze(1), x, params[0]))
        parts = list(h.split([hk[0] for hk in self.hidden], dim=2))
        layers = len(self.hidden[0])
        rest = params[2:]
        for layer in range(layers):
            for k, part in enumerate(parts):
                i = 2 * (layer * self.per_group + k)
                out = torch.baddbmm(rest[i + 1].unsqueeze(1), part, rest[i])
                parts[k] = torch.relu(out) if layer < layers - 1 else out
        logits = torch.stack(parts, dim=1)  # (G, K, B, 10)
        return logits.reshape(-1, *logits.shape[2:])

    @staticmethod
    def of(members: Sequence[Member], groups: int, real: Tensor | None) -> WidthPacking | None:
        """The packing of a grouped stack, or None when its members are not padded.

        ``real`` is the first layer's real columns (:func:`suite.train.engine.real_columns`,
        None when no group is padded alike). Every later layer must follow the same pattern in
        every group too; otherwise None (the padded product is used, still exact).
        """
        per_group = len(members) // groups
        pattern = [m.hidden for m in members[:per_group]]
        if real is None or [m.hidden for m in members] != pattern * groups:
            return None
        return WidthPacking(real, groups, tuple(pattern))


@dataclass(frozen=True, eq=False)
class StackPlan:
    """What a step needs to know about a stack besides its parameters (fixed for the run).

    ``rows`` (U, n) maps batch-order positions to image rows (None: identity); member m trains
    on row ``member_order[m]`` of a batch; ``grouped``: members sharing an order are laid out in
    equal consecutive groups, so one gathered batch per group serves all of them.
    """

    member_order: Tensor
    rows: Tensor | None
    grouped: bool
    packing: WidthPacking | None

    def pack(self, params: Params) -> Params:
        """Padded parameters in the layout training keeps (the same ones if nothing packs)."""
        return self.packing.pack(params) if self.packing is not None else params

    def unpack(self, params: Params) -> Params:
        """Training-layout parameters back in the padded layout every reader expects."""
        return self.packing.unpack(params) if self.packing is not None else params


#: The index that pads a short last batch to the full batch shape (``IndexFeed(pad=True)``).
PAD = -1


def batch_loss(
    params: Params, x: Tensor, y: Tensor, idx: Tensor, plan: StackPlan, masked: bool = False
) -> Tensor:
    """The sum over members of each member's mean cross-entropy on its batch (row of ``idx``).

    Its gradient with respect to a member's parameters is that member's own gradient, and Adam
    is elementwise, so each member gets exactly the update it would get trained alone.
    ``masked``: positions holding :data:`PAD` (a short last batch padded to the full shape, so
    that the compiled step has one shape per stack) count for nothing: the mean is over the
    real positions, the same mean as the short batch's.
    """
    if masked:
        valid = idx[0] != PAD  # every row of a batch is padded at the same positions
        idx = idx.clamp(min=0)
    rows = idx if plan.rows is None else plan.rows.gather(1, idx)
    member_rows = rows[plan.member_order]
    yb = y.gather(1, idx[plan.member_order]) if y.dim() == 2 else y[member_rows]
    if plan.grouped:
        logits = _forward_grouped(params, x[rows], plan.packing)
    else:
        logits = forward(params, x[member_rows])
    if not masked:
        return F.cross_entropy(logits.flatten(0, 1), yb.flatten(), reduction="sum") / idx.shape[1]
    ce = F.cross_entropy(logits.flatten(0, 1), yb.flatten(), reduction="none")
    weight = valid.to(ce.dtype)
    return (ce.view(-1, idx.shape[1]) * weight).sum() / weight.sum()


def _forward_grouped(params: Params, xg: Tensor, packing: WidthPacking | None) -> Tensor:
    return forward(params, xg) if packing is None else packing.forward(params, xg)


class Stepper(Protocol):
    """One optimizer step of a stack on a batch ``idx`` (U, B); state lives in the stepper."""

    params: Params  # in the training layout (see WidthPacking)

    def __call__(self, idx: Tensor) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    def tensors(self) -> list[Tensor]:
        """Every tensor a step mutates (for a warm-up that must leave no trace)."""
        ...


class EagerStep:
    """Autograd and ``torch.optim.Adam(fused=True)``: today's engine step."""

    def __init__(self, params: Params, x: Tensor, y: Tensor, plan: StackPlan, lr: float):
        self.params = [p.detach().clone().requires_grad_(True) for p in params]
        self.x, self.y, self.plan = x, y, plan
        self.opt = torch.optim.Adam(self.params, lr=lr, betas=BETAS, eps=EPS, fused=True)

    def __call__(self, idx: Tensor) -> None:
        loss = batch_loss(self.params, self.x, self.y, idx, self.plan)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()

    def state_dict(self) -> dict[str, Any]:
        return self.opt.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.opt.load_state_dict(state)

    def tensors(self) -> list[Tensor]:
        moments = [t for s in self.opt.state.values() for t in s.values()]
        return [*self.params, *moments]


class FunctionalStep:
    """The step as one pure function over tensors this object owns; compiled unless told not.

    The moments and the step count are allocated up front (zeros, count 0), so every address is
    fixed from the first step on: what a CUDA graph needs, and what keeps compilation to one
    graph per batch shape. The step count is a tensor, so bias corrections are computed on the
    device (no host sync, capturable); so is the learning rate (float64, as the Python float it
    replaces computed), so that stacks of one shape and different rates share one compiled graph
    instead of recompiling for each rate, a constant dynamo guards on.
    """

    def __init__(
        self,
        params: Params,
        x: Tensor,
        y: Tensor,
        plan: StackPlan,
        lr: float,
        *,
        compile: bool = True,
    ):
        self.params = [p.detach().clone() for p in params]
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.step_count = torch.zeros((), dtype=torch.float64, device=x.device)
        self.x, self.y, self.plan, self.lr = x, y, plan, lr
        self.lr_t = torch.tensor(lr, dtype=torch.float64, device=x.device)
        self.fn = _compiled_step() if compile else adam_step

    def __call__(self, idx: Tensor) -> None:
        self.fn(
            self.params,
            self.exp_avg,
            self.exp_avg_sq,
            self.step_count,
            self.x,
            self.y,
            idx,
            self.plan,
            self.lr_t,
        )

    def state_dict(self) -> dict[str, Any]:
        """The layout of ``torch.optim.Adam.state_dict()``, so checkpoints read alike."""
        state = {
            i: {"step": self.step_count.clone(), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
            for i, (m, v) in enumerate(zip(self.exp_avg, self.exp_avg_sq, strict=True))
        }
        group = {"lr": self.lr, "betas": BETAS, "eps": EPS, "params": list(state)}
        return {"state": state, "param_groups": [group]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        with torch.no_grad():
            for i, (m, v) in enumerate(zip(self.exp_avg, self.exp_avg_sq, strict=True)):
                saved = state["state"].get(i)
                if saved is None:  # an optimizer that had not stepped yet
                    m.zero_()
                    v.zero_()
                    continue
                m.copy_(saved["exp_avg"])
                v.copy_(saved["exp_avg_sq"])
            steps = [float(s["step"]) for s in state["state"].values()]
            self.step_count.fill_(steps[0] if steps else 0.0)

    def tensors(self) -> list[Tensor]:
        return [*self.params, *self.exp_avg, *self.exp_avg_sq, self.step_count]


def adam_step(
    params: Params,
    exp_avg: Sequence[Tensor],
    exp_avg_sq: Sequence[Tensor],
    step_count: Tensor,
    x: Tensor,
    y: Tensor,
    idx: Tensor,
    plan: StackPlan,
    lr: float | Tensor,
) -> None:
    """Gradient of :func:`batch_loss` by ``torch.func.grad``, then Adam, all in place.

    Adam as ``torch.optim.Adam`` computes it (Kingma & Ba with bias corrections; no weight decay,
    no amsgrad): m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2;
    p <- p - lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
    """
    grads = torch.func.grad(batch_loss)(params, x, y, idx, plan, True)
    b1, b2 = BETAS
    with torch.no_grad():
        step_count.add_(1)
        step_size = lr / (1 - torch.pow(b1, step_count))
        root_correction = torch.sqrt(1 - torch.pow(b2, step_count))
        for p, g, m, v in zip(params, grads, exp_avg, exp_avg_sq, strict=True):
            m.lerp_(g, 1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v.sqrt() / root_correction).add_(EPS)
            p.sub_(m / denom * step_size)


_COMPILED: list[Any] = []
_COMPILING = threading.Lock()


def compiles() -> int:
    """Graphs dynamo has compiled in this process so far (the session reports it)."""
    from torch._dynamo.utils import counters

    return int(counters["stats"]["unique_graphs"])


def _compiled_step() -> Any:
    """:func:`adam_step` through ``torch.compile``, made once per process (dynamo then keeps
    one graph per stack and batch shape: the guards are on shapes).

    Dynamo's settings are per thread (torch >= 2.12), so the recompile limit is raised in every
    thread that asks, not only in the first (the plan runs experiments in threads on CUDA).
    Inductor runs in its deterministic mode: it otherwise benchmarks reduction configs on the
    device at the first run and near-tied winners differ between processes (pytorch#163589),
    so a resumed run or a retried job on CUDA would not give the same numbers. (On CPU inductor
    does not benchmark; the mode changes nothing there.) ``TORCHINDUCTOR_CACHE_DIR`` sets where
    inductor keeps its compiled kernels, so a later run (a new device lease) can start warm.
    """
    import torch._dynamo.config as dynamo_config
    import torch._inductor.config as inductor_config

    dynamo_config.recompile_limit = max(dynamo_config.recompile_limit, RECOMPILE_LIMIT)
    inductor_config.deterministic = True
    with _COMPILING:
        if not _COMPILED:
            _COMPILED.append(torch.compile(adam_step, fullgraph=True, dynamic=False))
    return _COMPILED[0]


def make_step(
    engine: str, params: Params, x: Tensor, y: Tensor, plan: StackPlan, lr: float
) -> Stepper:
    """The stepper of ``engine`` ("eager" or "compiled") over a copy of ``params``."""
    if engine == "eager":
        return EagerStep(params, x, y, plan, lr)
    if engine == "compiled":
        return FunctionalStep(params, x, y, plan, lr)
    raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
