"""One Adam step of a stack, in the engine's two modes, and the loss both differentiate.

``eager`` is PyTorch as written: autograd and the fused Adam kernel of
``torch.optim.Adam(fused=True)``, one kernel launch per operation.

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
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor

from suite.train.engine import Params, forward, take_rows
from suite.train.layouts import StackPlan

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
    xb = take_rows(x, rows if plan.grouped else member_rows)
    logits = forward(params, xb) if plan.packing is None else plan.packing.forward(params, xb)
    if not masked:
        return F.cross_entropy(logits.flatten(0, 1), yb.flatten(), reduction="sum") / idx.shape[1]
    ce = F.cross_entropy(logits.flatten(0, 1), yb.flatten(), reduction="none")
    weight = valid.to(ce.dtype)
    return (ce.view(-1, idx.shape[1]) * weight).sum() / weight.sum()


class Stepper(Protocol):
    """One optimizer step of a stack on a batch ``idx`` (U, B); state lives in the stepper."""

    params: Params  # in the training layout (see WidthPacking)

    def __call__(self, idx: Tensor) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    def tensors(self) -> list[Tensor]:
        """Every tensor a step mutates (for a warm-up that must leave no trace)."""
        ...


class AdamState:
    """Adam's moments and step count in tensors allocated once, saved and loaded in the layout of
    ``torch.optim.Adam.state_dict()`` (so checkpoints of either engine mode read alike, and
    those written by ``torch.optim.Adam`` before these classes load too)."""

    params: Params
    lr: float

    def _allocate(self, step_dtype: torch.dtype) -> None:
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.step_count = torch.zeros((), dtype=step_dtype, device=self.params[0].device)

    def state_dict(self) -> dict[str, Any]:
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
        """Every tensor a step mutates (for a warm-up that must leave no trace)."""
        return [*self.params, *self.exp_avg, *self.exp_avg_sq, self.step_count]


class EagerStep(AdamState):
    """Autograd, then the kernel ``torch.optim.Adam(fused=True)`` runs, called directly.

    The same numbers as ``loss.backward()`` and ``Adam(fused=True).step()`` to the bit (a test
    holds it), without their Python per step (``.grad`` fields to zero and accumulate into,
    ``Optimizer.step``'s hooks and grouping by device and dtype): random labels' step 1.13-1.17x
    faster on 2 CPU cores. The step count is one float32 tensor, as Adam keeps per parameter.
    """

    def __init__(self, params: Params, x: Tensor, y: Tensor, plan: StackPlan, lr: float):
        self.params = [p.detach().clone().requires_grad_(True) for p in params]
        self.x, self.y, self.plan, self.lr = x, y, plan, lr
        self._allocate(torch.float32)

    def __call__(self, idx: Tensor) -> None:
        loss = batch_loss(self.params, self.x, self.y, idx, self.plan)
        # the fused kernel reads a gradient as laid out like its parameter; autograd may return
        # one in another layout (a view of a grouped layer's output), as .backward() would not
        grads = [g.contiguous() for g in torch.autograd.grad(loss, self.params)]
        fused_adam(self, grads)


def fused_adam(state: AdamState, grads: Sequence[Tensor]) -> None:
    """One step of the kernel ``torch.optim.Adam(fused=True)`` runs, on ``state``'s parameters
    and moments in place (the eager step's update; a generic model's stack takes the same)."""
    with torch.no_grad():
        state.step_count.add_(1)
        torch._fused_adam_(
            state.params,
            list(grads),
            state.exp_avg,
            state.exp_avg_sq,
            [],
            [state.step_count] * len(state.params),
            amsgrad=False,
            lr=state.lr,
            beta1=BETAS[0],
            beta2=BETAS[1],
            weight_decay=0.0,
            eps=EPS,
            maximize=False,
            grad_scale=None,
            found_inf=None,
        )


class FunctionalStep(AdamState):
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
        self._allocate(torch.float64)
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
