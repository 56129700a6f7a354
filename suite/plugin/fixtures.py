"""Session fixtures: the data on the device, one trained experiment each, and ``claim``.

Each experiment trains once per configuration (the run cache) and hands every claim test the
same tidy frames.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from suite.plugin.claim import Claim, claim_id
from suite.plugin.options import SETTINGS_KEY, Settings
from suite.records import experiment_names
from suite.run.plan import Executor, StreamExecutor, executor_for, plan_for
from suite.train.frames import ExperimentResult

if TYPE_CHECKING:  # torch and the training stack load when a fixture first runs, not at start
    from suite.data.datasets import Dataset


def _say(config: pytest.Config, message: str) -> None:
    """A progress line on the terminal even while pytest captures output (main thread only)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    if capture is None:
        _write_own_line(reporter, config, message)
        return
    with capture.global_and_fixture_disabled():
        _write_own_line(reporter, config, message)


def _write_own_line(reporter: pytest.TerminalReporter, config: pytest.Config, text: str) -> None:
    """``text`` on a line of its own: with -q, pytest's progress letters (".F") leave the line
    open without the reporter knowing, so its ``write_line`` alone would append to them; with
    -v the reporter closes its open "nodeid" line itself, and no blank line is added."""
    reporter.ensure_newline()
    writer = config.get_terminal_writer()
    if writer.width_of_current_line:
        writer.line()
    reporter.write_line(text)


@pytest.fixture(scope="session")
def gen_settings(pytestconfig: pytest.Config) -> Settings:
    settings = pytestconfig.stash[SETTINGS_KEY]
    from suite.train.engine import configure_precision

    configure_precision(settings.device)
    return settings


@pytest.fixture(scope="session")
def gen_data(gen_settings: Settings, pytestconfig: pytest.Config) -> Dataset:
    """The session's dataset (``--gen-dataset``, MNIST by default) on its device."""
    from suite.data.datasets import load_dataset

    try:
        return load_dataset(
            gen_settings.dataset,
            gen_settings.data_root,
            gen_settings.device,
            progress=lambda m: _say(pytestconfig, m),
        )
    except LookupError as exc:
        raise pytest.UsageError(f"--gen-dataset: {exc}") from None


class Cancelled(RuntimeError):
    """The session ended while an experiment of its plan was still training in a thread."""


class _Messages:
    """Progress from any thread: printed at once on the main thread, queued from the others
    (pytest's capture is not thread-safe) until the main thread drains the queue."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.stopped = threading.Event()

    def say(self, message: str) -> None:
        if self.stopped.is_set():
            raise Cancelled("the session ended; the checkpoints keep what was trained")
        if threading.current_thread() is threading.main_thread():
            _say(self.config, message)
        else:
            self.queue.put(message)

    def drain(self) -> None:
        while not self.queue.empty():
            _say(self.config, self.queue.get_nowait())


@pytest.fixture(scope="session")
def gen_executor(
    gen_settings: Settings, gen_data: Dataset, request: pytest.FixtureRequest
) -> Iterator[Executor]:
    """The session's plan (every experiment a collected test asks for), started."""
    from suite.run.obtain import job_spec, obtain

    config = request.config
    plan = plan_for(wanted_experiments(request.session.items), gen_settings.profile)
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    messages = _Messages(config)
    if gen_settings.executor == "ray":
        from suite.run.ray_executor import RayExecutor

        executor: Executor = RayExecutor(
            gen_settings.ray_address,
            lambda name: job_spec(name, gen_settings, gen_data),
            lambda name, train: obtain(name, gen_settings, gen_data, messages.say, train),
            say=messages.say,
        )
    else:
        executor = executor_for(gen_settings.device, workers, on_wait=messages.drain)
    if isinstance(executor, StreamExecutor) and plan.jobs:
        chains = ", ".join(f"{j.name} {j.steps}" for j in plan.jobs)
        where = gen_settings.device
        _say(config, f"plan: {len(plan.jobs)} experiments at once on {where} ({chains} steps)")
    executor.start(plan, lambda name: obtain(name, gen_settings, gen_data, messages.say))
    yield executor
    messages.stopped.set()
    executor.cancel()


def _result_fixture(name: str):
    """The session fixture ``name``: that experiment's result, from the session's executor."""

    def result(gen_executor: Executor) -> ExperimentResult:
        return gen_executor.result(name)

    result.__doc__ = f"The {name} experiment's result (trained once, or read from the run cache)."
    return pytest.fixture(scope="session", name=name)(result)


# One fixture per homework experiment, named as it is (``random_labels``, ``width_sweep``, ...):
# derived from the records registered when the plugin loads. A user's experiment, registered
# later in a test file, reaches its claims through ``claim.decide()`` (its claim record names it).
for _name in experiment_names():
    globals()[_name] = _result_fixture(_name)


def wanted_experiments(items: list[pytest.Item]) -> list[str]:
    """The experiments the collected tests need: those they ask for as fixtures, and those the
    claim records of their ``generalization`` marks are decided on."""
    from suite.stats.catalog import spec_for

    registered = set(experiment_names())
    wanted = {name for item in items for name in item.fixturenames} & registered
    for item in items:
        marked = claim_id(item)
        if marked is not None and "claim" in item.fixturenames:
            with contextlib.suppress(KeyError):  # the claim test itself reports an unknown id
                wanted.add(spec_for(marked).experiment)
    return sorted(wanted & registered)


@pytest.fixture
def claim(request: pytest.FixtureRequest, gen_settings: Settings) -> Claim:
    return Claim(request.node, gen_settings, lambda: request.getfixturevalue("gen_executor"))
