"""The ``claim`` fixture's object: it turns a rule's :class:`Decision` into a recorded verdict.

``decide`` fails the test when the rule does not support the claim, so pytest's own outcome
(pass, fail, xfail) is the verdict; the plugin reads that outcome back into the
:class:`ClaimResult` that JUnit, the terminal and the report serialize.
"""

from __future__ import annotations

import time

import pytest

from suite.catalog import spec_for
from suite.frames import ExperimentResult
from suite.options import Settings
from suite.verdicts import ClaimResult, Decision, Verdict

RESULT_KEY = pytest.StashKey[ClaimResult]()


def claim_id(item: pytest.Item) -> str | None:
    """The claim id from ``@pytest.mark.generalization("id")``, with the parametrize id if any."""
    marker = item.get_closest_marker("generalization")
    if marker is None or not marker.args:
        return None
    callspec = getattr(item, "callspec", None)
    return f"{marker.args[0]}[{callspec.id}]" if callspec else str(marker.args[0])


class Claim:
    """Bound to one claim test; ``decide`` is the only call a claim makes."""

    def __init__(self, item: pytest.Item, settings: Settings):
        self.item = item
        self.settings = settings
        self.id = claim_id(item)
        if self.id is None:
            raise pytest.UsageError(
                f"{item.nodeid} uses the claim fixture without @pytest.mark.generalization('<id>')"
            )
        try:
            self.spec = spec_for(self.id)
        except KeyError:
            raise LookupError(
                f"{item.nodeid}: claim id {self.id!r} is not in suite/catalog.py"
            ) from None
        self.started = time.perf_counter()

    def decide(self, decision: Decision, experiment: ExperimentResult) -> None:
        """Record the decision, then pass or fail the test as the rule says."""
        self.item.stash[RESULT_KEY] = ClaimResult(
            claim=self.id,
            statement=self.spec.statement,
            statistic=decision.statistic,
            threshold=decision.threshold,
            p_value=decision.p_value,
            verdict=Verdict.SUPPORTED if decision.supported else Verdict.REFUTED,
            n_runs=decision.n_runs,
            profile=self.settings.profile_name,
            device=experiment.device,
            seconds=experiment.seconds + time.perf_counter() - self.started,
            experiment=experiment.name,
            nodeid=self.item.nodeid,
            details=decision.details,
        )
        self.item.stash[EXPERIMENT_KEY] = experiment
        if not decision.supported:
            pytest.fail(f"claim {self.id} refuted: {decision.summary()}", pytrace=False)


EXPERIMENT_KEY = pytest.StashKey[ExperimentResult]()


def inconclusive(item: pytest.Item, settings: Settings, reason: str) -> ClaimResult:
    """The record of a claim whose data could not be produced or judged (diverged, errored).

    Also made for a claim id missing from the catalog, so one mistyped id errors its own test
    instead of crashing the whole session inside a reporting hook.
    """
    cid = claim_id(item) or item.nodeid
    try:
        spec = spec_for(cid)
        statement, experiment = spec.statement, spec.experiment
    except KeyError:
        statement, experiment = f"(claim {cid!r} is not in suite/catalog.py)", ""
    return ClaimResult(
        claim=cid,
        statement=statement,
        statistic=float("nan"),
        threshold="-",
        p_value=None,
        verdict=Verdict.INCONCLUSIVE,
        n_runs=0,
        profile=settings.profile_name,
        device=settings.device,
        seconds=0.0,
        experiment=experiment,
        nodeid=item.nodeid,
        details={"error": reason},
    )


def outcome(
    item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport, settings: Settings
) -> ClaimResult | None:
    """The claim's final record for this phase's report, or None when there is nothing to say.

    pytest's outcome is the verdict: a refutation that a strict xfail expected becomes an
    expected refutation; a failure anywhere else (a diverged fixture, a rule that cannot decide)
    is inconclusive, with the error's last line as the reason.
    """
    result = item.stash.get(RESULT_KEY, None)
    if call.when == "call" and result is not None:
        if result.verdict is Verdict.REFUTED and hasattr(report, "wasxfail"):
            result.verdict = Verdict.EXPECTED_REFUTATION
        return result
    if report.failed and call.when in ("setup", "call"):
        reason = call.excinfo.exconly() if call.excinfo else report.longreprtext
        return inconclusive(item, settings, reason.strip().splitlines()[-1][:500])
    return None


def refuted_at(profile: str, measured: str) -> pytest.MarkDecorator:
    """Mark a claim the data refuted at ``profile``: xfail(strict=True) there, and only there.

    ``measured`` must quote the statistic that was measured (never guessed in advance); if the
    claim starts to hold, the strict xfail turns the run red so the note gets updated. Only the
    refutation ``Claim.decide`` raises (``pytest.fail``) counts as expected: any other error
    (diverged training, a rule that cannot decide) stays an error, i.e. INCONCLUSIVE.
    """
    return pytest.mark.xfail(
        f"config.option.gen_profile == {profile!r}",
        reason=f"refuted at the {profile} profile (measured: {measured})",
        strict=True,
        raises=pytest.fail.Exception,
    )
