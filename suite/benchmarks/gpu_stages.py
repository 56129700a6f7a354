"""The measuring stages of ``suite.benchmarks.gpu_check``, one function each, run in their own
process (``python -m suite.benchmarks.gpu_stages STAGE OUT.json``) so that each has its own
time limit and a crash in one leaves the others' results.

- ``env``: Python, torch, triton and CUDA versions, the device.
- ``data``: the MNIST IDX files the working tree carried (gzipped) unpacked and verified.
- ``streams``: 8 jobs of one interpolation-sized stack through the stream executor at once
  (threads, own streams, compiled step and CUDA-graph replay), compared bit for bit with the
  same jobs run one after another.
- ``stack``: one interpolation stack (batch 64, 3x64 MLP, 5 seeds) eager, and compiled with
  CUDA graphs: first call (compile + capture), compiles, ms per step at steady state.
- ``determinism``: the compiled, graphed stack trained in two fresh processes; the SHA-256 of
  the final parameters must agree.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch

from suite.data.idx import IDX_FILES, check_idx_file, raw_dir
from suite.train.engine import Member, derive_seed

#: The stack the stages train: the interpolation experiment's small-batch endpoint.
HIDDEN, BATCH, LR, N_TRAIN, SEEDS = (64, 64, 64), 64, 1e-3, 10_000, 5


def _members(tag: str = "gpu-check") -> list[Member]:
    return [
        Member(HIDDEN, derive_seed(tag, s), derive_seed(f"{tag}/data", s)) for s in range(SEEDS)
    ]


def _data():
    from suite.data.splits import load_mnist

    data = load_mnist(device="cuda")
    return data.train_x[:N_TRAIN], data.train_y[:N_TRAIN]


def _train(epochs: int, engine: str, graphs: bool | None = None, tag: str = "gpu-check"):
    from suite.train.training import train

    x, y = _data()
    params = train(
        _members(tag), x, y, batch_size=BATCH, lr=LR, epochs=epochs, engine=engine, graphs=graphs
    )
    torch.cuda.synchronize()
    return params


def digest(params) -> str:
    """SHA-256 of the parameters' bytes, in order."""
    h = hashlib.sha256()
    for p in params:
        h.update(p.detach().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()


def env() -> dict[str, Any]:
    try:
        import triton

        triton_version = triton.__version__
    except ImportError:
        triton_version = None
    cuda = torch.cuda.is_available()
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "triton": triton_version,
        "cuda": torch.version.cuda,
        "device": torch.cuda.get_device_name(0) if cuda else None,
        "capability": list(torch.cuda.get_device_capability(0)) if cuda else None,
    }


def pack_data(root: Path, out: Path) -> list[Path]:
    """Gzip the four IDX files of ``root`` into ``out`` (what the working tree carries to a
    device machine, which reaches no network): ~11 MB."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in IDX_FILES:
        target = out / f"{spec.name}.gz"
        with open(raw_dir(root) / spec.name, "rb") as src, gzip.open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        written.append(target)
    return written


def unpack_data(packed: Path, root: Path) -> dict[str, Any]:
    """The gzipped IDX files of ``packed`` unpacked into ``root``/MNIST/raw and verified."""
    raw = raw_dir(root)
    raw.mkdir(parents=True, exist_ok=True)
    for spec in IDX_FILES:
        with gzip.open(packed / f"{spec.name}.gz", "rb") as src, open(raw / spec.name, "wb") as dst:
            shutil.copyfileobj(src, dst)
        check_idx_file(raw / spec.name, spec)
    return {"root": str(root), "files": [spec.name for spec in IDX_FILES]}


def streams() -> dict[str, Any]:
    """8 jobs at once through the stream executor against the same 8 one after another."""
    from suite.run.plan import Job, Plan, StreamExecutor

    names = [f"job{k}" for k in range(8)]

    def run(name: str):
        return digest(_train(2, "compiled", tag=name))

    serial = {name: run(name) for name in names}
    executor = StreamExecutor("cuda:0")
    start = time.perf_counter()
    executor.start(Plan(tuple(Job(n, 1) for n in names)), run)
    parallel = {name: executor.result(name) for name in names}
    return {
        "jobs": len(names),
        "identical": parallel == serial,
        "parallel_s": round(time.perf_counter() - start, 2),
        "differing": [n for n in names if parallel[n] != serial[n]],
    }


def stack() -> dict[str, Any]:
    """Eager and compiled+graphed: first call, compiles, steady ms per step."""
    from suite.train.steps import compiles

    steps = -(-N_TRAIN // BATCH)
    out: dict[str, Any] = {"steps_per_epoch": steps}
    for engine in ("eager", "compiled"):
        before = compiles()
        t0 = time.perf_counter()
        _train(1, engine)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        _train(1, engine)
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        _train(3, engine)
        three = time.perf_counter() - t0
        out[engine] = {
            "first_call_s": round(first, 2),
            "setup_per_call_s": round(one - (three - one) / 2, 3),
            "ms_per_step": round((three - one) / 2 / steps * 1e3, 4),
            "compiles": compiles() - before,
        }
    return out


def determinism() -> dict[str, Any]:
    """The same compiled, graphed training in two fresh processes."""
    code = (
        "from suite.benchmarks.gpu_stages import _train, digest; "
        "print(digest(_train(2, 'compiled', graphs=True)))"
    )
    digests = [
        subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout.split()[-1]
        for _ in range(2)
    ]
    return {"digests": digests, "identical": digests[0] == digests[1]}


STAGES = {"env": env, "streams": streams, "stack": stack, "determinism": determinism}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=[*STAGES, "data"])
    parser.add_argument("out", type=Path, help="where the stage's JSON goes")
    parser.add_argument("--packed", type=Path, help="data: the gzipped IDX files")
    parser.add_argument("--root", type=Path, help="data: the data root to unpack into")
    args = parser.parse_args(argv)
    data = args.stage == "data"
    result = unpack_data(args.packed, args.root) if data else STAGES[args.stage]()
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    ok = result.get("identical", True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
