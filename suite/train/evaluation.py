"""Loss and accuracy of every member of a stack on a full set, the stack without its padding.

Evaluation is inference only, so it need not keep the training layout: a width stack is
evaluated at each member's own widths (:func:`unpadded`), and the first layers of all members
run as one GEMM per chunk of images.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from suite.train.engine import (
    Params,
    Subsets,
    forward,
    take,
    take_at_widths,
    take_rows,
    training_sets,
)
from suite.train.fitting import fitting_load, for_copies, signature
from suite.train.models import Model, as_model, is_mlp


@torch.no_grad()
def evaluate(
    params: Params,
    x: Tensor,
    y: Tensor,
    chunk: int = 10_000,
    subsets: Subsets | None = None,
    model: Model | str = "mlp",
) -> tuple[Tensor, Tensor]:
    """Mean cross-entropy and accuracy of every member on a full set; ``y`` is (N,) or (M, N).

    With ``subsets``, each member on its own training set (members that share one are
    evaluated together; ``y`` as in :class:`Subsets`). ``model``: the stack's model (the MLP
    by default, evaluated at its members' own widths; any other in its evaluation mode).
    Beside a busy core it runs at the threads the load leaves, where that changes no bit
    (:func:`suite.train.fitting.fitting_load`).
    """
    run = fitted_run(_mlp if is_mlp(model) else _evaluating(as_model(model)))
    return on_training_sets(run, params, x, y, chunk, subsets)


#: A run of one stack's evaluation on a set: (x, y, rows, chunk) -> (loss, accuracy)
Run = Callable[[Tensor, Tensor, Tensor | None, int], tuple[Tensor, Tensor]]
#: Prepares a stack's evaluation: (what sets its shapes, the run)
Prepare = Callable[[Params], tuple[Any, Run]]
#: A stack's evaluation on a set: (params, x, y, rows, chunk) -> (loss, accuracy)
Fitted = Callable[[Params, Tensor, Tensor, Tensor | None, int], tuple[Tensor, Tensor]]


def on_training_sets(
    run: Fitted,
    params: Params,
    x: Tensor,
    y: Tensor,
    chunk: int,
    subsets: Subsets | None,
    points: int = 1,
) -> tuple[Tensor, Tensor]:
    """``run`` on the whole stack, or with ``subsets`` once per distinct training set on the
    members that share it (``y`` as in :class:`Subsets`).

    ``points``: how many results ``run`` gives per member, points-major (the points of a
    line between two stacks, :mod:`suite.train.lines`); they land points-major as well.
    """
    m = params[0].shape[0]
    if subsets is None:
        return run(params, x, y, None, chunk)
    loss = torch.zeros(points * m, dtype=torch.float64, device=x.device)
    accuracy = torch.zeros(points * m, dtype=torch.float64, device=x.device)
    for members, rows in training_sets(subsets, m):
        with for_copies(x.device):
            index = torch.tensor(members, device=x.device)
            labels = y[index] if y.dim() == 2 else y[rows]
            part = take(params, members)
            at = (torch.arange(points, device=x.device).unsqueeze(1) * m + index).reshape(-1)
        loss[at], accuracy[at] = run(part, x, labels, rows, chunk)
    return loss, accuracy


def fitted_run(prepare: Prepare) -> Fitted:
    """A stack's evaluation at the threads the load leaves, where that changes no bit
    (:func:`suite.train.fitting.fitting_load`), checked once per shape of the evaluation: the
    stack as it is computed (for the MLP, its members' live widths, which :func:`unpadded`
    reads from the values) and the set."""

    def fitted(
        params: Params, x: Tensor, y: Tensor, rows: Tensor | None, chunk: int
    ) -> tuple[Tensor, Tensor]:
        with for_copies(x.device):  # comparisons, counts and copies: exact at any count
            shapes, run = prepare(params)
        key = signature("evaluate", shapes, x, y, rows, chunk)
        pieces = _end_chunks(x, y, rows, chunk)

        def probe() -> list[tuple[Tensor, Tensor]]:
            return [run(*piece, chunk) for piece in pieces or []]

        whole = lambda: run(x, y, rows, chunk)  # noqa: E731
        return fitting_load(key, whole, x.device, probe if pieces else None)

    return fitted


def _mlp(params: Params) -> tuple[Any, Run]:
    """The MLP's evaluation: at its members' own widths, which set its GEMMs' shapes."""
    parts = unpadded(params)
    m = params[0].shape[0]
    shapes = [(len(index), part) for index, part in parts]
    return shapes, lambda x, y, rows, chunk: _evaluate(parts, m, x, y, rows, chunk)


def _end_chunks(
    x: Tensor, y: Tensor, rows: Tensor | None, chunk: int
) -> list[tuple[Tensor, Tensor, Tensor | None]] | None:
    """The first chunk of a set and its short last one, if any, as (x, y, rows) for a run:
    every shape an evaluation of the whole set computes, at a fraction of its cost; None when
    those are the whole set."""
    n = x.shape[0] if rows is None else rows.shape[0]
    if n <= 2 * chunk and (n <= chunk or n % chunk):
        return None
    starts = [0] if n % chunk == 0 else [0, n - n % chunk]
    pieces = []
    for start in starts:
        part = slice(start, min(start + chunk, n))
        if rows is None:
            pieces.append((x[part], y[..., part], None))
        else:
            pieces.append((x, y[..., part], rows[part]))
    return pieces


def _evaluating(model: Model) -> Prepare:
    """:func:`_evaluate` for a model other than the MLP: its forward in evaluation mode."""

    def prepare(params: Params) -> tuple[Any, Run]:
        return (params, model), lambda x, y, rows, chunk: run(params, x, y, rows, chunk)

    def run(
        params: Params, x: Tensor, y: Tensor, rows: Tensor | None, chunk: int
    ) -> tuple[Tensor, Tensor]:
        m = params[0].shape[0]
        n = x.shape[0] if rows is None else rows.shape[0]
        loss = torch.zeros(m, dtype=torch.float64, device=x.device)
        correct = torch.zeros(m, dtype=torch.float64, device=x.device)
        index = torch.arange(m, device=x.device)
        for start in range(0, n, chunk):
            part = slice(start, start + chunk)
            xb = x[part] if rows is None else take_rows(x, rows[part])
            logits = model.forward(params, xb, train=False)
            add_scores(loss, correct, index, logits, y, part)
        return loss / n, correct / n

    return prepare


def _evaluate(
    parts: list[tuple[Tensor, Params]],
    m: int,
    x: Tensor,
    y: Tensor,
    rows: Tensor | None,
    chunk: int,
) -> tuple[Tensor, Tensor]:
    """The ``m`` members of a stack, as :func:`unpadded` parts, on ``x[rows]`` (all of ``x``
    when None), gathered a chunk at a time; ``y`` by position."""
    n = x.shape[0] if rows is None else rows.shape[0]
    loss = torch.zeros(m, dtype=torch.float64, device=x.device)
    correct = torch.zeros(m, dtype=torch.float64, device=x.device)
    # Every part's first layer side by side, (784, R): one GEMM per chunk for the whole stack.
    first = torch.cat([p[0].permute(1, 0, 2).reshape(p[0].shape[1], -1) for _, p in parts], 1)
    first_bias = torch.cat([p[1].reshape(-1) for _, p in parts])
    splits = [p[1].numel() for _, p in parts]
    for start in range(0, n, chunk):
        xb = x[start : start + chunk] if rows is None else take_rows(x, rows[start : start + chunk])
        wide = torch.addmm(first_bias, xb, first)
        if len(parts[0][1]) > 2:
            wide.relu_()  # here, while contiguous: on the parts' strided views it is ~10x slower
        for (index, part), h in zip(parts, wide.split(splits, 1), strict=True):
            h = h.view(xb.shape[0], len(index), -1).transpose(0, 1)
            logits = forward(part[2:], h) if len(part) > 2 else h
            add_scores(loss, correct, index, logits, y, slice(start, start + chunk))
    return loss / n, correct / n


def add_scores(
    loss: Tensor, correct: Tensor, index: Tensor, logits: Tensor, y: Tensor, part: slice
) -> None:
    """Add the members ``index``'s summed cross-entropy and correct count on the chunk ``part``
    of the set (``logits`` (len(index), chunk, classes); ``y`` (N,) shared or (M, N))."""
    yb = y[..., part] if y.dim() == 1 else y[index, part]
    yb = yb.expand(logits.shape[0], -1)
    ce = F.cross_entropy(logits.transpose(1, 2), yb, reduction="none").sum(1).double()
    loss.index_add_(0, index, ce)
    correct.index_add_(0, index, (logits.argmax(-1) == yb).sum(1).double())


def unpadded(params: Params) -> list[tuple[Tensor, Params]]:
    """The stack as sub-stacks of members with equal widths, each without its zero padding:
    (member indices, parameters), for inference.

    A width stack pads every member to the widest (the width sweep: 90 units, of which 35% of
    the 90 x 90 layers are real); evaluated padded, most of its arithmetic multiplies zeros. A
    unit whose incoming weights and bias are all zero outputs relu(0) = 0 whatever the input,
    so dropping it (and its row of the next layer) leaves every logit as it was, up to the
    matmuls' summation order. Padding is always a suffix (:func:`init_params`) and stays zero in
    training (zero gradients), so each member's widths are one past its last live unit.

    CPU only: on a GPU the padded stack is one kernel per layer, the GPU is nowhere near busy
    with it, and finding the widths would cost a host sync per evaluation.
    """
    m, layers = params[0].shape[0], len(params) // 2
    if params[0].device.type != "cpu" or layers < 2:
        return [(torch.arange(m, device=params[0].device), params)]
    live = []
    for i in range(layers - 1):
        w, b = params[2 * i], params[2 * i + 1]
        alive = (w != 0).any(1) | (b != 0)  # (M, H)
        position = torch.arange(1, alive.shape[1] + 1, device=alive.device)
        live.append((alive * position).amax(1))
    widths = torch.stack(live, 1).tolist()
    padded = [p.shape[-1] for p in params[:-2:2]]
    if all(row == padded for row in widths):
        return [(torch.arange(m, device=params[0].device), params)]
    by_widths: dict[tuple[int, ...], list[int]] = {}
    for member, row in enumerate(widths):
        by_widths.setdefault(tuple(row), []).append(member)
    parts = []
    for hidden, members in by_widths.items():
        index = torch.tensor(members, device=params[0].device)
        parts.append((index, take_at_widths(params, members, hidden)))
    return parts
