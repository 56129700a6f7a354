"""Everything a CUDA machine has to show, in stages that fit one device lease.

    python -m suite.benchmarks.gpu_check --pack-data device-data     # here, before the lease
    python -m suite.benchmarks.gpu_check --dry-run                   # any machine: the plan
    python -m suite.benchmarks.gpu_check --out $OUT                  # on the device

A lent device runs for 15 minutes of device time in all and reaches no network, so MNIST
travels with the working tree (``--pack-data``: the four IDX files gzipped, ~11 MB, in a folder
git does not ignore) and every stage has its own time limit (:data:`STAGES`, at most 12 minutes
in all), killed when it runs past it, without stopping the next stage. What comes back is one
folder of at most 8 files: ``summary.json`` (each stage's exit code, seconds, budget and JSON
result), ``stages.log`` (every stage's output), the paper run's ``paper-claims.json`` and
``paper-junit.xml`` (whatever finished in its limit) and ``inductor-cache.tar.gz`` (the compiled
kernels, for the next lease to start warm, when under 16 MiB).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from suite.stability import pytest_command

#: The folder ``--pack-data`` writes by default (at the repository root: carried, not ignored).
PACKED = Path("device-data")
#: The device tool brings back files up to this size.
MAX_FILE = 16 * 2**20


@dataclass(frozen=True)
class Stage:
    name: str
    budget_s: int
    what: str
    command: tuple[str, ...]


def stages(out: Path, work: Path, packed: Path = PACKED) -> list[Stage]:
    """The stages in order; ``work`` holds the data root, stage JSONs and the paper run."""
    py = sys.executable
    gs = (py, "-m", "suite.benchmarks.gpu_stages")
    paper = work / "paper"
    return [
        Stage(
            "env",
            15,
            "Python, torch, triton, CUDA, the device",
            (*gs, "env", str(work / "env.json")),
        ),
        Stage(
            "data",
            20,
            "MNIST unpacked from the carried gzips and verified",
            (
                *gs,
                "data",
                str(work / "data.json"),
                "--packed",
                str(packed),
                "--root",
                str(work / "mnist"),
            ),
        ),
        Stage(
            "cuda-tests",
            150,
            "the unit tests marked cuda (graph replay, compiled == eager, streams)",
            (
                py,
                "-m",
                "pytest",
                "suite/tests",
                "-m",
                "cuda",
                "-q",
                "-rs",
                "-p",
                "no:cacheprovider",
            ),
        ),
        Stage(
            "streams",
            75,
            "8 jobs at once on their own streams == the same 8 one after another, bit for bit",
            (*gs, "streams", str(work / "streams.json")),
        ),
        Stage(
            "stack",
            90,
            "one interpolation stack eager and compiled + graphed: compiles, capture, ms/step",
            (*gs, "stack", str(work / "stack.json")),
        ),
        Stage(
            "determinism",
            60,
            "the compiled, graphed stack in two fresh processes: the same parameters",
            (*gs, "determinism", str(work / "determinism.json")),
        ),
        Stage(
            "paper",
            280,
            "the paper profile's claims, as far as its limit reaches (the run cache resumes it)",
            tuple(
                pytest_command(
                    "paper",
                    0,
                    paper / "index.html",
                    ["-q", "-rs", f"--junitxml={paper / 'junit.xml'}"],
                )
            ),
        ),
    ]


def plan_text(plan: list[Stage]) -> str:
    lines = [
        f"{s.name:12s} {s.budget_s:4d} s  {s.what}\n{'':19s}{' '.join(s.command)}" for s in plan
    ]
    total = sum(s.budget_s for s in plan)
    return "\n".join([*lines, f"{'total':12s} {total:4d} s ({total / 60:.1f} min)"])


def _environment(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["GEN_DATA_ROOT"] = str(work / "mnist")
    env["TORCHINDUCTOR_CACHE_DIR"] = str(work / "inductor-cache")
    return env


#: Seconds a stage past its limit gets after SIGINT (pytest then writes its junit XML and the
#: report plugin its claims.json for what finished) before it is killed.
GRACE_S = 15


def _interruptible() -> None:
    """In a stage's process, before it runs: SIGINT back to its default. A shell's ``cmd &``
    starts its command with SIGINT ignored, and a child inherits that, so a check started in
    the background would have its stages killed at the limit without their reports."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_stage(stage: Stage, env: dict[str, str], log) -> dict:
    """One stage under its time limit (SIGINT at the limit, SIGKILL ``GRACE_S`` later); its
    output appended to ``log``."""
    log.write(f"\n===== {stage.name} ({stage.budget_s} s): {' '.join(stage.command)}\n")
    log.flush()
    start = time.perf_counter()
    proc = subprocess.Popen(
        stage.command, stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=_interruptible
    )
    try:
        rc: int | str = proc.wait(timeout=stage.budget_s)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        rc = "timed out"
    seconds = round(time.perf_counter() - start, 1)
    return {"exit_code": rc, "seconds": seconds, "budget_s": stage.budget_s}


def _bring_back(out: Path, work: Path) -> None:
    paper = work / "paper"
    for source, name in (
        (paper / "claims.json", "paper-claims.json"),
        (paper / "junit.xml", "paper-junit.xml"),
    ):
        if source.is_file():
            shutil.copy(source, out / name)
    cache = work / "inductor-cache"
    if cache.is_dir():
        target = out / "inductor-cache.tar.gz"
        with tarfile.open(target, "w:gz") as tar:
            tar.add(cache, arcname="inductor-cache")
        if target.stat().st_size > MAX_FILE:
            target.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports/gpu-check"))
    parser.add_argument("--packed", type=Path, default=PACKED, help="the carried MNIST gzips")
    parser.add_argument("--dry-run", action="store_true", help="print the stages and budgets")
    parser.add_argument("--pack-data", type=Path, metavar="DIR", help="gzip MNIST into DIR")
    parser.add_argument("--only", nargs="*", help="run only these stages")
    args = parser.parse_args(argv)
    work = Path(tempfile.gettempdir()) / "gen-gpu-check"
    plan = stages(args.out, work, args.packed)
    if args.only:
        plan = [s for s in plan if s.name in args.only]
    if args.dry_run:
        print(plan_text(plan))
        return 0
    if args.pack_data is not None:
        from suite.benchmarks.gpu_stages import pack_data
        from suite.data.mnist import ensure_mnist

        for path in pack_data(ensure_mnist(), args.pack_data):
            print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB)")
        return 0
    import torch

    if not torch.cuda.is_available():
        print(
            "gpu_check: no CUDA device on this machine (--dry-run shows the plan)", file=sys.stderr
        )
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    env = _environment(work)
    summary: dict = {"stages": {}}
    with open(args.out / "stages.log", "w") as log:
        for stage in plan:
            print(f"gpu_check: {stage.name} (limit {stage.budget_s} s)", flush=True)
            result = run_stage(stage, env, log)
            found = work / f"{stage.name}.json"
            if found.is_file():
                result["result"] = json.loads(found.read_text())
            summary["stages"][stage.name] = result
            print(
                f"gpu_check: {stage.name}: {result['exit_code']} in {result['seconds']} s",
                flush=True,
            )
            (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    _bring_back(args.out, work)
    codes = [s["exit_code"] for s in summary["stages"].values()]
    return 0 if all(c == 0 for c in codes) else 1


if __name__ == "__main__":
    sys.exit(main())
