"""The straight line between two stacks of MLPs: its points, and their loss and accuracy.

A point is theta(a) = (1 - a) theta1 + a theta2. Its first layer is linear in ``a``:
x W(a) + b(a) = (1 - a)(x W1 + b1) + a (x W2 + b2). So :func:`evaluate_line` runs the first
layer twice per member, at the two ends, and mixes their outputs for every point, where
evaluating each point's model runs it once per point (51 at the homework's grid). The first
layer, with its 784 inputs, is most of an MLP's arithmetic; evaluating the interpolation
experiment's lines took two thirds of its time before, and beside a busy core it stalled.
The sums run in another order than a point's own model's, so a point's loss and accuracy
agree with evaluating :func:`interpolate`'s stack up to float32 rounding (a test holds them to
it); the mix itself is exact at a = 0 and a = 1. A line's chunk of images is sized from its
own points and widths, not from how many lines run beside it, so a seed's curve is the same
bits whichever other seeds a run holds.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from suite.train.engine import Params, Subsets, forward, take_rows
from suite.train.evaluation import Run, add_scores, fitted_run, on_training_sets

#: Floats of one line's widest activation over a chunk of images (1 MB: 80 images at ci's 51
#: points of 64 units), which sets a chunk's rows: small enough to stay in cache, and to make
#: the first and last chunks a cheap check of the thread counts. ci's test lines (3 seeds, 51
#: points, 10,000 images) took 0.28 / 0.53 s a call at 2 / 1 threads with 2^18 floats a line,
#: 0.30 / 0.60 s with 2^20; a seed's training-set line 0.10 / 0.17 s and 0.09 / 0.17 s.
ACTIVATION_BUDGET = 1 << 18


def interpolate(theta1: Params, theta2: Params, alpha: Tensor) -> Params:
    """Stacked (len(alpha) * M, ...) parameters (1-a) theta1 + a theta2, alpha-major."""
    out = []
    for p1, p2 in zip(theta1, theta2, strict=True):
        a = alpha.to(device=p1.device, dtype=p1.dtype).view(-1, 1, *([1] * (p1.dim() - 1)))
        out.append(((1 - a) * p1.unsqueeze(0) + a * p2.unsqueeze(0)).flatten(0, 1))
    return out


@torch.no_grad()
def evaluate_line(
    theta1: Params,
    theta2: Params,
    alpha: Tensor,
    x: Tensor,
    y: Tensor,
    subsets: Subsets | None = None,
) -> tuple[Tensor, Tensor]:
    """Mean cross-entropy and accuracy of every point of the lines from ``theta1``'s members
    to ``theta2``'s, alpha-major as :func:`interpolate` stacks them: (len(alpha) * M,).

    ``y`` (N,) or (M, N), and ``subsets`` (each member's training set, shared by its line),
    as in :func:`suite.train.evaluation.evaluate`. Beside a busy core it runs at the threads
    the load leaves, where that changes no bit.
    """
    shapes = [tuple(p.shape) for p in theta1]
    if len(theta1) % 2 or shapes != [tuple(p.shape) for p in theta2]:
        raise ValueError("a line runs between two stacks of one MLP's (weight, bias) layers")
    points = alpha.shape[0]
    width = max(p.shape[-1] for p in theta1[::2])  # the widest layer's outputs, logits included
    chunk = max(1, ACTIVATION_BUDGET // (points * width))
    run = fitted_run(lambda ends: _line(ends, alpha))
    return on_training_sets(run, [*theta1, *theta2], x, y, chunk, subsets, points)


def _line(ends: Params, alpha: Tensor) -> tuple[Any, Run]:
    """The evaluation of the lines between ``ends``' two halves (theta1's layers, then
    theta2's) and what sets its shapes."""
    half = len(ends) // 2
    theta1, theta2 = ends[:half], ends[half:]
    rest = interpolate(theta1[2:], theta2[2:], alpha)
    shapes = ("line", alpha.shape[0], [tuple(p.shape) for p in theta1])

    def run(x: Tensor, y: Tensor, rows: Tensor | None, chunk: int) -> tuple[Tensor, Tensor]:
        return _points(theta1[:2], theta2[:2], rest, alpha, x, y, rows, chunk)

    return shapes, run


def _points(
    first1: Params,
    first2: Params,
    rest: Params,
    alpha: Tensor,
    x: Tensor,
    y: Tensor,
    rows: Tensor | None,
    chunk: int,
) -> tuple[Tensor, Tensor]:
    """Every point's scores on ``x[rows]``: the ends' first layers as one GEMM per chunk,
    mixed per point, then the points' own later layers (``rest``, alpha-major)."""
    (w1, b1), (w2, b2) = first1, first2
    m, d_in, h = w1.shape
    points = alpha.shape[0]
    n = x.shape[0] if rows is None else rows.shape[0]
    # Both ends' first layers side by side, (784, 2 M H): theta1's members, then theta2's.
    ends = torch.cat([w1, w2]).permute(1, 0, 2).reshape(d_in, -1)
    ends_bias = torch.cat([b1, b2]).reshape(-1)
    weight = alpha.to(device=x.device, dtype=w1.dtype).view(-1, 1, 1, 1)
    if y.dim() == 2:  # each member's labels, for each of its points
        y = y.repeat(points, 1)
    loss = torch.zeros(points * m, dtype=torch.float64, device=x.device)
    correct = torch.zeros(points * m, dtype=torch.float64, device=x.device)
    index = torch.arange(points * m, device=x.device)
    for start in range(0, n, chunk):
        xb = x[start : start + chunk] if rows is None else take_rows(x, rows[start : start + chunk])
        both = torch.addmm(ends_bias, xb, ends).view(xb.shape[0], 2 * m, h).transpose(0, 1)
        both = both.contiguous()  # (2 M, chunk, H)
        # (1 - a) z1 + a z2 per point; lerp is exact at a = 0 and a = 1
        hidden = torch.lerp(both[:m], both[m:], weight).view(points * m, xb.shape[0], h)
        logits = forward(rest, hidden.relu_()) if rest else hidden
        add_scores(loss, correct, index, logits, y, slice(start, start + chunk))
    return loss / n, correct / n
