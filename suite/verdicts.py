"""The result types shared by rules, claims, the terminal summary and the report.

A claim is measured data plus a fixed decision rule plus a verdict (the deepchecks shape):
rules return a :class:`Decision`; the ``claim`` fixture turns it into a :class:`ClaimResult`
that the JUnit properties, the terminal table and the HTML report all serialize.
"""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass, field
from typing import Any


class Verdict(str, enum.Enum):
    """What the data says about a claim.

    ``EXPECTED_REFUTATION`` is a refutation the project measured before and documents with an
    ``xfail(strict=True)``; it is still a refutation, only not a surprise.
    """

    SUPPORTED = "supported"
    REFUTED = "refuted"
    EXPECTED_REFUTATION = "expected refutation"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Decision:
    """The outcome of one decision rule on one data set.

    ``statistic`` is the number the rule compares with ``threshold``; ``p_value`` is None for
    rules without a test (e.g. "accuracy == 1.0 in every seed"). ``details`` holds the per-seed
    or per-group numbers a reader needs to see why the rule decided as it did.
    """

    rule: str
    statistic: float
    threshold: str
    p_value: float | None
    supported: bool
    n_runs: int
    details: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """One line a terminal or an xfail reason can carry."""
        p = "" if self.p_value is None else f", p={format_p(self.p_value)}"
        verdict = "supported" if self.supported else "refuted"
        stat = f"statistic={self.statistic:.4g} (threshold {self.threshold}{p})"
        return f"{self.rule}: {stat} -> {verdict}"


@dataclass
class ClaimResult:
    """Everything recorded about one claim test; serialized to JUnit, JSON and HTML."""

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
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["verdict"] = self.verdict.value
        d["statistic"] = _finite_or_none(self.statistic)
        d["p_value"] = _finite_or_none(self.p_value)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClaimResult:
        d = dict(d)
        d["verdict"] = Verdict(d["verdict"])
        d["statistic"] = math.nan if d["statistic"] is None else float(d["statistic"])
        return cls(**d)


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
