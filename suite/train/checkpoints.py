"""Resumable training: the state of a stack, saved every few epochs, atomically.

A long fixture killed part-way (a scheduler, a cancelled CI job) resumes from its last
checkpoint on the next run and ends with the same numbers as an uninterrupted run: the state
holds the parameters, Adam's moments, every member's batch-order generator and the rows
recorded so far, so nothing is replayed differently. Beside the states, ``elapsed`` keeps the
training seconds spent up to the last save, so an experiment that took several sessions reports
its whole wall time (work redone after the last save is counted once).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch


class Checkpoint:
    """One training stage's state file; ``load`` returns None when there is none (or it is bad)."""

    def __init__(self, path: Path, on_save: Callable[[], None] = lambda: None):
        self.path, self.on_save = path, on_save

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
        self.on_save()


class Checkpoints:
    """The checkpoints of one experiment run (one directory, one file per training stage).

    ``prior_seconds``: the training time earlier processes spent on this run up to their last
    save (0 for a fresh start), read when the object is made, i.e. when the run (re)starts.
    """

    def __init__(self, root: Path):
        self.root = root
        self.opened = time.perf_counter()
        # counted only beside a saved state: with none, training starts over
        has_state = root.is_dir() and any(root.glob("*.pt"))
        self.prior_seconds = _read_seconds(root / ELAPSED) if has_state else 0.0

    def stage(self, name: str) -> Checkpoint:
        return Checkpoint(self.root / f"{name}.pt", on_save=self._record_elapsed)

    def _record_elapsed(self) -> None:
        seconds = self.prior_seconds + time.perf_counter() - self.opened
        tmp = self.root / f".{ELAPSED}.tmp"
        tmp.write_text(f"{seconds:.3f}\n")
        os.replace(tmp, self.root / ELAPSED)

    def clear(self) -> None:
        """Drop them once the finished result is safely in the run cache (or to start over)."""
        shutil.rmtree(self.root, ignore_errors=True)
        self.prior_seconds, self.opened = 0.0, time.perf_counter()


#: The file beside the states that holds the seconds spent up to the last save.
ELAPSED = "elapsed"


def _read_seconds(path: Path) -> float:
    try:
        return max(0.0, float(path.read_text()))
    except (OSError, ValueError):  # none yet, or torn: count from this process on
        return 0.0


def stage(checkpoints: Checkpoints | None, name: str) -> Checkpoint | None:
    """``checkpoints.stage(name)``, or None when the caller runs without checkpoints."""
    return None if checkpoints is None else checkpoints.stage(name)
