"""What one pytest session collected: claim results and experiment results, by name.

Filled on the process that reports (the xdist controller, or the only process) from attributes
the test reports carry, so the same code path serves serial and parallel runs.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
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
            result = ClaimResult.from_json(claim)
            self.claims[result.claim] = result
        payload = getattr(report, EXPERIMENT_ATTR, None)
        if payload and payload["name"] not in self.experiments:
            self.experiments[payload["name"]] = ExperimentResult.from_payload(payload)

    def meta(self, settings: Settings, command: str, root: Path | None = None) -> dict[str, Any]:
        """The report header's facts: what ran (and from which commit of ``root``), where, with
        which versions, for how long."""
        import torch

        cuda = settings.device.startswith("cuda")
        commit, dirty = git_commit(root) if root is not None else (None, None)
        return {
            "commit": commit,
            "commit_dirty": dirty,
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


def git_commit(root: Path) -> tuple[str | None, bool | None]:
    """The commit ``root`` is checked out at and whether tracked files differ from it; from
    CI's variables where git cannot say (an exported tree), else (None, None)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        if head.returncode == 0:
            status = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=30,
            )
            dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
            return head.stdout.strip(), dirty
    except (OSError, subprocess.SubprocessError):
        pass
    for name in ("GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT"):
        if os.environ.get(name):
            return os.environ[name], None
    return None, None
