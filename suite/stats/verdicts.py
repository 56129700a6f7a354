"""The result types shared by rules, claims, the terminal summary and the report.

A claim is measured data plus a fixed decision rule plus a verdict (the deepchecks shape):
rules return a :class:`Decision`; the ``claim`` fixture turns it into a :class:`ClaimResult`
that the JUnit properties, the terminal table and the HTML report all serialize.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

from suite.stats.jsonable import jsonable, number_or_none
from suite.stats.seed_values import seed_values


class Verdict(str, enum.Enum):
    """What the data says about a claim (DESIGN.md section 2).

    - SUPPORTED: the data show the claimed effect (a test in the claimed direction, p < alpha).
    - REFUTED: the data show the claim is false: the opposite effect, or an effect smaller than
      the claim's margin shown by an equivalence or non-inferiority test.
    - INCONCLUSIVE: neither; or the data could not be produced or judged.

    A refutation the README documents is still REFUTED; :attr:`ClaimResult.expected` marks it.
    """

    SUPPORTED = "supported"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"


def verdict_from(p_support: float | None, p_refute: float | None, alpha: float) -> Verdict:
    """The three-way verdict of a pair of one-sided tests at level ``alpha``.

    The two tests have disjoint rejection regions (the claimed effect vs. its opposite or an
    effect below the margin), so at most one of them rejects for any alpha < 0.5.
    """
    if p_support is not None and p_support < alpha:
        return Verdict.SUPPORTED
    if p_refute is not None and p_refute < alpha:
        return Verdict.REFUTED
    return Verdict.INCONCLUSIVE


@dataclass(frozen=True)
class Decision:
    """The outcome of one decision rule on one data set.

    ``statistic`` is the number the rule compares with ``threshold``; ``p_value`` is the p of
    the test for the claim (None for rules without a test, e.g. "accuracy == 1.0 in every
    seed"), ``p_refute`` the p of the test against it. ``reason`` says in one line why the
    verdict is what it is. ``details`` hold the per-seed numbers a reader needs to check it.
    """

    rule: str
    statistic: float
    threshold: str
    p_value: float | None
    verdict: Verdict
    n_runs: int
    n_seeds: int
    reason: str = ""
    p_refute: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # The statistic's confidence interval (the rule's own, or a seed bootstrap) and its level:
    # what a reader compares with the margin. None only where no interval can be formed.
    interval: tuple[float, float] | None = None
    interval_level: float | None = None
    # The claim's margin as the rule used it (None where only the opposite effect refutes).
    margin: float | None = None
    # For an INCONCLUSIVE verdict, about how many seeds the observed effect and spread would
    # need to be decided (None where the rule cannot say, or the verdict is decided).
    seeds_needed: int | None = None
    # The premise of the claim that the runs do not meet (e.g. "3 of 30 runs not fitted"):
    # the verdict is then INCONCLUSIVE whatever the test says, and more seeds cannot change it.
    premise_unmet: str | None = None

    @property
    def supported(self) -> bool:
        return self.verdict is Verdict.SUPPORTED

    def summary(self) -> str:
        """One line a terminal, a skip or an xfail reason can carry."""
        p = "" if self.p_value is None else f", p={format_p(self.p_value)}"
        ci = (
            ""
            if self.interval is None
            else f", {self.interval_level or 0:.0%} interval [{self.interval[0]:.4g}, "
            f"{self.interval[1]:.4g}]"
        )
        stat = f"statistic={self.statistic:.4g}{ci} (threshold {self.threshold}{p})"
        why = f"; {self.reason}" if self.reason else ""
        return f"{self.rule}: {stat} -> {self.verdict.value}{why}"


@dataclass
class ClaimResult:
    """Everything recorded about one claim test; serialized to JUnit, JSON and HTML.

    ``expected`` is set when the verdict is a refutation that the README documents (a strict
    xfail whose statistic stayed in its documented interval).
    """

    claim: str
    statement: str
    statistic: float
    threshold: str
    p_value: float | None
    verdict: Verdict
    n_runs: int
    profile: str
    device: str
    seconds: float
    experiment: str
    nodeid: str = ""
    n_seeds: int = 0
    seed_base: int = 0
    reason: str = ""
    expected: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    interval: list[float] | None = None  # the statistic's confidence interval [low, high]
    interval_level: float | None = None
    margin: float | None = None
    seeds_needed: int | None = None
    premise_unmet: str | None = None
    # The sequential looks of the claim's experiment: the planned seed counts, the claim's
    # verdict at each look taken, the look it was first decided at, and why seeding stopped.
    looks: dict[str, Any] = field(default_factory=dict)
    # The per-seed values the statistic is the mean or share of, and the scale a comparison of
    # two runs tests them on (``suite.stats.seed_values``); None where the data gave none.
    seed_values: list[float] | None = None
    seed_scale: str | None = None

    @classmethod
    def of(
        cls,
        decision: Decision,
        *,
        claim: str,
        statement: str,
        margin: float | None = None,
        **where: Any,
    ) -> ClaimResult:
        """The record of ``decision`` for ``claim``; ``where`` holds the run's fields (profile,
        device, seconds, experiment, seed_base, nodeid, looks)."""
        reason = decision.reason
        per_seed = seed_values(decision.rule, decision.details)
        if decision.verdict is Verdict.INCONCLUSIVE and decision.seeds_needed:
            reason = f"{reason}; about {decision.seeds_needed} seeds would decide it"
        return cls(
            claim=claim,
            statement=statement,
            statistic=decision.statistic,
            threshold=decision.threshold,
            p_value=decision.p_value,
            verdict=decision.verdict,
            n_runs=decision.n_runs,
            n_seeds=decision.n_seeds,
            reason=reason,
            details={**decision.details, "rule": decision.rule, "p_refute": decision.p_refute},
            interval=None if decision.interval is None else [float(v) for v in decision.interval],
            interval_level=decision.interval_level,
            margin=decision.margin if decision.margin is not None else margin,
            seeds_needed=decision.seeds_needed,
            premise_unmet=decision.premise_unmet,
            seed_values=None if per_seed is None else list(per_seed.values),
            seed_scale=None if per_seed is None else per_seed.scale,
            **where,
        )

    @property
    def label(self) -> str:
        """The verdict as shown to people: ``REFUTED (expected)`` for a documented refutation."""
        text = self.verdict.value.upper()
        return f"{text} (expected)" if self.expected else text

    def to_json(self) -> dict[str, Any]:
        """The claim as plain JSON data: the one schema of a claim's result, written to
        claims.json, a baseline and an xdist worker's report alike, and read by
        :meth:`from_json`. Non-finite numbers in the details become "nan"/"inf" strings; a
        non-finite statistic or p is null."""
        return {
            "id": self.claim,
            "statement": self.statement,
            "statistic": _finite_or_none(self.statistic),
            "threshold": self.threshold,
            "p": _finite_or_none(self.p_value),
            "verdict": self.verdict.value,
            "expected_refutation": bool(self.expected),
            "reason": self.reason,
            "n_runs": int(self.n_runs),
            "n_seeds": int(self.n_seeds),
            "seed_base": int(self.seed_base),
            "profile": self.profile,
            "device": self.device,
            "seconds": _finite_or_none(self.seconds),
            "experiment": self.experiment,
            "nodeid": self.nodeid,
            "interval": None
            if self.interval is None
            else [_finite_or_none(v) for v in self.interval],
            "interval_level": _finite_or_none(self.interval_level),
            "margin": _finite_or_none(self.margin),
            "seeds_needed": self.seeds_needed,
            "premise_unmet": self.premise_unmet,
            "looks": jsonable(self.looks),
            "details": jsonable(self.details),
            "seed_values": jsonable(self.seed_values),
            "seed_scale": self.seed_scale,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ClaimResult:
        """A claim written by :meth:`to_json`, or by an earlier version: a verdict "expected
        refutation" (before issue 10), no interval or looks (before issue 23), no per-seed
        values (before issue 27: read from the rule's details where they hold them)."""
        verdict_text = d.get("verdict", Verdict.INCONCLUSIVE.value)
        expected = verdict_text == "expected refutation"
        statistic, seconds, p = d.get("statistic"), d.get("seconds"), d.get("p")
        values, scale = d.get("seed_values"), d.get("seed_scale")
        details = d.get("details") or {}
        if values is None and (found := seed_values(str(details.get("rule", "")), details)):
            values, scale = list(found.values), found.scale
        interval = d.get("interval")
        finite = interval and len(interval) == 2 and None not in interval
        return cls(
            claim=str(d.get("id", "")),
            statement=str(d.get("statement", "")),
            statistic=math.nan if statistic is None else float(statistic),
            threshold=str(d.get("threshold", "")),
            p_value=None if p is None else float(p),
            verdict=Verdict.REFUTED if expected else Verdict(verdict_text),
            expected=bool(d.get("expected_refutation", expected)),
            reason=str(d.get("reason", "")),
            n_runs=int(d.get("n_runs", 0)),
            n_seeds=int(d.get("n_seeds", 0)),
            seed_base=int(d.get("seed_base", 0)),
            profile=str(d.get("profile", "")),
            device=str(d.get("device", "")),
            seconds=math.nan if seconds is None else float(seconds),
            experiment=str(d.get("experiment", "")),
            nodeid=str(d.get("nodeid", "")),
            details=details,
            interval=[float(v) for v in interval] if finite else None,
            interval_level=number_or_none(d.get("interval_level")),
            margin=number_or_none(d.get("margin")),
            seeds_needed=None if d.get("seeds_needed") is None else int(d["seeds_needed"]),
            premise_unmet=d.get("premise_unmet"),
            looks=d.get("looks") or {},
            seed_values=None if values is None else [float(v) for v in values],
            seed_scale=None if values is None else scale,
        )


def format_p(p: float | None) -> str:
    """p-values as people read them: 3 significant digits, scientific below 1e-3."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "-"
    return f"{p:.2e}" if p < 1e-3 else f"{p:.3f}"


def _finite_or_none(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None
