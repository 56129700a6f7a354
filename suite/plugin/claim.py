"""The ``claim`` fixture's object: it decides the claim on its experiment (the catalog
record's one decision, at the level of the experiment's last look) and records the verdict.

pytest's outcome is the verdict: SUPPORTED passes, REFUTED fails (or xfails where the README
documents the refutation and its statistic stayed in the documented interval), INCONCLUSIVE
skips with its reason. The plugin reads the outcome back into the :class:`ClaimResult` that
JUnit, the terminal and the report serialize.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from suite.plugin.options import Settings
from suite.run.looks import claim_looks, look_alpha
from suite.stats.verdicts import ClaimResult, Decision, Verdict
from suite.train.frames import ExperimentResult

RESULT_KEY = pytest.StashKey[ClaimResult]()
EXPERIMENT_KEY = pytest.StashKey[ExperimentResult]()
REFUTED_MARK = "gen_refuted"  # refuted_at's record of the interval, beside its xfail

F = TypeVar("F", bound=Callable)


def _catalog() -> Any:
    """The claims' records, imported on first use: their rules load scipy, which a project that
    installed the plugin and runs no claim should not pay for at every pytest start."""
    from suite.stats import catalog

    return catalog


class RegressionBehindRefutation(AssertionError):
    """A documented refutation whose statistic left its documented interval: a real failure.

    Not ``pytest.fail``'s exception, so the strict xfail (which expects only that) does not
    absorb it: a leak that put test accuracy on random labels at 0.87 must not hide behind
    "refuted, as documented".
    """


def claim_id(item: pytest.Item) -> str | None:
    """The claim id from ``@pytest.mark.generalization("id")``, with the parametrize id if any."""
    marker = item.get_closest_marker("generalization")
    if marker is None or not marker.args:
        return None
    callspec = getattr(item, "callspec", None)
    return f"{marker.args[0]}[{callspec.id}]" if callspec else str(marker.args[0])


def documented_refutation(
    item: pytest.Item, profile: str
) -> tuple[tuple[float, float], str | None] | None:
    """The interval and reason refuted_at documents for ``profile``, or None if none there."""
    for mark in item.iter_markers(REFUTED_MARK):
        if mark.args[0] == profile:
            return (float(mark.args[1]), float(mark.args[2])), mark.kwargs.get("because")
    return None


class Claim:
    """Bound to one claim test; ``decide`` is the only call a claim makes."""

    def __init__(
        self,
        item: pytest.Item,
        settings: Settings,
        executor: Callable[[], Any] | None = None,
    ):
        self.item = item
        self.settings = settings
        self._executor = executor  # the session's plan, for decide() without an experiment
        self.id = claim_id(item)
        if self.id is None:
            raise pytest.UsageError(
                f"{item.nodeid} uses the claim fixture without @pytest.mark.generalization('<id>')"
            )
        try:
            self.spec = _catalog().spec_for(self.id)
        except KeyError:
            raise LookupError(
                f"{item.nodeid}: claim id {self.id!r} is not registered (the homework's are "
                "in suite/stats/catalog.py; add yours with suite.register_claim)"
            ) from None
        self.started = time.perf_counter()

    @property
    def margin(self) -> float:
        """The claim's smallest effect of interest, from the catalog."""
        if self.spec.margin is None:
            raise LookupError(f"claim {self.id!r} has no margin in suite/stats/catalog.py")
        return self.spec.margin

    def decide(self, experiment: ExperimentResult | None = None) -> None:
        """Decide the claim on ``experiment`` with its record, at the level its experiment's
        looks spent on the last one; then pass, fail or skip as the verdict says.

        Without ``experiment``, the result of the experiment the claim's record names, from
        the session's plan (how a user's experiment, which has no fixture, reaches its claims).
        """
        if experiment is None:
            if self._executor is None:
                raise RuntimeError(f"claim {self.id}: no experiment given and no session plan")
            experiment = self._executor().result(self.spec.experiment)
        elif experiment.name != self.spec.experiment:
            raise ValueError(
                f"claim {self.id} is decided on {self.spec.experiment!r}, "
                f"not on {experiment.name!r}"
            )
        looks = experiment.extra.get("looks") or {}
        n_looks = len(looks.get("planned") or [1])
        decision = self.spec.decision(
            experiment.frames, look_alpha(self.spec.alpha, n_looks), _catalog().case_of(self.id)
        )
        self.record(decision, experiment)

    def record(self, decision: Decision, experiment: ExperimentResult) -> None:
        """Record ``decision``, then pass, fail or skip the test as its verdict says."""
        profile = self.settings.profile_name
        result = ClaimResult.of(
            decision,
            claim=self.id,
            statement=self.spec.statement,
            margin=self.spec.margin,
            seed_base=self.settings.seed_base,
            profile=profile,
            device=experiment.device,
            seconds=experiment.seconds + time.perf_counter() - self.started,
            experiment=experiment.name,
            nodeid=self.item.nodeid,
            looks=claim_looks(self.id, experiment.extra.get("looks")),
        )
        verdict, reason = result.verdict, result.reason
        self.item.stash[RESULT_KEY] = result
        self.item.stash[EXPERIMENT_KEY] = experiment
        if verdict is Verdict.SUPPORTED:
            return
        if verdict is Verdict.INCONCLUSIVE:
            pytest.skip(f"claim {self.id} inconclusive: {reason or decision.summary()}")
        documented = documented_refutation(self.item, profile)
        stat = decision.statistic
        if documented is not None:
            interval, because = documented
            if not (math.isfinite(stat) and interval[0] <= stat <= interval[1]):
                raise RegressionBehindRefutation(
                    f"claim {self.id} refuted with statistic {stat:.4g} outside its documented "
                    f"interval [{interval[0]:g}, {interval[1]:g}] at {profile}: "
                    f"{decision.summary()}"
                )
            if because is not None and because not in decision.reason:
                raise RegressionBehindRefutation(
                    f"claim {self.id} documented as refuted because {because!r} at {profile}, "
                    f"but refuted for another reason: {decision.summary()}"
                )
        pytest.fail(f"claim {self.id} refuted: {decision.summary()}", pytrace=False)


def inconclusive(item: pytest.Item, settings: Settings, reason: str) -> ClaimResult:
    """The record of a claim whose data could not be produced or judged (diverged, errored).

    Also made for a claim id missing from the catalog, so one mistyped id errors its own test
    instead of crashing the whole session inside a reporting hook.
    """
    cid = claim_id(item) or item.nodeid
    try:
        spec = _catalog().spec_for(cid)
        statement, experiment = spec.statement, spec.experiment
    except KeyError:
        statement, experiment = f"(claim {cid!r} is not registered)", ""
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
        seed_base=settings.seed_base,
        reason=reason,
        details={"error": reason},
    )


def outcome(
    item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport, settings: Settings
) -> ClaimResult | None:
    """The claim's final record for this phase's report, or None when there is nothing to say.

    A refutation that a strict xfail expected is marked ``expected``; an error anywhere else (a
    diverged fixture, a rule that cannot decide the data) is INCONCLUSIVE with the error's last
    line as the reason, and stays an error in pytest.
    """
    result = item.stash.get(RESULT_KEY, None)
    if call.when == "call" and result is not None:
        if result.verdict is Verdict.REFUTED and hasattr(report, "wasxfail"):
            result.expected = True
        return result
    if report.failed and call.when in ("setup", "call"):
        reason = call.excinfo.exconly() if call.excinfo else report.longreprtext
        return inconclusive(item, settings, reason.strip().splitlines()[-1][:500])
    return None


def refuted_at(
    profile: str, measured: str, interval: tuple[float, float], because: str | None = None
) -> Callable[[F], F]:
    """Mark a claim the data refuted at ``profile``: xfail(strict=True) there, and only there.

    ``measured`` quotes the statistic that was measured (never guessed in advance);
    ``interval`` is where the README expects the statistic on any draw: a prediction interval
    from the stability sets. ``because`` names the direction and axis that refute it, as the
    rule's reason says them (e.g. "negative along lr"): a refutation for another reason is a
    real failure. If the claim starts to hold, the strict xfail turns the run red; if it is
    refuted with a statistic outside the interval, or for another reason,
    :class:`RegressionBehindRefutation` does. Only the refutation ``Claim.decide`` raises
    counts as expected: any other error stays an error.
    """
    lo, hi = interval
    if not lo <= hi:
        raise ValueError(f"refuted_at: empty interval {interval}")
    xfail = pytest.mark.xfail(
        f"config.option.gen_profile == {profile!r}",
        reason=f"refuted at the {profile} profile (measured: {measured}; expected statistic in "
        f"[{lo:g}, {hi:g}]" + (f", {because}" if because else "") + ")",
        strict=True,
        raises=pytest.fail.Exception,
    )
    record = getattr(pytest.mark, REFUTED_MARK)(profile, lo, hi, because=because)

    def mark(test: F) -> F:
        return record(xfail(test))

    return mark
