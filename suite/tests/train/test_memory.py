"""Keeping freed memory changes where a step's buffers live, never what training computes."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

_TRAIN = """
import sys, torch
from suite.train import memory
from suite.train.engine import Member
from suite.train.training import train
print("kept", memory.keep_freed_memory())
g = torch.Generator().manual_seed(0)
x, y = torch.rand(600, 784, generator=g), torch.randint(0, 10, (600,), generator=g)
members = [Member((w, w), 10 + w, 7) for w in (8, 16)]
params = train(members, x, y, batch_size=100, lr=3e-3, epochs=2)
torch.save(params, sys.argv[1])
"""

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def _train(path, keep: str) -> str:
    env = {**os.environ, "GEN_KEEP_FREED_MEMORY": keep}
    out = subprocess.run(
        [sys.executable, "-c", _TRAIN, str(path)], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_training_is_bit_identical_with_and_without_kept_memory(tmp_path):
    import torch

    kept = _train(tmp_path / "kept.pt", "1")
    freed = _train(tmp_path / "freed.pt", "0")
    assert kept == f"kept {GLIBC}"
    assert freed == "kept False"  # the environment switch turns it off
    a, b = torch.load(tmp_path / "kept.pt"), torch.load(tmp_path / "freed.pt")
    assert all(torch.equal(p, q) for p, q in zip(a, b, strict=True))


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_the_engine_keeps_freed_memory_on_glibc():
    import suite.train.engine  # noqa: F401  (sets it at import)
    from suite.train import memory

    assert memory.keep_freed_memory() is (os.environ.get(memory.ENV, "1") != "0")
