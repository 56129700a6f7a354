"""The homework's own training style, kept as the speed baseline the engine is measured against.

A torchvision dataset with a per-sample ``ToTensor`` transform, a ``DataLoader`` and one model
at a time: what most homework solutions do, and what costs ~1.5 hours per experiment on an H100.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms


def mlp(hidden: Sequence[int]) -> nn.Sequential:
    sizes = [784, *hidden, 10]
    layers: list[nn.Module] = [nn.Flatten()]
    for a, b in pairwise(sizes):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def homework_loader(
    root: Path, n_train: int, batch_size: int, seed: int, labels: torch.Tensor | None = None
) -> DataLoader:
    """The first ``n_train`` training images, shuffled by ``seed``; ``labels`` (n_train,)
    replaces theirs (random labels)."""
    dataset = datasets.MNIST(root, train=True, download=False, transform=transforms.ToTensor())
    if labels is not None:
        dataset.targets = dataset.targets.clone()
        dataset.targets[:n_train] = labels
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        Subset(dataset, range(n_train)), batch_size=batch_size, shuffle=True, generator=generator
    )


def train_one_at_a_time(
    models: Sequence[nn.Module], loader: DataLoader, lr: float, epochs: int, device: str = "cpu"
) -> int:
    """Train each model alone for ``epochs`` through ``loader``; returns the steps taken."""
    steps = 0
    for model in models:
        model.to(device)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        for _ in range(epochs):
            for images, labels in loader:
                images, labels = images.to(device), labels.to(device)
                loss = F.cross_entropy(model(images), labels)
                opt.zero_grad()
                loss.backward()
                opt.step()
                steps += 1
    return steps
