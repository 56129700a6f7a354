"""The run cache keeps a good entry through failed writes, crashes and corrupt files."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pandas as pd
import pytest

import suite.train.cache
from suite.train.cache import CacheWarning, RunCache
from suite.train.frames import ExperimentResult

KEY = "width_sweep-0123456789abcdef0123"


def result(value: float) -> ExperimentResult:
    frame = pd.DataFrame({"seed": [0, 1], "test_acc": [value, value / 2]})
    return ExperimentResult("width_sweep", "tiny", "cpu", {}, {"epochs": frame}, seconds=1.0)


def cached_value(cache: RunCache) -> float:
    """The entry's value, failing if it is not there (nothing may be computed)."""

    def compute() -> ExperimentResult:
        raise AssertionError("the entry should have been read from the cache")

    got, cached = cache.get_or_run(KEY, compute)
    assert cached
    return float(got.frames["epochs"]["test_acc"][0])


def leftovers(root: Path) -> list[str]:
    """Temporary and set-aside entries (their names start with a dot)."""
    return sorted(p.name for p in root.iterdir() if p.name.startswith("."))


def disk_full(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_an_entry_is_computed_once_then_read(tmp_path):
    cache = RunCache(tmp_path)
    assert cache.get_or_run(KEY, lambda: result(0.5))[1] is False
    assert cached_value(cache) == 0.5
    assert (tmp_path / "trainings.log").read_text().count(KEY) == 1


def test_fresh_replaces_the_entry_and_leaves_nothing_aside(tmp_path):
    cache = RunCache(tmp_path)
    cache.get_or_run(KEY, lambda: result(0.5))
    _, cached = cache.get_or_run(KEY, lambda: result(0.7), fresh=True)
    assert not cached
    assert cached_value(cache) == 0.7
    assert leftovers(tmp_path) == []


def test_a_write_failing_midway_keeps_the_old_entry_and_no_temporary_dirs(tmp_path, monkeypatch):
    cache = RunCache(tmp_path)
    cache.get_or_run(KEY, lambda: result(0.5))
    monkeypatch.setattr(Path, "write_text", disk_full)  # the manifest, after result.json
    with pytest.raises(OSError, match="No space left"):
        cache.get_or_run(KEY, lambda: result(0.7), fresh=True)
    monkeypatch.undo()
    assert leftovers(tmp_path) == []
    assert cached_value(cache) == 0.5


def test_a_failing_final_rename_puts_the_old_entry_back(tmp_path, monkeypatch):
    cache = RunCache(tmp_path)
    cache.get_or_run(KEY, lambda: result(0.5))
    replace = os.replace

    def replace_all_but_the_new_entry(src, dst):
        if Path(src).name.startswith(f".{KEY}.new-"):
            disk_full()
        replace(src, dst)

    monkeypatch.setattr(suite.train.cache.os, "replace", replace_all_but_the_new_entry)
    with pytest.raises(OSError):
        cache.get_or_run(KEY, lambda: result(0.7), fresh=True)
    monkeypatch.undo()
    assert leftovers(tmp_path) == []
    assert cached_value(cache) == 0.5


def test_a_crash_between_the_renames_loses_nothing(tmp_path):
    """What a writer killed after setting the old entry aside leaves: the next run uses it."""
    cache = RunCache(tmp_path)
    cache.get_or_run(KEY, lambda: result(0.5))
    os.replace(tmp_path / KEY, tmp_path / f".{KEY}.old")
    (tmp_path / f".{KEY}.new-crashed").mkdir()
    assert cached_value(cache) == 0.5
    assert leftovers(tmp_path) == []


def test_a_corrupt_entry_warns_and_is_recomputed(tmp_path):
    cache = RunCache(tmp_path)
    cache.get_or_run(KEY, lambda: result(0.5))
    entry = tmp_path / KEY / "result.json"
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0xFF
    entry.write_bytes(bytes(data))
    with pytest.warns(CacheWarning, match="corrupt"):
        _, cached = cache.get_or_run(KEY, lambda: result(0.5))
    assert not cached
    assert cached_value(cache) == 0.5


def test_final_weights_are_kept_and_read_back_exactly(tmp_path):
    import torch

    weights = {"train": [torch.randn(2, 784, 5), torch.randn(2, 5)]}
    cache = RunCache(tmp_path)
    cache.get_or_run(KEY, lambda: ExperimentResult(**{**vars(result(0.5)), "weights": weights}))
    got, cached = cache.get_or_run(KEY, lambda: result(0.9))
    assert cached
    for a, b in zip(got.weights["train"], weights["train"], strict=True):
        assert torch.equal(a, b)


def test_corrupt_weights_are_detected_and_recomputed(tmp_path):
    import torch

    cache = RunCache(tmp_path)
    cache.get_or_run(
        KEY, lambda: ExperimentResult(**{**vars(result(0.5)), "weights": {"s": [torch.ones(3)]}})
    )
    path = tmp_path / KEY / "weights.pt"
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.warns(CacheWarning, match="weights.pt"):
        got, cached = cache.get_or_run(KEY, lambda: result(0.25))
    assert not cached
    assert float(got.frames["epochs"]["test_acc"][0]) == 0.25


def test_the_key_separates_engine_modes_processors_and_thread_counts():
    from suite.train.cache import cache_key
    from suite.train.training import device_name

    args = ("width_sweep", {"epochs": 8}, [1, 2], "sha")
    cpu = device_name("cpu")
    assert cpu.startswith("cpu:") and len(cpu) > 4
    keys = {
        cache_key(*args, cpu, "eager"),
        cache_key(*args, cpu, "compiled"),
        cache_key(*args, "cpu:another model", "eager"),
        cache_key(*args, "cuda:NVIDIA H200", "compiled"),
    }
    keys |= {cache_key(*args, cpu, "eager", 1), cache_key(*args, cpu, "eager", 2)}
    assert len(keys) == 6
    assert cache_key(*args, cpu, "eager") == cache_key(*args, cpu, "eager")
