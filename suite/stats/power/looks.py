"""How often a profile's sequential looks decide a claim: the looks simulated, not assumed.

A claim near its decision line at the first look (an effect the seeds of one set show only
sometimes) flips between sets unless the looks go on to a cap at which it is decided in nearly
every draw. This module draws one data set at the cap's seed count per draw, decides the claim
through its record's own decision on the first ``n`` seeds at each look (at alpha / number of
looks: Bonferroni, as ``suite.run.looks`` does), and stops at the first decided look. What it
reports per (claim, effect, looks): P(SUPPORTED), P(REFUTED), P(INCONCLUSIVE) at the end and
the mean seed count, which is what a stability run of many sets would see.

The effects are those the 20-set stability run at ``ci`` measured (README "How stable are the
verdicts"): ``sensitivity-accuracy``'s within-seed tau about -0.45 over the sets' ~110 seeds
(base 0: -0.33), its per-seed sd about 0.29 (Kendall's own sampling spread over 10 batch sizes
is ~0.25); ``corruption-fit``'s runs missing the 1000-epoch budget in 4 of 20 sets' first 3-6
seeds, about 2% of runs at each of f = 0.8 and 1.0 (simulated pessimistically as 2-6% of the
f = 1 runs alone, where misses add up against one fraction's share).

``python -m suite.stats.power.looks [--draws N]`` prints the table.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from suite.profiles import CI
from suite.stats.power import claims
from suite.stats.power.shared import Draws, Table
from suite.stats.power.trends import corruption_draws, measured_draws
from suite.stats.verdicts import Verdict


@dataclass(frozen=True)
class LooksOutcome:
    """The end of a claim's looks over many draws: verdict shares and mean seeds used."""

    supported: float
    refuted: float
    inconclusive: float
    mean_seeds: float


def first_seeds(table: Table, n: int) -> Table:
    """The rows of the first ``n`` seeds (seed sets extend by prefix)."""
    keep = np.asarray(table["seed"]) < n
    return {k: np.asarray(v)[keep] for k, v in table.items()}


def sequential_outcome(
    claim: str, draws: Draws, looks: Sequence[int], n: int, seed: int = 0
) -> LooksOutcome:
    """``claim`` decided at each of ``looks`` (seed counts) until decided, over ``n`` draws."""
    alpha = claims.CLAIMS[claim].alpha / len(looks)
    rng = np.random.default_rng([seed, *looks])
    counts = {v: 0 for v in Verdict}
    seeds = 0
    for table in draws(rng, n, looks[-1]):
        verdict = Verdict.INCONCLUSIVE
        for m in looks:
            try:
                verdict = claims.decide(claim, first_seeds(table, m), alpha).verdict
            except ValueError:
                verdict = Verdict.INCONCLUSIVE
            if verdict is not Verdict.INCONCLUSIVE:
                break
        counts[verdict] += 1
        seeds += m
    return LooksOutcome(
        supported=counts[Verdict.SUPPORTED] / n,
        refuted=counts[Verdict.REFUTED] / n,
        inconclusive=counts[Verdict.INCONCLUSIVE] / n,
        mean_seeds=seeds / n,
    )


#: (claim, effect in words, draws) at the effects measured at ci.
EFFECTS: tuple[tuple[str, str, Draws], ...] = (
    (
        "sensitivity-accuracy",
        "tau -0.45 (the sets' mean)",
        measured_draws("sensitivity", "test_acc", -0.45, share=0.3),
    ),
    (
        "sensitivity-accuracy",
        "tau -0.33, each seed its own (sd 0.15)",
        measured_draws("sensitivity", "test_acc", -0.33, share=0.3, tau_sd=0.15),
    ),
    *(
        (
            "corruption-fit",
            f"{q:.0%} of f = 1 runs miss the budget",
            corruption_draws(0.72, q, share=0.3),
        )
        for q in (0.02, 0.04, 0.06)
    ),
)

#: The looks compared: ci's, and the ones it had before (3, 6 on both experiments).
LOOKS: dict[str, tuple[tuple[int, ...], ...]] = {
    "batch_sweep": (CI.looks_for("batch_sweep"), (3, 6), (3, 6, 10), (6, 12)),
    "label_corruption": (CI.looks_for("label_corruption"), (3, 6), (6, 10)),
}


def table(n: int) -> list[dict]:
    """Every effect under every compared looks of its experiment."""
    rows = []
    for claim, effect, draws in EFFECTS:
        for looks in LOOKS[claims.experiment_of(claim)]:
            o = sequential_outcome(claim, draws, looks, n)
            rows.append({"claim": claim, "effect": effect, "looks": looks, "outcome": o})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suite.stats.power.looks")
    parser.add_argument("--draws", type=int, default=2000, help="draws per cell (default 2000)")
    args = parser.parse_args(argv)
    print("| claim | effect | looks | supported | refuted | inconclusive | mean seeds |")
    print("|---|---|---|---|---|---|---|")
    for r in table(args.draws):
        o = r["outcome"]
        looks = ", ".join(map(str, r["looks"]))
        print(
            f"| {r['claim']} | {r['effect']} | {looks} | {o.supported:.3f} | {o.refuted:.3f} "
            f"| {o.inconclusive:.3f} | {o.mean_seeds:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
