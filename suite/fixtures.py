"""Session fixtures: the data on the device, one trained experiment each, and ``claim``.

Each experiment trains once per configuration (the run cache) and hands every claim test the
same tidy frames.
"""

from __future__ import annotations

import time

import pytest

from suite.cache import RunCache, cache_key
from suite.claim import Claim
from suite.experiments import RUNNERS
from suite.frames import ExperimentResult
from suite.options import SETTINGS_KEY, Settings
from suite.splits import MnistSplits, load_mnist


def _say(config: pytest.Config, message: str) -> None:
    """A progress line on the terminal even while pytest captures output."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    if capture is None:
        reporter.write_line(message)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(message)


@pytest.fixture(scope="session")
def gen_settings(pytestconfig: pytest.Config) -> Settings:
    return pytestconfig.stash[SETTINGS_KEY]


@pytest.fixture(scope="session")
def mnist(gen_settings: Settings, pytestconfig: pytest.Config) -> MnistSplits:
    return load_mnist(
        gen_settings.data_root, device=gen_settings.device, progress=lambda m: _say(pytestconfig, m)
    )


def obtain(
    name: str, settings: Settings, data: MnistSplits, config: pytest.Config
) -> ExperimentResult:
    """The experiment's result from the run cache, training it first if it is not there."""
    cfg = settings.profile.experiment(name)
    seeds = settings.profile.seeds
    key = cache_key(name, settings.profile.as_dict()[name], seeds, data.checksum, settings.device)

    def compute() -> ExperimentResult:
        _say(
            config, f"{name}: training {seeds} seeds on {settings.device} ({settings.profile_name})"
        )
        return RUNNERS[name](
            cfg, data, seeds, profile=settings.profile_name, progress=lambda m: _say(config, m)
        )

    t0 = time.perf_counter()
    result, cached = RunCache(settings.cache_dir).get_or_run(key, compute, fresh=settings.fresh)
    if cached:
        _say(config, f"{name}: read from the run cache ({key}, {time.perf_counter() - t0:.1f} s)")
    else:
        seconds = max(result.seconds, 1e-9)
        rate = f"{result.steps / seconds:.0f} steps/s, {result.samples / seconds:.0f} samples/s"
        _say(config, f"{name}: trained in {result.seconds:.1f} s ({rate})")
    return result


@pytest.fixture(scope="session")
def random_labels(gen_settings, mnist, pytestconfig) -> ExperimentResult:
    return obtain("random_labels", gen_settings, mnist, pytestconfig)


@pytest.fixture(scope="session")
def width_sweep(gen_settings, mnist, pytestconfig) -> ExperimentResult:
    return obtain("width_sweep", gen_settings, mnist, pytestconfig)


@pytest.fixture(scope="session")
def interpolation(gen_settings, mnist, pytestconfig) -> ExperimentResult:
    return obtain("interpolation", gen_settings, mnist, pytestconfig)


@pytest.fixture(scope="session")
def batch_sweep(gen_settings, mnist, pytestconfig) -> ExperimentResult:
    return obtain("batch_sweep", gen_settings, mnist, pytestconfig)


@pytest.fixture
def claim(request: pytest.FixtureRequest, gen_settings: Settings) -> Claim:
    return Claim(request.node, gen_settings)
