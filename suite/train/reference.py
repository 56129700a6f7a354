"""The homework's training in plain PyTorch, one model at a time: read this first.

Every experiment trains MLPs on MNIST tensors with Adam and cross-entropy, batches drawn like
``DataLoader(shuffle=True)``. This loop is that training for one model, nothing more. The
engine (``engine.py``, ``training.py``, ``steps.py``) computes the same thing for many models
at once (widths packed, seeds stacked, data on the device, fused Adam, CUDA graphs), which is
why it is longer; ``suite/tests/train/test_reference.py`` holds it to this loop's numbers. The
seeds are the engine's: ``init_seed`` draws the weights as ``engine.init_params`` does (per
layer, from ``derive_seed(init_seed, layer)``), ``data_seed`` the batch order of every epoch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from suite.train.engine import CLASSES, IN_FEATURES, derive_seed


def mlp(hidden: Sequence[int], init_seed: int) -> nn.Sequential:
    """784 -> hidden... -> 10 with ReLUs, initialized as ``nn.Linear`` does, from the seed."""
    sizes = [IN_FEATURES, *hidden, CLASSES]
    layers: list[nn.Module] = []
    for layer, (fan_in, fan_out) in enumerate(pairwise(sizes)):
        g = torch.Generator().manual_seed(derive_seed(init_seed, layer))
        bound = 1.0 / math.sqrt(fan_in)
        linear = nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            linear.weight.copy_(torch.empty(fan_in, fan_out).uniform_(-bound, bound, generator=g).T)
            linear.bias.copy_(torch.empty(fan_out).uniform_(-bound, bound, generator=g))
        layers += [linear, nn.ReLU()]
    return nn.Sequential(*layers[:-1])  # no ReLU on the logits


def batches(n: int, batch_size: int, data_seed: int, epochs: int) -> Iterator[Tensor]:
    """Row indices of every batch: each epoch a fresh permutation, the last batch shorter."""
    g = torch.Generator().manual_seed(data_seed)
    for _ in range(epochs):
        yield from torch.randperm(n, generator=g).split(batch_size)


def train(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    batch_size: int,
    lr: float,
    epochs: int,
    data_seed: int,
) -> nn.Module:
    """Adam on the mean cross-entropy of each batch, ``epochs`` passes over (x, y)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for rows in batches(len(x), batch_size, data_seed, epochs):
        loss = F.cross_entropy(model(x[rows]), y[rows])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


@torch.no_grad()
def evaluate(model: nn.Module, x: Tensor, y: Tensor) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` on (x, y), in one pass."""
    logits = model(x)
    return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).sum().item() / len(y)
