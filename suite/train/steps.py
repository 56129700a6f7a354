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

from suite.train.engine import Params, forward

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
class FirstLayerPacking:
    """The first layer of a grouped stack stored with its real columns only.

    A width stack pads every member to the widest (90 units), so side by side a group's first
    layer is 784 x 900 of which 784 x 455 are real. Training keeps that layer packed, (G, 784, R)
    and (G, R), so the forward and backward multiply only real columns and Adam updates only
    real weights; :meth:`unpack` gives back the padded layout every other function reads.
    """

    real: Tensor  # (R,) positions of the real columns in a group's side-by-side layout
    groups: int
    per_group: int
    width: int  # the padded width of the first hidden layer

    def pack(self, params: Params) -> Params:
        w, b = params[0], params[1]
        g, pg, d_in, h = self.groups, self.per_group, w.shape[1], self.width
        wide = w.reshape(g, pg, d_in, h).permute(0, 2, 1, 3).reshape(g, d_in, pg * h)
        return [
            wide.index_select(2, self.real).contiguous(),
            b.reshape(g, pg * h).index_select(1, self.real).contiguous(),
            *params[2:],
        ]

    def unpack(self, params: Params) -> Params:
        wp, bp = params[0], params[1]
        g, pg, h = self.groups, self.per_group, self.width
        d_in = wp.shape[1]
        wide = wp.new_zeros(g, d_in, pg * h).index_copy(2, self.real, wp)
        w = wide.reshape(g, d_in, pg, h).permute(0, 2, 1, 3).reshape(g * pg, d_in, h)
        b = bp.new_zeros(g, pg * h).index_copy(1, self.real, bp).reshape(g * pg, h)
        return [w, b, *params[2:]]

    def layer(self, x: Tensor, wp: Tensor, bp: Tensor) -> Tensor:
        """(G, B, 784) -> (M, B, H): the real columns' product, placed in the padded layout."""
        g, batch = x.shape[0], x.shape[1]
        h = torch.bmm(x, wp) + bp.unsqueeze(1)
        wide = h.new_zeros(g, batch, self.per_group * self.width).index_copy(2, self.real, h)
        out = wide.view(g, batch, self.per_group, self.width).permute(0, 2, 1, 3)
        return out.reshape(g * self.per_group, batch, self.width)


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
    packing: FirstLayerPacking | None

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


def _forward_grouped(params: Params, xg: Tensor, packing: FirstLayerPacking | None) -> Tensor:
    if packing is None:
        return forward(params, xg)
    h = torch.relu(packing.layer(xg, params[0], params[1]))
    return forward(params[2:], h)


class Stepper(Protocol):
    """One optimizer step of a stack on a batch ``idx`` (U, B); state lives in the stepper."""

    params: Params  # in the training layout (see FirstLayerPacking)

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
