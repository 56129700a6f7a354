"""Everything a CUDA machine has to show, in one command, with timings.

    python -m suite.benchmarks.gpu_check [--out DIR] [--skip-paper]

1. The CUDA tests (``-m "not benchmark"`` tests that need a GPU, plus the engine's and the
   replay's tests, which compare the modes there): CUDA-graph replay, compiled == eager.
2. The speed benchmark in both engine modes (``pytest suite/ -m benchmark``), JSON kept.
3. The paper profile's per-stack step times, eager and compiled + CUDA graphs
   (``suite.benchmarks.project_paper``).
4. The ``paper`` profile, every claim, with its report (``pytest suite/ -m generalization
   --gen-profile paper``), wall time measured.

Each stage's output goes to DIR (default reports/gpu-check) and a summary.json of exit codes
and wall times; a failing stage does not stop the next one. Refuses to run without CUDA.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch

from suite.stability import pytest_command


def stages(out: Path, skip_paper: bool) -> list[tuple[str, list[str]]]:
    py = sys.executable
    found = [
        (
            "cuda-tests",
            [
                py,
                "-m",
                "pytest",
                "-q",
                "-rs",
                "suite/tests/train/test_replay.py",
                "suite/tests/train/test_steps.py",
                "suite/tests/run/test_plan.py",
                "suite/tests/train/test_engine.py",
                "-p",
                "no:cacheprovider",
            ],
        ),
        (
            "benchmark",
            [
                py,
                "-m",
                "pytest",
                "suite/",
                "-m",
                "benchmark",
                "-q",
                "-s",
                "-p",
                "no:xdist",
                f"--benchmark-json={out / 'benchmark.json'}",
            ],
        ),
        ("project-eager", [py, "-m", "suite.benchmarks.project_paper", "--engine", "eager"]),
        ("project-compiled", [py, "-m", "suite.benchmarks.project_paper", "--engine", "compiled"]),
    ]
    if not skip_paper:
        paper = out / "paper"
        junit = f"--junitxml={paper / 'junit.xml'}"
        found.append(
            ("paper", pytest_command("paper", 0, paper / "index.html", ["-q", "-rs", junit]))
        )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports/gpu-check"))
    parser.add_argument("--skip-paper", action="store_true")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("gpu_check: no CUDA device on this machine", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "stages": {}}
    for name, command in stages(args.out, args.skip_paper):
        print(f"gpu_check: {name}: {' '.join(command)}", flush=True)
        start = time.perf_counter()
        with open(args.out / f"{name}.log", "w") as log:
            rc = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT)
        seconds = time.perf_counter() - start
        summary["stages"][name] = {"exit_code": rc, "seconds": round(seconds, 1)}
        tail = (args.out / f"{name}.log").read_text().splitlines()[-6:]
        print(f"gpu_check: {name}: exit {rc} in {seconds:.1f} s", *tail, sep="\n  ", flush=True)
        (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    return max((s["exit_code"] for s in summary["stages"].values()), default=0)


if __name__ == "__main__":
    sys.exit(main())
