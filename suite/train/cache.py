"""A content-addressed run cache: an experiment trains once per configuration, ever.

The key hashes everything the numbers depend on: the experiment's settings, the seed ids (so the
seed base and count), the dataset checksum, the device's name, the engine mode, the CPU threads
(they decide summation orders), torch's version and the code itself
(:func:`suite.train.source.code_digest`: every module an experiment runs, without its comments
and docstrings), so an entry can never stand in for a result of other code. An entry is a
directory holding ``result.json`` (frames, config, timings), ``weights.pt`` (final parameters of
every trained stack, read back with ``torch.load(weights_only=True)``) and ``manifest.json``
(the SHA-256 of each). It is written under a temporary name and renamed into place, so a crash
never leaves a half entry that looks whole, and an entry it replaces is kept until the new one
is in place. A file lock per key makes parallel workers train once: the first trains, the
others wait and read.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from filelock import FileLock

from suite.train.frames import ExperimentResult
from suite.train.source import code_digest

RESULT = "result.json"  # frames, config, timings (ExperimentResult.to_payload)
WEIGHTS = "weights.pt"  # final parameters per stage, members in the experiment's order
TRAININGS_LOG = "trainings.log"


class CacheWarning(UserWarning):
    """A cache entry could not be used; the experiment is recomputed."""


def cache_key(
    name: str,
    config: dict[str, Any],
    seed_ids: Sequence[int],
    dataset: str,
    device: str,
    engine: str = "eager",
    threads: int | None = None,
    outside: str = "",
) -> str:
    """The entry of ``name`` trained with ``config`` on the seeds ``seed_ids`` (``SeedSet.ids``).

    ``device`` is the device's name (``suite.train.training.device_name``: the GPU or CPU model), so
    numbers from two processors, or from the two engine modes, never stand in for each other;
    ``threads`` the CPU threads it trains with (None on a GPU); ``outside`` the digest of the
    user code it runs (``suite.train.source.outside_code``), "" for the homework's own.
    """
    blob = json.dumps(
        {
            "name": name,
            "config": config,
            "seeds": [int(i) for i in seed_ids],
            "dataset": dataset,
            "device": device,
            "engine": engine,
            "threads": threads,
            "torch": torch.__version__,
            "code": code_digest(),
            **({"outside": outside} if outside else {}),
        },
        sort_keys=True,
    )
    return f"{name}-{hashlib.sha256(blob.encode()).hexdigest()[:20]}"


class RunCache:
    """Get-or-compute of :class:`ExperimentResult` by key, safe across processes and crashes."""

    def __init__(self, root: Path):
        self.root = root

    def get_or_run(
        self, key: str, compute: Callable[[], ExperimentResult], *, fresh: bool = False
    ) -> tuple[ExperimentResult, bool]:
        """The cached result of ``key`` or a newly computed one; the flag says whether cached."""
        self.root.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.root / f"{key}.lock")):
            self._finish_interrupted_write(key)
            if not fresh:
                cached = self._read(key)
                if cached is not None:
                    return cached, True
            result = compute()
            self._write(key, result)
            with open(self.root / TRAININGS_LOG, "a") as log:
                log.write(f"{key} pid={os.getpid()}\n")
            return result, False

    def holds(self, key: str) -> bool:
        """Whether ``key`` has an entry (not checked for damage: ``get_or_run`` does that)."""
        return (self.root / key / RESULT).is_file()

    def _read(self, key: str) -> ExperimentResult | None:
        entry = self.root / key
        if not entry.exists():
            return None
        try:
            manifest = json.loads((entry / "manifest.json").read_text())
            files = {name: (entry / name).read_bytes() for name in manifest}
            for name, blob in files.items():
                if hashlib.sha256(blob).hexdigest() != manifest[name]:
                    raise ValueError(f"checksum mismatch in {name}")
            result = ExperimentResult.from_payload(json.loads(files[RESULT]))
            if WEIGHTS in files:
                result.weights = torch.load(io.BytesIO(files[WEIGHTS]), weights_only=True)
            return result
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError) as exc:
            warnings.warn(
                f"run cache entry {entry} is corrupt ({exc}); recomputing",
                CacheWarning,
                stacklevel=2,
            )
            shutil.rmtree(entry, ignore_errors=True)
            return None

    def _write(self, key: str, result: ExperimentResult) -> None:
        """Write the entry under a temporary name, then move it into place.

        An entry already there (a ``--gen-fresh`` rerun) is renamed aside and deleted only once
        the new one is in place, so a failing write (a full disk) leaves the old entry as it
        was, and a crash between the two renames leaves it aside, where
        :meth:`_finish_interrupted_write` puts it back.
        """
        files = {RESULT: json.dumps(result.to_payload()).encode()}
        if result.weights:
            buffer = io.BytesIO()
            torch.save(result.weights, buffer)
            files[WEIGHTS] = buffer.getvalue()
        final, aside = self.root / key, self._aside(key)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.new-", dir=self.root))
        try:
            for name, blob in files.items():
                (tmp / name).write_bytes(blob)
            manifest = {name: hashlib.sha256(blob).hexdigest() for name, blob in files.items()}
            (tmp / "manifest.json").write_text(json.dumps(manifest))
            if final.exists():
                os.replace(final, aside)
            os.replace(tmp, final)
        except BaseException:
            self._finish_interrupted_write(key)
            raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(aside, ignore_errors=True)

    def _aside(self, key: str) -> Path:
        return self.root / f".{key}.old"

    def _finish_interrupted_write(self, key: str) -> None:
        """Settle what a write of ``key`` that died midway left (the caller holds its lock):
        half-written temporary entries are deleted, and an entry renamed aside goes back into
        place if no new one replaced it, or is deleted if one did."""
        for tmp in self.root.glob(f".{key}.new-*"):
            shutil.rmtree(tmp, ignore_errors=True)
        aside = self._aside(key)
        if not aside.exists():
            return
        if (self.root / key).exists():
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(aside, self.root / key)
