"""How often the drift test of a comparison (:mod:`suite.stats.drift`) flags a claim that did
not move, and how often it flags one that did (issue 27).

A comparison tests every claim of two runs at once, so the number that matters is the
family-wise false-positive rate: the share of comparisons of two runs of the same code on
disjoint seed sets in which *any* claim is flagged. Each draw makes two runs' seed values
for every claim from one population per claim and compares them exactly as
``python -m suite compare`` does (the per-claim test, then Holm over the claims).

The populations are the claims of a reference run (by default ``reports/reference-ci``): each
claim's seed count, scale, mean and spread. Per scale:

- ``mean``: normal with the claim's mean and sd; a within-seed Kendall tau (a claim whose
  values lie in [-1, 1]) is clipped there, which piles values on the bound as real runs do.
  In the ``skewed`` scenario the values are a lognormal of log-sd 1 instead (skewness 6),
  standardized to the same mean and sd: Welch's t at few seeds on such data is the risk.
- ``log``: lognormal with the log-mean and log-sd of the claim's values.
- ``share``: Bernoulli with the claim's share, kept within [0.1, 0.9] (a share of 1 in both
  runs could never be flagged and would flatter the rate).
A claim with no spread is given a spread of 0.1 (its scale's units) so that it is tested.

Power: one claim moves by a known shift (``mean``: ``shift`` of its sds; ``log``: its values
times exp(``shift`` log-sds); ``share``: from 0.9 to 0.4), the others stay, and the share of
draws that flag it (after Holm over all claims) is its power.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from suite.stats.drift import ALPHA, drift_test, holm
from suite.stats.seed_values import LOG_FLOOR, seed_values

SCENARIOS = ("as measured", "skewed")


@dataclass(frozen=True)
class Population:
    """One claim's seed values as the simulation draws them."""

    claim: str
    scale: str
    n: int
    center: float  # mean (mean), log-mean (log), share (share)
    spread: float  # sd (mean), log-sd (log); unused for share
    bounded: bool = False  # a Kendall tau: clipped to [-1, 1]

    def draw(
        self, rng: np.random.Generator, scenario: str = "as measured", shift: float = 0.0
    ) -> np.ndarray:
        """One run's ``n`` values, the population moved by ``shift`` (see the module doc)."""
        if self.scale == "share":
            p = 0.4 if shift else self.center
            return (rng.random(self.n) < p).astype(float)
        if self.scale == "log":
            return np.exp(rng.normal(self.center + shift * self.spread, self.spread, self.n))
        if scenario == "skewed":
            z = rng.lognormal(0.0, 1.0, self.n)
            z = (z - math.exp(0.5)) / math.sqrt((math.e - 1) * math.e)  # mean 0, sd 1
        else:
            z = rng.normal(0.0, 1.0, self.n)
        x = self.center + self.spread * (z + shift)
        return np.clip(x, -1.0, 1.0) if self.bounded else x


def populations(claims_json: Path) -> list[Population]:
    """Every claim of a claims.json with seed values, as a :class:`Population`."""
    out = []
    for c in json.loads(Path(claims_json).read_text(encoding="utf-8")):
        details = c.get("details") or {}
        found = seed_values(str(details.get("rule", "")), details)
        if found is None or len(found.values) < 2:
            continue
        v = np.asarray(found.values, dtype=float)
        if found.scale == "share":
            center, spread = float(np.clip(v.mean(), 0.1, 0.9)), 0.0
        elif found.scale == "log":
            lv = np.log(np.maximum(v, LOG_FLOOR))
            center, spread = float(lv.mean()), float(lv.std(ddof=1)) or 0.1
        else:
            center, spread = float(v.mean()), float(v.std(ddof=1)) or 0.1
        bounded = "per_seed_tau" in details
        out.append(Population(str(c.get("id")), found.scale, v.size, center, spread, bounded))
    return out


def flagged(
    pops: list[Population],
    rng: np.random.Generator,
    scenario: str = "as measured",
    moved: int | None = None,
    shift: float = 0.0,
    alpha: float = ALPHA,
) -> list[bool]:
    """One simulated comparison: which claims the drift test flags (claim ``moved`` shifted)."""
    ps = []
    for i, pop in enumerate(pops):
        old = pop.draw(rng, scenario)
        new = pop.draw(rng, scenario, shift if i == moved else 0.0)
        ps.append(drift_test(old, new, pop.scale).p)
    return holm(ps, alpha)[1]


def false_positive_rate(
    pops: list[Population], draws: int, scenario: str = "as measured", seed: int = 0
) -> float:
    """The share of comparisons with no claim moved in which some claim is flagged."""
    rng = np.random.default_rng(seed)
    return float(np.mean([any(flagged(pops, rng, scenario)) for _ in range(draws)]))


def power(
    pops: list[Population], moved: int, shift: float, draws: int, seed: int = 0
) -> tuple[float, float]:
    """The share of comparisons that flag claim ``moved`` after a shift of ``shift``, and the
    share that flag some other claim (which did not move)."""
    rng = np.random.default_rng(seed)
    hit = other = 0
    for _ in range(draws):
        f = flagged(pops, rng, moved=moved, shift=shift)
        hit += f[moved]
        other += any(f[:moved] + f[moved + 1 :])
    return hit / draws, other / draws


def mc_se(rate: float, draws: int) -> float:
    """The Monte-Carlo standard error of a rate over ``draws``."""
    return math.sqrt(max(rate * (1 - rate), 1e-12) / draws)


def report_lines(
    claims_json: Path, draws: int = 2000, power_draws: int = 500, shift: float = 2.0, seed: int = 0
) -> list[str]:
    """The simulation's table: the family-wise false-positive rate per scenario, then each
    claim's power at ``shift``."""
    pops = populations(claims_json)
    lines = [
        f"drift test: two-sided per claim, Holm over {len(pops)} claims, family-wise alpha "
        f"{ALPHA:g}; populations from {claims_json}",
    ]
    for scenario in SCENARIOS:
        rate = false_positive_rate(pops, draws, scenario, seed)
        ok = "ok" if rate <= ALPHA + 2 * mc_se(ALPHA, draws) else "TOO HIGH"
        lines.append(
            f"false-positive rate ({scenario}): {rate:.4f} +- {mc_se(rate, draws):.4f} "
            f"over {draws} comparisons ({ok}: <= {ALPHA:g} + 2 MC SE)"
        )
    lines.append(
        f"power at a shift of {shift:g} sd (share: 0.9 -> 0.4), {power_draws} comparisons each:"
    )
    width = max(len(p.claim) for p in pops)
    for i, pop in enumerate(pops):
        hit, other = power(pops, i, shift, power_draws, seed + 1 + i)
        lines.append(
            f"  {pop.claim:<{width}}  {pop.scale:<5}  {pop.n:>2} seeds  power {hit:.3f}  "
            f"(another claim flagged: {other:.3f})"
        )
    return lines
