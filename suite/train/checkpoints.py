"""Resumable training: the state of a stack, saved every few epochs, atomically.

A long fixture killed part-way (a scheduler, a cancelled CI job) resumes from its last
checkpoint on the next run and ends with the same numbers as an uninterrupted run: the state
holds the parameters, Adam's moments, every member's batch-order generator and the rows
recorded so far, so nothing is replayed differently.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch


class Checkpoint:
    """One training stage's state file; ``load`` returns None when there is none (or it is bad)."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        try:
            return torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception:  # a torn or foreign file: start the stage over, never trust it
            self.path.unlink(missing_ok=True)
            return None

    def save(self, state: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                torch.save(state, handle)
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


class Checkpoints:
    """The checkpoints of one experiment run (one directory, one file per training stage)."""

    def __init__(self, root: Path):
        self.root = root

    def stage(self, name: str) -> Checkpoint:
        return Checkpoint(self.root / f"{name}.pt")

    def clear(self) -> None:
        """Drop them once the finished result is safely in the run cache."""
        shutil.rmtree(self.root, ignore_errors=True)


def stage(checkpoints: Checkpoints | None, name: str) -> Checkpoint | None:
    """``checkpoints.stage(name)``, or None when the caller runs without checkpoints."""
    return None if checkpoints is None else checkpoints.stage(name)
