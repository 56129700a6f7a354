"""What one pytest session collected: claim results and experiment results, by name.

Filled on the process that reports (the xdist controller, or the only process) from attributes
the test reports carry, so the same code path serves serial and parallel runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from suite.frames import ExperimentResult
from suite.verdicts import ClaimResult

CLAIM_ATTR = "gen_claim"
EXPERIMENT_ATTR = "gen_experiment"


@dataclass
class SessionResults:
    started: float = field(default_factory=time.time)
    claims: dict[str, ClaimResult] = field(default_factory=dict)
    experiments: dict[str, ExperimentResult] = field(default_factory=dict)

    def add_report(self, report: Any) -> None:
        """Take the claim and experiment a test report carries, if any (serial or xdist)."""
        claim = getattr(report, CLAIM_ATTR, None)
        if claim:
            result = ClaimResult.from_dict(claim)
            self.claims[result.claim] = result
        payload = getattr(report, EXPERIMENT_ATTR, None)
        if payload and payload["name"] not in self.experiments:
            self.experiments[payload["name"]] = ExperimentResult.from_payload(payload)

    def ordered_claims(self) -> list[ClaimResult]:
        return sorted(self.claims.values(), key=lambda c: c.nodeid)
