"""MNIST as device-resident tensors, split as in the homework, and the label helpers.

The whole data set is 55 MB as bytes (220 MB as float32): it lives on the training device as
plain tensors and batches are index gathers, never a per-sample DataLoader (design section 5).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from suite.data.idx import Progress, dataset_checksum
from suite.data.mnist import ensure_mnist

TRAIN_SIZE = 55_000
"""The homework trains on the first 55,000 of MNIST's 60,000 training images..."""
VAL_SIZE = 5_000
"""...keeps the remaining 5,000 for validation..."""
TEST_SIZE = 10_000
"""...and tests on the official 10,000."""
NUM_CLASSES = 10
PIXELS = 28 * 28


@dataclass(frozen=True, eq=False)
class MnistSplits:
    """The three splits: images (N, 784) float32 in [0, 1] (pixel / 255), labels int64 in
    0..classes-1.

    Instances are shared through a per-process cache: treat the tensors as read-only (relabel
    with :func:`random_labels` / :func:`corrupt_labels`, which return new tensors).
    ``checksum`` is :func:`suite.data.idx.dataset_checksum` of the files they came from.
    """

    train_x: Tensor
    train_y: Tensor
    val_x: Tensor
    val_y: Tensor
    test_x: Tensor
    test_y: Tensor
    checksum: str
    root: Path
    #: what the data set is called, and how many classes its labels range over (0..classes-1):
    #: what a model or a measure reads instead of assuming MNIST's 10
    name: str = "mnist"
    classes: int = NUM_CLASSES

    @property
    def device(self) -> torch.device:
        return self.train_x.device

    def to(self, device: torch.device | str) -> MnistSplits:
        """The same splits on ``device`` (self when already there)."""
        device = torch.device(device)
        if self.device == device:
            return self
        return MnistSplits(
            *(t.to(device) for t in self.tensors()),
            checksum=self.checksum,
            root=self.root,
            name=self.name,
            classes=self.classes,
        )

    def tensors(self) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        return (self.train_x, self.train_y, self.val_x, self.val_y, self.test_x, self.test_y)


def load_mnist(
    root: Path | str | None = None,
    device: torch.device | str = "cpu",
    progress: Progress | None = None,
) -> MnistSplits:
    """MNIST on ``device``, fetched first if needed (see :func:`suite.data.mnist.ensure_mnist`).

    The files are read once per process and root, and copied to each device once, so any
    number of fixtures can call this cheaply.
    """
    resolved = ensure_mnist(root, progress=progress)
    return _on_device(resolved, dataset_checksum(resolved), _canonical(torch.device(device)))


def _canonical(device: torch.device) -> torch.device:
    """'cuda' and 'cuda:0' are one device; give them one cache entry."""
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device


@functools.lru_cache(maxsize=4)
def _on_device(root: Path, checksum: str, device: torch.device) -> MnistSplits:
    cpu = _read_cpu(root, checksum)
    return cpu.to(device)


@functools.lru_cache(maxsize=2)
def _read_cpu(root: Path, checksum: str) -> MnistSplits:
    """Read through torchvision (its ``.data`` / ``.targets``, no per-sample transforms).

    Keyed on the checksum as well as the root, so replaced files are read again.
    """
    from torchvision.datasets import MNIST

    train = MNIST(str(root), train=True, download=False)
    test = MNIST(str(root), train=False, download=False)
    train_x, test_x = _as_float(train.data), _as_float(test.data)
    train_y, test_y = train.targets.long(), test.targets.long()
    return MnistSplits(
        train_x=train_x[:TRAIN_SIZE],
        train_y=train_y[:TRAIN_SIZE],
        val_x=train_x[TRAIN_SIZE:],
        val_y=train_y[TRAIN_SIZE:],
        test_x=test_x,
        test_y=test_y,
        checksum=checksum,
        root=root,
    )


def _as_float(images: Tensor) -> Tensor:
    return images.reshape(len(images), PIXELS).to(torch.float32).div_(255.0)


def class_counts(y: Tensor, num_classes: int = NUM_CLASSES) -> list[int]:
    """How many labels of each class, classes 0..num_classes-1."""
    return torch.bincount(y.flatten().cpu(), minlength=num_classes).tolist()


def random_labels(y: Tensor, seed: int, num_classes: int = NUM_CLASSES) -> Tensor:
    """Labels drawn uniformly at random, independent of ``y`` (homework section 1).

    Drawn on the CPU with their own generator so that a seed gives the same labels on every
    device and does not disturb the global RNG; returned on ``y``'s device.
    """
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, num_classes, tuple(y.shape), generator=generator)
    return labels.to(y.device)


def corrupt_labels(y: Tensor, fraction: float, seed: int, num_classes: int = NUM_CLASSES) -> Tensor:
    """A copy of ``y`` in which exactly ``round(fraction * n)`` labels are wrong.

    The positions are a seeded random subset, and each chosen label moves to one of the other
    ``num_classes - 1`` classes uniformly, so the fraction of changed labels is ``fraction``
    exactly (up to rounding), not ``fraction * (1 - 1/num_classes)`` as with plain resampling.
    """
    if not (isinstance(fraction, (int, float)) and 0.0 <= fraction <= 1.0):
        raise ValueError(f"fraction must be in [0, 1], got {fraction!r}")
    if num_classes < 2:
        raise ValueError(f"corrupting labels needs at least 2 classes, got {num_classes}")
    labels = y.detach().to("cpu", torch.int64).flatten().clone()
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}")
    n = labels.numel()
    count = round(fraction * n)
    generator = torch.Generator().manual_seed(seed)
    positions = torch.randperm(n, generator=generator)[:count]
    shift = torch.randint(1, num_classes, (count,), generator=generator)
    labels[positions] = (labels[positions] + shift) % num_classes
    return labels.reshape(y.shape).to(y.device)


def chance_reference(
    true: Tensor, given: Tensor, test: Tensor, num_classes: int = NUM_CLASSES
) -> float:
    """The test accuracy a model trained on ``given`` labels reaches by chance alone.

    A model that memorizes random labels predicts, for an image of class c, the label that
    training images like it carry; with q_c the share of class-c training images whose given
    label is c, and pi_c the share of class c in the test set, the expected test accuracy is
    sum_c pi_c q_c. With 1000 uniformly relabelled images q_c is ~0.1 +- 0.03, so this
    reference moves ~0.01 around 0.1 from seed to seed: the rule compares each seed with its
    own reference instead of with 0.1.
    """
    true, given = true.detach().flatten().cpu(), given.detach().flatten().cpu()
    if true.shape != given.shape:
        raise ValueError(f"true and given labels differ in shape: {true.shape} vs {given.shape}")
    kept = torch.bincount(true[true == given], minlength=num_classes).double()
    q = kept / torch.bincount(true, minlength=num_classes).double().clamp(min=1)
    pi = torch.bincount(test.detach().flatten().cpu(), minlength=num_classes).double()
    return float((pi / pi.sum() * q).sum())
