"""Datasets by name: what the experiments train and test on (``--gen-dataset``, default MNIST).

A dataset is the splits as tensors on a device, with a name, a class count and a checksum of
the data (which keys the run cache): :class:`Dataset` says what the experiments read. MNIST is
the built-in one; a user registers another with :func:`register_dataset` (in a conftest.py or
the test file that uses it) and picks it with ``--gen-dataset NAME``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

Progress = Callable[[str], None]


class Dataset(Protocol):
    """Images as (N, features) float tensors and labels as int64 (N,) in 0..classes-1, for each
    split; ``name`` and ``classes`` say what it is (the experiments read the class count)."""

    name: str
    classes: int
    train_x: Any
    train_y: Any
    val_x: Any
    val_y: Any
    test_x: Any
    test_y: Any
    checksum: str  # of the data itself: two datasets with one checksum are one dataset

    @property
    def device(self) -> Any: ...

    def to(self, device: Any) -> Dataset: ...


#: (root or None, device, progress) -> the dataset on that device.
Loader = Callable[[Path | None, str, Progress | None], Dataset]


def _mnist(root: Path | None, device: str, progress: Progress | None) -> Dataset:
    from suite.data.splits import load_mnist  # torch: only when data is loaded

    return load_mnist(root, device=device, progress=progress)


_LOADERS: dict[str, Loader] = {"mnist": _mnist}


def register_dataset(name: str, loader: Loader) -> Loader:
    """Make ``--gen-dataset name`` load ``loader(root, device, progress)``; returns it."""
    known = _LOADERS.get(name)
    if known is not None and known is not loader:
        raise ValueError(f"a dataset named {name!r} is registered already")
    _LOADERS[name] = loader
    return loader


def unregister_dataset(name: str) -> None:
    if name == "mnist":
        raise ValueError("MNIST is the built-in dataset")
    _LOADERS.pop(name, None)


def dataset_loader(name: str) -> Loader | None:
    """The loader registered as ``name`` (None if none is)."""
    return _LOADERS.get(name)


def dataset_names() -> tuple[str, ...]:
    return tuple(_LOADERS)


def load_dataset(
    name: str = "mnist",
    root: Path | None = None,
    device: str = "cpu",
    progress: Progress | None = None,
) -> Dataset:
    """The dataset registered as ``name``, on ``device``."""
    try:
        loader = _LOADERS[name]
    except KeyError:
        raise LookupError(
            f"no dataset named {name!r}; registered: {', '.join(_LOADERS)} "
            "(register yours with suite.register_dataset in a conftest.py or test file)"
        ) from None
    return loader(root, device, progress)
