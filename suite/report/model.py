"""What one report shows: the claims, the experiments and the run's metadata, and how they group.

The report is always a rendering of a results directory (see :mod:`suite.report.files`), so this
module holds only plain data and the ordering rules both the writer and the renderer share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from suite.records import experiment_names, experiment_record
from suite.stats.verdicts import ClaimResult
from suite.train.frames import ExperimentResult

#: meta key -> (label, other names the key may arrive under), in the order the report lists them.
META_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "profile": ("Profile", ()),
    "seed_base": ("Seed base", ()),
    "seed_ids": ("Seed ids", ()),
    "device": ("Device", ()),
    "commit": ("Commit", ("git_commit",)),
    "torch_version": ("PyTorch", ("torch",)),
    "suite_version": ("Suite", ("suite", "version")),
    "python_version": ("Python", ("python",)),
    "date": ("Date", ("started", "timestamp")),
    "wall_seconds": ("Wall time", ("wall_s", "wall", "seconds", "duration")),
    "tf32": ("TF32 matmul", ()),
    "command_line": ("Command line", ("command", "cmdline", "argv")),
}

#: meta keys never written or shown (the report must be hostname-free).
PRIVATE_META = frozenset({"hostname", "host", "node", "user", "username"})


def normalize_meta(meta: dict[str, Any] | None) -> dict[str, Any]:
    """Canonical key names first (aliases folded in), then any other keys; private keys dropped."""
    meta = {k: v for k, v in (meta or {}).items() if str(k).lower() not in PRIVATE_META}
    out: dict[str, Any] = {}
    for key, (_, aliases) in META_FIELDS.items():
        for name in (key, *aliases):
            if name in meta:
                out[key] = meta.pop(name)
                break
    out.update(meta)
    return out


@dataclass
class Section:
    """One experiment's part of the report: its claims, and its result if one was recorded."""

    name: str
    claims: list[ClaimResult] = field(default_factory=list)
    result: ExperimentResult | None = None

    @property
    def title(self) -> str:
        """The record's title; the name for an experiment this process has no record of (a
        user's, when the report is rendered from a results directory)."""
        try:
            return experiment_record(self.name).heading
        except LookupError:
            extra = self.result.extra if self.result is not None else {}
            return str(extra.get("title") or self.name)


@dataclass
class ReportData:
    """Everything a report shows, in the order it was recorded."""

    claims: list[ClaimResult]
    experiments: list[ExperimentResult]
    meta: dict[str, Any]
    # A stability summary (``suite.stability``, stability.json) to show beside the claims.
    stability: dict[str, Any] | None = None
    # A comparison with a baseline run (``suite.report.compare``, compare.json) to show.
    comparison: dict[str, Any] | None = None

    def sections(self) -> list[Section]:
        """Registered experiments in their order (the homework's first), then others as
        recorded, then experiments that only claims name (their result is missing)."""
        by_name: dict[str, Section] = {}
        for name in experiment_names():
            by_name[name] = Section(name)
        for result in self.experiments:
            by_name.setdefault(result.name, Section(result.name)).result = result
        for claim in self.claims:
            by_name.setdefault(claim.experiment, Section(claim.experiment)).claims.append(claim)
        return [s for s in by_name.values() if s.result is not None or s.claims]
