"""Sensitivity (Novak et al. 2018): how much the predicted distribution moves with the input.

Defined as the mean over test points of the per-sample Frobenius norm of the Jacobian of the
softmax output with respect to the input, ||d softmax(f(x)) / dx||_F. Not the loss gradient
(that depends on the label) and not summed over samples (that depends on the sample count).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.func import jacrev, vmap

from suite.train.engine import Params
from suite.train.models import Model, as_model, is_mlp


def _softmax_of_one(member: list[Tensor], x: Tensor) -> Tensor:
    h = x
    for i in range(0, len(member), 2):
        h = h @ member[i] + member[i + 1]
        if i + 2 < len(member):
            h = torch.relu(h)
    return torch.softmax(h, dim=-1)


#: Points per vmapped Jacobian: the chunk that the thread check's probe runs one of.
CHUNK = 250


def probe_points(x: Tensor, chunk: int = CHUNK) -> list[Tensor]:
    """The first chunk of ``x`` and its short last one, if any: every Jacobian shape
    :func:`sensitivity` computes on ``x``, for the thread check beside a busy core
    (:func:`suite.train.fitting.fitting_load`); ``[x]`` when that is all of it."""
    n = x.shape[0]
    if n <= chunk:
        return [x]
    return [x[:chunk]] + ([x[n - n % chunk :]] if n % chunk else [])


def sensitivity(
    params: Params, x: Tensor, chunk: int = CHUNK, model: Model | str = "mlp"
) -> Tensor:
    """Mean per-sample ||J||_F of every member of a stack, shape (M,), on the points ``x`` (n, in).

    One ``jacrev`` (one vector-Jacobian product per class) vmapped over samples and over members:
    the whole stack in a few batched kernels instead of a Python loop over models and points.
    ``model``: the stack's model (the MLP by default); any other is differentiated through its
    ``forward`` in evaluation mode (dropout off), the members vmapped inside it.
    """
    if is_mlp(model):
        per_sample = vmap(jacrev(_softmax_of_one, argnums=1), in_dims=(None, 0))
        per_member = vmap(per_sample, in_dims=(0, None))
    else:
        generic = as_model(model)

        def softmax_of_stack(stack: list[Tensor], point: Tensor) -> Tensor:
            logits = generic.forward(stack, point.unsqueeze(0), train=False)  # (M, 1, classes)
            return torch.softmax(logits[:, 0], dim=-1)

        # per sample (M, classes, in); over samples (n, M, classes, in), members first
        over_samples = vmap(jacrev(softmax_of_stack, argnums=1), in_dims=(None, 0))

        def per_member(stack: list[Tensor], points: Tensor) -> Tensor:
            return over_samples(stack, points).transpose(0, 1)

    total = torch.zeros(params[0].shape[0], dtype=torch.float64, device=x.device)
    detached = [p.detach() for p in params]
    for start in range(0, x.shape[0], chunk):
        jac = per_member(detached, x[start : start + chunk])  # (M, n, classes, in)
        total += torch.linalg.matrix_norm(jac, ord="fro").sum(dim=1).double()
    return total / x.shape[0]
