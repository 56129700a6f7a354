"""Baselines for CI (issue 27): keep a run's claims under a name, compare a run with one, and
decide whether what moved (or a required claim left undecided) fails the run.

Plain functions the hooks call once the session's claims are in; none of them needs pytest.
Baselines live in ``reports/baselines/NAME/`` (a results folder: claims.json with each claim's
per-seed values, run.json with the commit, versions, device and profile, and the CSVs), so a
baseline is also something ``python -m suite compare`` and ``python -m suite report`` read.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from suite.stats.verdicts import ClaimResult, Verdict
from suite.train.frames import ExperimentResult

BASELINES = Path("reports") / "baselines"
FAIL_ON = ("verdict", "drift")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class BaselineError(ValueError):
    """A baseline name or folder that cannot be used (one line, for a usage error)."""


def baseline_path(root: Path, text: str, *, for_saving: bool = False) -> Path:
    """The folder of the baseline ``text``: a NAME under ``root/reports/baselines/``, or (for
    comparing) the path of an existing report folder, relative to ``root`` if not absolute."""
    text = text.strip()
    if not for_saving:
        given = Path(text).expanduser()
        path = given if given.is_absolute() else root / given
        if path.is_dir():
            return path
        if not NAME.fullmatch(text):
            raise BaselineError(f"no baseline at {path}")
    elif not NAME.fullmatch(text):
        raise BaselineError(
            f"a baseline name is letters, digits, '.', '_' and '-' (no '/'), got {text!r}"
        )
    path = root / BASELINES / text
    if not for_saving and not path.is_dir():
        raise BaselineError(f"no baseline named {text!r} (looked for {path})")
    return path


def known_claim(claim_id: str) -> bool:
    """Whether ``claim_id`` (``interpolation-peak[shared]`` or ``interpolation-peak``) is in
    the catalog."""
    from suite.stats.catalog import CLAIMS  # the rules load scipy: only when asked

    base, _, case = claim_id.partition("[")
    spec = CLAIMS.get(base)
    if spec is None:
        return False
    return not case or claim_id in spec.ids


def compare_with(
    baseline: Path, claims: Sequence[ClaimResult], meta: Mapping[str, Any]
) -> dict[str, Any]:
    """The comparison of this session's ``claims`` with the baseline folder ``baseline``."""
    from suite.report.compare import compare_runs, load_baseline

    old_claims, old_meta = load_baseline(baseline)
    return compare_runs(
        old_claims, claims, old_meta, meta, old_label=baseline.name, new_label="this run"
    )


def save_baseline(
    directory: Path,
    claims: Sequence[ClaimResult],
    experiments: Sequence[ExperimentResult],
    meta: Mapping[str, Any],
) -> Path:
    """Keeps the run as the baseline folder ``directory`` (replacing an older one whole)."""
    from suite.report.files import write_results
    from suite.report.model import ReportData

    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        write_results(ReportData(list(claims), list(experiments), dict(meta)), staging)
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return directory


def gate_failures(
    claims: Iterable[ClaimResult],
    comparison: Mapping[str, Any] | None,
    fail_on: str | None,
    required: Sequence[str],
) -> list[str]:
    """Why the run fails beyond its own tests: one line per reason (empty: it does not).

    ``fail_on`` "verdict": a claim whose verdict changed against the baseline; "drift": that,
    or a claim whose statistic moved more than its seeds explain. ``required``: claims that
    must be decided, which fail when INCONCLUSIVE or not run at all (a claim a team relies on
    must not silently stop being checked).
    """
    lines = []
    if comparison is not None and fail_on in FAIL_ON:
        for row in comparison.get("claims") or []:
            if row.get("verdict_changed"):
                lines.append(
                    f"{row['id']}: verdict changed {row['old_verdict']} -> {row['new_verdict']} "
                    "(--gen-compare-fail)"
                )
            elif fail_on == "drift" and row.get("drift"):
                lines.append(
                    f"{row['id']}: statistic drifted {row['old_statistic']:.4g} -> "
                    f"{row['new_statistic']:.4g}, Holm p {row['p_holm']:.3g} (--gen-compare-fail "
                    "drift)"
                )
    by_id = {c.claim: c for c in claims}
    for claim_id in required:
        found = [c for k, c in by_id.items() if k == claim_id or k.startswith(claim_id + "[")]
        if not found:
            lines.append(f"{claim_id}: required to be decided, but it did not run")
        for c in found:
            if c.verdict is Verdict.INCONCLUSIVE:
                lines.append(
                    f"{c.claim}: required to be decided, but INCONCLUSIVE: {c.reason or '-'}"
                )
    return lines
