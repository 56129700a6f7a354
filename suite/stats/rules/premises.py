"""Premises: what a claim presumes of its runs before its statistic means anything.

A claim defined on fitted networks says nothing about runs that have not fitted, and a measure
defined at a stopping criterion (Jiang et al. 2020) says nothing about runs stopped by the
epoch cap instead. Where the runs do not meet the premise the verdict is INCONCLUSIVE
("premise unmet: ..."), never a refutation by runs the claim does not speak about; more seeds
cannot change that, so the sequential looks stop adding them for it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from suite.stats.rules._data import Table, column, labels
from suite.stats.verdicts import Decision, Verdict

#: A network "has fitted" its training set when its training error is at most 1%: the usual
#: reading of "fitted" / "interpolating" for MNIST MLPs, fixed before any verdict was read.
FITTED_ACC = 0.99


def unfitted(runs: Table, acc: str = "train_acc", least: float = FITTED_ACC) -> str | None:
    """Why the runs are not all fitted (train accuracy >= ``least``), or None when they are."""
    a = column(runs, acc)
    short = int(np.sum(a < least))
    if not short:
        return None
    return (
        f"{short} of {a.size} runs have not fitted (final train accuracy below {least:g}; "
        f"lowest {a.min():.4f})"
    )


def stopped_by_cap(runs: Table, reached: str = "reached_stop") -> str | None:
    """Why the runs are not all measured at their stopping criterion, or None when they are."""
    ok = np.asarray(labels(runs, reached), dtype=bool)
    capped = int((~ok).sum())
    if not capped:
        return None
    return (
        f"{capped} of {ok.size} runs stopped at the epoch cap, not at the stopping criterion "
        "the measures are defined at"
    )


def under_premise(decision: Decision, unmet: str | None) -> Decision:
    """``decision`` as it stands when the premise holds (``unmet`` None), else INCONCLUSIVE
    with the premise as the reason and the test's own outcome kept beside it."""
    if unmet is None:
        return decision
    return dataclasses.replace(
        decision,
        verdict=Verdict.INCONCLUSIVE,
        premise_unmet=unmet,
        seeds_needed=None,
        reason=f"premise unmet: {unmet} (the test alone: {decision.verdict.value})",
    )
