"""One simulated truth of one claim (a :class:`Case`) and the Monte-Carlo outcome of it: the
verdicts of many synthetic data sets, each decided by the claim record's own decision."""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from functools import cache

import numpy as np

from suite.profiles import CI, PAPER
from suite.stats.power import claims
from suite.stats.power.claims import profile_seeds
from suite.stats.power.shared import Draws, Table
from suite.stats.verdicts import Decision, Verdict

FP_MAX = 0.05
POWER_MIN = 0.90
N_DRAWS = 1000

FALSE, TRUE = "false", "true"


@dataclass(frozen=True)
class Case:
    """One simulated truth for one claim's rule: ``draws`` makes the data sets.

    ``truth`` FALSE: the claim is false (no effect, or an effect exactly at its margin); the
    rate reported is P(SUPPORTED), the false-positive rate. TRUE: the claim holds with the
    effect calibration saw; reported are P(SUPPORTED) (power) and P(REFUTED) (false
    refutation). ``seeds``: None means every seed count of :func:`seed_counts`.
    """

    claim: str
    scenario: str
    truth: str
    draws: Draws
    calibration: bool = True  # TRUE cases: False for a stress variant (power reported only)
    alpha: float | None = None  # None: the claim's own level

    @property
    def rule(self) -> str:
        """The name of the rule the claim's decision calls (read off one decided draw)."""
        return _rule_of(self)

    @property
    def experiment(self) -> str:
        return claims.experiment_of(self.claim)

    def decide(self, table: Table) -> Decision | None:
        try:
            return claims.decide(self.claim, table, self.alpha)
        except ValueError:  # the claim turns it into INCONCLUSIVE
            return None


@cache
def _rule_of(case: Case) -> str:
    for table in case.draws(np.random.default_rng(0), 1, 5):
        d = case.decide(table)
        if d is not None:
            return d.rule
    return "?"


@dataclass(frozen=True)
class Outcome:
    n: int
    supported: float
    refuted: float
    statistic: float  # mean of the rule's statistic over the draws it decided


def seed_counts(experiment: str) -> list[int]:
    """3 and 5 seeds, and the ci and paper profiles' counts for ``experiment``."""
    return sorted({3, 5, profile_seeds(experiment, CI), profile_seeds(experiment, PAPER)})


def outcome(case: Case, seeds: int, n_draws: int = N_DRAWS, seed: int = 0) -> Outcome:
    """The verdicts of ``n_draws`` data sets of ``case`` with ``seeds`` seeds each.

    The generator is seeded by ``seed``, the case and the seed count, so a rate does not depend
    on which other cases ran before it.
    """
    return _outcome(case, seeds, n_draws, seed)


@cache
def _outcome(case: Case, seeds: int, n_draws: int, seed: int) -> Outcome:
    key = f"{case.claim}|{case.scenario}|{seeds}"
    rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
    sup = ref = 0
    stat = []
    for table in case.draws(rng, n_draws, seeds):
        d = case.decide(table)
        if d is None:
            continue
        sup += d.verdict is Verdict.SUPPORTED
        ref += d.verdict is Verdict.REFUTED
        if math.isfinite(d.statistic):
            stat.append(d.statistic)
    return Outcome(
        n_draws, sup / n_draws, ref / n_draws, float(np.mean(stat)) if stat else math.nan
    )


def mc_slack(p: float, n: int) -> float:
    """Two Monte-Carlo standard errors of a rate ``p`` estimated from ``n`` draws."""
    return 2 * math.sqrt(p * (1 - p) / n)
