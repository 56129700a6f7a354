"""What one pytest session collected: claim results and experiment results, by name.

Filled on the process that reports (the xdist controller, or the only process) from attributes
the test reports carry, so the same code path serves serial and parallel runs.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from suite import __version__
from suite.plugin.options import Settings
from suite.stats.verdicts import ClaimResult
from suite.train.frames import ExperimentResult

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

    def meta(self, settings: Settings, command: str) -> dict[str, Any]:
        """The report header's facts: what ran, where, with which versions, for how long."""
        import torch

        cuda = settings.device.startswith("cuda")
        return {
            "profile": settings.profile_name,
            "seeds": settings.profile.seeds,
            "seed_base": settings.seed_base,
            "seed_ids": list(settings.seeds.ids),
            "device": settings.device,
            "engine": settings.engine,
            "torch": torch.__version__,
            "suite": __version__,
            "python": platform.python_version(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "wall_seconds": round(time.time() - self.started, 2),
            "tf32": torch.backends.cuda.matmul.allow_tf32 if cuda else None,
            "command": command,
        }

    def ordered_claims(self) -> list[ClaimResult]:
        return sorted(self.claims.values(), key=lambda c: c.nodeid)
