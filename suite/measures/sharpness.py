"""Sharpness (Keskar et al. 2017): how much the loss can rise within a small box around a minimum.

The box is the full parameter space, scaled per coordinate: |delta_i| <= eps * (|theta_i| + 1),
so large weights may move more than small ones and zero weights still move by eps. Sharpness is
the relative rise of the loss at the worst point of the box, in percent::

    sharpness = 100 * (max_{delta in box} L(theta + delta) - L(theta)) / (1 + L(theta))

Keskar et al. find the maximum with L-BFGS-B; here it is projected sign-gradient ascent: each
step moves every coordinate by ``step_size * radius_i`` in the direction of its gradient and
clamps it back into the box. For a loss that is convex along each coordinate the maximum sits
at a corner of the box, which sign steps reach in ``ceil(1 / step_size)`` steps; in general the
ascent finds a lower bound of the maximum, the largest loss met along the way (the start counts,
so sharpness is never negative).

Works on a stack (``suite.train.engine``): the loss is per member, the ascent is per member, every
member of an M-stack in the same kernels. The members must not be zero-padded (the width sweep's
padding would be perturbed into real units), which holds for stacks of one architecture.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from suite.train.engine import Params, forward

#: Maps stacked parameters to one loss per member, shape (M,).
StackLoss = Callable[[Params], Tensor]


def box_radius(params: Params, eps: float) -> Params:
    """Per-coordinate half-widths eps * (|theta_i| + 1) of the box around ``params``."""
    return [eps * (p.detach().abs() + 1) for p in params]


def max_in_box(
    loss: StackLoss,
    params: Params,
    *,
    eps: float,
    steps: int,
    step_size: float,
    gradients: list[Tensor] | None = None,
) -> tuple[Tensor, Tensor]:
    """(loss at ``params``, largest loss found in the box), each of shape (M,).

    Projected sign-gradient ascent from the centre: ``steps`` steps of ``step_size`` times the
    box radius per coordinate. The loss is evaluated at the centre, before every step and after
    the last one, and the largest value per member is kept. ``gradients``, if given, receives
    the first step's gradient (:func:`ascent_probe`).
    """
    if eps < 0 or not math.isfinite(eps):
        raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
    if steps < 0 or step_size <= 0:
        raise ValueError(f"need steps >= 0 and step_size > 0, got {steps!r}, {step_size!r}")
    centre = [p.detach() for p in params]
    radius = box_radius(centre, eps)
    delta = [torch.zeros_like(p) for p in centre]
    with torch.no_grad():
        base = loss(centre).detach()
    best = base.clone()
    for _ in range(steps):
        point = [(c + d).requires_grad_(True) for c, d in zip(centre, delta, strict=True)]
        value = loss(point)
        grads = torch.autograd.grad(value.sum(), point)
        if gradients is not None and not gradients:
            gradients.extend(grads)
        best = torch.maximum(best, value.detach())
        with torch.no_grad():
            delta = [
                torch.clamp(d + step_size * r * g.sign(), -r, r)
                for d, r, g in zip(delta, radius, grads, strict=True)
            ]
    with torch.no_grad():
        best = torch.maximum(best, loss([c + d for c, d in zip(centre, delta, strict=True)]))
    return base, best


def ascent_probe(loss: StackLoss, params: Params, *, eps: float, step_size: float) -> list[Tensor]:
    """Every computation :func:`max_in_box` repeats, once: a one-step ascent with the
    gradient it took at the centre. What the thread check beside a busy core
    (:func:`suite.train.fitting.fitting_load`) compares across thread counts instead of the whole
    ascent, at a fraction of its cost: the steps differ only in their values, so a kernel whose
    bits depend on the thread count shows at the first. The gradient is part of the result
    because the ascent keeps only its sign, which would hide a difference in its last bits."""
    grads: list[Tensor] = []
    base, best = max_in_box(loss, params, eps=eps, steps=1, step_size=step_size, gradients=grads)
    return [base, *grads, best]


def relative_increase(base: Tensor, peak: Tensor) -> Tensor:
    """Keskar et al.'s sharpness from the loss at the centre and the largest loss in the box."""
    return 100.0 * (peak - base) / (1.0 + base)


def cross_entropy_of_stack(x: Tensor, y: Tensor, model: Any = None) -> StackLoss:
    """The mean cross-entropy of every member on (``x``, ``y``); ``y`` is (N,) or (M, N).
    ``model``: the stack's (``suite.train.models``, in evaluation mode); None: the MLP."""

    def loss(params: Params) -> Tensor:
        logits = forward(params, x) if model is None else model.forward(params, x, train=False)
        labels = y.expand(logits.shape[0], -1) if y.dim() == 1 else y
        return F.cross_entropy(logits.transpose(1, 2), labels, reduction="none").mean(1)

    return loss


def sharpness(
    params: Params,
    x: Tensor,
    y: Tensor,
    *,
    eps: float,
    steps: int,
    step_size: float,
    model: Any = None,
) -> Tensor:
    """Epsilon-sharpness (percent) of every member of a stack on the points (``x``, ``y``).

    ``x`` is a fixed set of training points (the caller states which); float64, shape (M,).
    """
    base, peak = max_in_box(
        cross_entropy_of_stack(x, y, model), params, eps=eps, steps=steps, step_size=step_size
    )
    return relative_increase(base.double(), peak.double())
