"""The pytest plugin: hooks only. Options live in ``options``, fixtures in ``fixtures``, the
claim object in ``claim``, collected results in ``session``, rendering in ``report``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from suite.plugin.baseline import compare_with, gate_failures, save_baseline
from suite.plugin.claim import EXPERIMENT_KEY, REFUTED_MARK, outcome
from suite.plugin.options import SETTINGS_KEY, add_options, resolve, share_cpu_threads
from suite.plugin.session import CLAIM_ATTR, EXPERIMENT_ATTR, SessionResults
from suite.plugin.terminal import claims_table, compiles_line

SUITE_ROOT = Path(__file__).resolve().parents[1]  # the package: its own tests train too
RESULTS_KEY = pytest.StashKey[SessionResults]()
COMPARISON_KEY = pytest.StashKey[dict]()
GATE_KEY = pytest.StashKey[list]()
SAVED_KEY = pytest.StashKey[Path]()
SENT_KEY = pytest.StashKey[set]()
WRITTEN_KEY = pytest.StashKey[Path]()
RECORDED = (
    "claim",
    "statistic",
    "threshold",
    "p_value",
    "verdict",
    "n_runs",
    "n_seeds",
    "profile",
    "device",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "generalization(claim_id): a claim decided by a fixed rule")
    config.addinivalue_line("markers", "benchmark: a speed benchmark of the training engine")
    config.addinivalue_line(
        "markers",
        f"{REFUTED_MARK}(profile, low, high): the interval a documented refutation's statistic "
        "is expected in (set by suite.plugin.claim.refuted_at)",
    )
    worker = getattr(config, "workerinput", {}).get("workerid")
    settings = resolve(config, int(worker[2:]) if worker else None)
    config.stash[SETTINGS_KEY] = settings
    # xfail conditions of claims refuted at a profile read this ("config.option.gen_profile").
    config.option.gen_profile = settings.profile_name
    config.stash[RESULTS_KEY] = SessionResults()
    config.stash[SENT_KEY] = set()
    config.pluginmanager.register(_Collector(config.stash[RESULTS_KEY]), "gen-results-collector")


def pytest_collection_finish(session: pytest.Session) -> None:
    """An xdist worker that will train or time (it collected a claim, a benchmark or the suite's
    own tests) takes its share of the cores; a project that installed the plugin and collected
    none of those keeps its torch settings untouched."""
    workerinput = getattr(session.config, "workerinput", None)
    if workerinput and any(_trains(item) for item in session.items):
        share_cpu_threads(int(workerinput.get("workercount", 1)))


def _trains(item: pytest.Item) -> bool:
    # the suite's benchmarks live in the package too; another project's benchmark marker
    # (pytest-benchmark's own) is not ours to act on
    return item.get_closest_marker("generalization") is not None or Path(
        str(item.path)
    ).is_relative_to(SUITE_ROOT)


def pytest_report_header(config: pytest.Config) -> str:
    s = config.stash[SETTINGS_KEY]
    return (
        f"generalization: profile={s.profile_name} seeds={s.profile.seeds}"
        + "".join(f", {k} looks {'/'.join(map(str, v))}" for k, v in s.profile.looks.items())
        + " "
        f"seed-base={s.seed_base} device={s.device} cache={s.cache_dir}"
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if item.get_closest_marker("generalization") is None:
        return report
    result = outcome(item, call, report, item.config.stash[SETTINGS_KEY])
    if result is None:
        return report
    record = result.to_json()
    properties = {**record, "claim": record["id"], "p_value": record["p"]}
    item.user_properties.extend((k, properties[k]) for k in RECORDED)  # JUnit reads teardown's
    report.user_properties = list(item.user_properties)
    setattr(report, CLAIM_ATTR, record)
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
    comparison = config.stash.get(COMPARISON_KEY, None)
    if comparison is not None:
        from suite.report.compare import table_lines

        terminalreporter.section("generalization: compared with the baseline")
        for line in table_lines(comparison):
            terminalreporter.write_line(line)
    for line in config.stash.get(GATE_KEY, []):
        terminalreporter.write_line(f"generalization: FAILED: {line}", red=True, bold=True)
    if config.stash[SETTINGS_KEY].engine == "compiled" and "torch" in sys.modules:
        from suite.train.steps import compiles

        terminalreporter.write_line(compiles_line(compiles()))


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        return
    results = config.stash[RESULTS_KEY]
    settings = config.stash[SETTINGS_KEY]
    if not results.claims:
        return
    claims, experiments = results.ordered_claims(), list(results.experiments.values())
    meta = results.meta(settings, command=" ".join(["pytest", *sys.argv[1:]]), root=config.rootpath)
    comparison = None
    if settings.baseline is not None:
        comparison = compare_with(settings.baseline, claims, meta)
        config.stash[COMPARISON_KEY] = comparison
    if settings.report is not None:
        from suite.report import write_report  # matplotlib is imported only when a report is due

        config.stash[WRITTEN_KEY] = write_report(
            claims, experiments, meta, settings.report, comparison=comparison
        )
    if settings.save is not None:
        config.stash[SAVED_KEY] = save_baseline(settings.save, claims, experiments, meta)
    failures = gate_failures(claims, comparison, settings.compare_fail, settings.require_decided)
    config.stash[GATE_KEY] = failures
    if failures and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    written = config.stash.get(WRITTEN_KEY, None)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    saved = config.stash.get(SAVED_KEY, None)
    if saved is not None and reporter is not None:
        reporter.write_line(f"generalization baseline saved: {saved}")
    if written is not None and reporter is not None:
        reporter.write_line(f"generalization report: {written}")
