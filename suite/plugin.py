"""The pytest plugin: hooks only. Options live in ``options``, fixtures in ``fixtures``, the
claim object in ``claim``, collected results in ``session``, rendering in ``report``.
"""

from __future__ import annotations

import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from suite import __version__
from suite.claim import EXPERIMENT_KEY, RESULT_KEY, inconclusive
from suite.options import SETTINGS_KEY, add_options, resolve, share_cpu_threads
from suite.session import CLAIM_ATTR, EXPERIMENT_ATTR, SessionResults
from suite.terminal import claims_table
from suite.verdicts import Verdict

RESULTS_KEY = pytest.StashKey[SessionResults]()
SENT_KEY = pytest.StashKey[set]()
WRITTEN_KEY = pytest.StashKey[Path]()
RECORDED = ("claim", "statistic", "threshold", "p_value", "verdict", "n_runs", "profile", "device")


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "generalization(claim_id): a claim decided by a fixed rule")
    config.addinivalue_line("markers", "benchmark: a speed benchmark of the training engine")
    workerinput = getattr(config, "workerinput", {})
    worker = workerinput.get("workerid")
    if worker:
        share_cpu_threads(int(workerinput.get("workercount", 1)))
    settings = resolve(config, int(worker[2:]) if worker else None)
    config.stash[SETTINGS_KEY] = settings
    # xfail conditions of claims refuted at a profile read this ("config.option.gen_profile").
    config.option.gen_profile = settings.profile_name
    config.stash[RESULTS_KEY] = SessionResults()
    config.stash[SENT_KEY] = set()
    config.pluginmanager.register(_Collector(config.stash[RESULTS_KEY]), "gen-results-collector")


def pytest_report_header(config: pytest.Config) -> str:
    s = config.stash[SETTINGS_KEY]
    return (
        f"generalization: profile={s.profile_name} seeds={s.profile.seeds} device={s.device} "
        f"cache={s.cache_dir}"
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if item.get_closest_marker("generalization") is None:
        return report
    settings = item.config.stash[SETTINGS_KEY]
    result = item.stash.get(RESULT_KEY, None)
    if call.when == "call" and result is not None:
        if result.verdict is Verdict.REFUTED and hasattr(report, "wasxfail"):
            result.verdict = Verdict.EXPECTED_REFUTATION
    elif report.failed and call.when in ("setup", "call"):
        reason = call.excinfo.exconly() if call.excinfo else report.longreprtext
        result = inconclusive(item, settings, reason.strip().splitlines()[-1][:500])
    else:
        return report
    record = result.to_dict()
    props = [(k, record[k]) for k in RECORDED]
    item.user_properties.extend(props)  # JUnit XML reads them from the teardown report
    report.user_properties = list(item.user_properties)
    setattr(report, CLAIM_ATTR, result.to_dict())
    experiment = item.stash.get(EXPERIMENT_KEY, None)
    sent = item.config.stash[SENT_KEY]
    if experiment is not None and experiment.name not in sent:
        sent.add(experiment.name)
        setattr(report, EXPERIMENT_ATTR, experiment.to_payload())
    return report


class _Collector:
    """Feeds every test report to the session results: on the xdist controller (which sees the
    workers' reports) and in a serial run alike."""

    def __init__(self, results: SessionResults):
        self.results = results

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.results.add_report(report)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    claims = config.stash[RESULTS_KEY].ordered_claims()
    if claims:
        terminalreporter.section("generalization claims")
        for line in claims_table(claims):
            terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        return
    results = config.stash[RESULTS_KEY]
    settings = config.stash[SETTINGS_KEY]
    if not results.claims or settings.report is None:
        return
    from suite.report import write_report  # matplotlib is imported only when a report is due

    meta = _meta(config, results)
    config.stash[WRITTEN_KEY] = write_report(
        results.ordered_claims(), list(results.experiments.values()), meta, settings.report
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    written = config.stash.get(WRITTEN_KEY, None)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if written is not None and reporter is not None:
        reporter.write_line(f"generalization report: {written}")


def _meta(config: pytest.Config, results: SessionResults) -> dict:
    import torch

    settings = config.stash[SETTINGS_KEY]
    return {
        "profile": settings.profile_name,
        "seeds": settings.profile.seeds,
        "device": settings.device,
        "torch": torch.__version__,
        "suite": __version__,
        "python": platform.python_version(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(time.time() - results.started, 2),
        "tf32": torch.backends.cuda.matmul.allow_tf32
        if settings.device.startswith("cuda")
        else None,
        "command": " ".join(["pytest", *sys.argv[1:]]),
    }
