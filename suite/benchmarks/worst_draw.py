"""The claims' training time for the draw that takes longest: every experiment to its cap.

A profile's looks add seeds until an experiment's claims are decided, so how long a run takes
depends on the draw. The longest draw is the one in which no look before the cap decides
anything: every experiment trains all its rounds. This tool trains exactly that, round by
round as the looks would (``SeedSet.rounds``), with no run cache, in this process, and prints
each experiment's seconds and their sum: the bound behind "``ci`` within 5 minutes of claims
for any draw" (DESIGN.md section 3), less the session's fixed costs (pytest's start, data load,
decisions and the report: a few seconds, measured by the claims run itself).

``python -m suite.benchmarks.worst_draw [--profile ci] [--seed-base N] [--only NAME ...]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

from suite.profiles import Profile, get_profile
from suite.records import experiment_names, experiment_record
from suite.train.seeds import SeedSet

Train = Callable[[str, SeedSet], object]


def every_round_to_the_cap(
    profile: Profile, names: Sequence[str], train: Train, base: int = 0
) -> dict[str, float]:
    """Seconds per experiment to train every round of its looks (``train(name, seeds)``)."""
    seconds = {}
    for name in names:
        t0 = time.perf_counter()
        for seeds in SeedSet(base, profile.seeds_for(name)).rounds(profile.looks_for(name)):
            train(name, seeds)
        seconds[name] = time.perf_counter() - t0
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suite.benchmarks.worst_draw")
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--seed-base", type=int, default=0)
    parser.add_argument("--only", nargs="*", choices=experiment_names(), help="these experiments")
    args = parser.parse_args(argv)
    from suite.data.splits import load_mnist  # loads torch: not at import

    profile = get_profile(args.profile)
    data = load_mnist()

    def train(name: str, seeds: SeedSet) -> object:
        return experiment_record(name).train(profile, data, seeds, engine="eager")

    names = args.only or sorted(experiment_names())
    seconds = every_round_to_the_cap(profile, names, train, args.seed_base)
    for name, s in seconds.items():
        print(f"{name}: {s:.1f} s at {profile.seeds_for(name)} seeds {profile.looks_for(name)}")
    print(f"every experiment at its cap: {sum(seconds.values()):.1f} s of training")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
