"""How much slower an experiment trains while another process keeps one core busy.

    python -m suite.benchmarks.busy_core [--experiment random_labels ... | all] [--profile ci]
        [--env OMP_WAIT_POLICY=PASSIVE ...] [--rounds 3]

A CI runner or a laptop is rarely idle. With OpenMP's default wait policy every parallel region
of a step ends in a barrier that waits for all threads, and a thread whose core another process
holds arrives a scheduler slice late: each region then costs a slice, not its arithmetic. This
tool trains one experiment (its first look's seeds, no cache) in a fresh process, alone and
beside a ``yes > /dev/null``-like busy loop at the same priority, ``--rounds`` times each in
turn, and prints the medians and their ratio. ``--env`` sets variables in the training process
only (OpenMP reads them when torch loads it), so settings can be compared in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass

#: What the training process runs: one experiment's training, timed inside the process, so the
#: interpreter's start and torch's import are not counted.
_CHILD = """
import json, sys, time
from suite.data.splits import load_mnist
from suite.records import experiment_record
from suite.profiles import get_profile
from suite.train.seeds import SeedSet
import torch
name, profile = sys.argv[1], sys.argv[2]
prof = get_profile(profile)
data = load_mnist()
seeds = SeedSet.of(prof.looks_for(name)[0])
t0 = time.perf_counter()
experiment_record(name).train(prof, data, seeds, engine="eager")
print(json.dumps({"seconds": time.perf_counter() - t0, "threads": torch.get_num_threads()}))
"""


@dataclass
class BusyCoreResult:
    experiment: str
    env: dict[str, str]
    threads: int
    alone_s: float
    busy_s: float

    @property
    def ratio(self) -> float:
        return self.busy_s / self.alone_s


def train_once(experiment: str, profile: str, env: dict[str, str]) -> tuple[float, int]:
    """(seconds, torch threads) of one experiment's training in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, experiment, profile],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    return float(found["seconds"]), int(found["threads"])


def busy_loop() -> subprocess.Popen:
    """A process that keeps one core busy at the caller's priority until it is killed."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def measure(experiment: str, profile: str, env: dict[str, str], rounds: int = 3) -> BusyCoreResult:
    """Medians of ``rounds`` runs alone and as many beside a busy core, interleaved so that a
    drift in the machine's speed falls on both."""
    alone, busy, threads = [], [], 0
    for _ in range(rounds):
        seconds, threads = train_once(experiment, profile, env)
        alone.append(seconds)
        loop = busy_loop()
        try:
            busy.append(train_once(experiment, profile, env)[0])
        finally:
            loop.kill()
            loop.wait()
    return BusyCoreResult(
        experiment, env, threads, statistics.median(alone), statistics.median(busy)
    )


def parse_env(pairs: Sequence[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--env takes NAME=VALUE, got {pair!r}")
        env[key] = value
    return env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suite.benchmarks.busy_core")
    parser.add_argument(
        "--experiment", nargs="*", default=["random_labels"], help="experiments (or: all)"
    )
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--env", nargs="*", default=[], help="NAME=VALUE for the training")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    names = args.experiment
    if names == ["all"]:
        from suite.records import experiment_names

        names = list(experiment_names())
    for name in names:
        result = measure(name, args.profile, parse_env(args.env), args.rounds)
        print(
            f"{result.experiment} at {args.profile} ({result.threads} threads, env "
            f"{result.env}): alone {result.alone_s:.1f} s, beside a busy core "
            f"{result.busy_s:.1f} s: {result.ratio:.2f}x",
            flush=True,
        )
        print(json.dumps({**asdict(result), "ratio": result.ratio}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
