"""Claims decided again from a results directory's saved frames, with the rules of this code.

A finished run keeps every frame as CSV (``suite.report.files``), so a change of rules can be
checked against data already paid for (the ``paper`` profile is hours of CPU): every claim
record whose experiment is in the directory decides again on those frames, at the level its
experiment's looks spent (one look where the run had none). Nothing is trained.
"""

from __future__ import annotations

from suite.report.model import ReportData
from suite.run.looks import claim_looks, look_alpha
from suite.stats.catalog import CLAIMS, case_of
from suite.stats.verdicts import ClaimResult, Decision, Verdict


def redecide(data: ReportData) -> list[ClaimResult]:
    """Every claim on the experiments of ``data``, decided again (catalog order)."""
    experiments = {e.name: e for e in data.experiments}
    before = {c.claim: c for c in data.claims}
    out = []
    for spec in CLAIMS.values():
        experiment = experiments.get(spec.experiment)
        if experiment is None:
            continue
        looks = experiment.extra.get("looks") or {}
        alpha = look_alpha(spec.alpha, len(looks.get("planned") or [1]))
        for claim_id in spec.ids:
            old = before.get(claim_id)
            where = {
                "profile": str(data.meta.get("profile", experiment.profile)),
                "device": experiment.device,
                "seconds": experiment.seconds,
                "experiment": experiment.name,
                "seed_base": old.seed_base if old else int(data.meta.get("seed_base") or 0),
                "looks": claim_looks(claim_id, looks),
            }
            try:
                decision = spec.decision(experiment.frames, alpha, case_of(claim_id))
            except ValueError as exc:
                decision = Decision(
                    rule="-",
                    statistic=float("nan"),
                    threshold="-",
                    p_value=None,
                    verdict=Verdict.INCONCLUSIVE,
                    n_runs=0,
                    n_seeds=0,
                    reason=f"the data cannot be decided: {exc}",
                )
            out.append(
                ClaimResult.of(
                    decision, claim=claim_id, statement=spec.statement, margin=spec.margin, **where
                )
            )
    return out
