"""The plugin end to end: the real claims, run by pytest the way a user runs them.

The claims run at a *tiny* profile (toy sizes, seconds of training; its verdicts mean nothing,
and the ``ci`` profile's expected refutations do not apply to it) in a throwaway project, each
run a fresh ``python -m pytest`` subprocess with its own xdist workers, terminal and exit code.
Usage errors stop before anything is trained, so they run in-process through ``pytester``.
Runs are module fixtures that several tests read, and runs that do not depend on each other go
in parallel, which keeps the file well under a minute on 2 idle CPU cores.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from pandas.testing import assert_frame_equal

import suite
from suite.data.idx import MnistUnavailable
from suite.data.splits import load_mnist
from suite.experiments import run_width_sweep
from suite.profiles import WidthSweep
from suite.run.extras import ray_installed
from suite.stats.verdicts import Verdict

TINY_CONFTEST = '''
"""The real claims at toy sizes, for the plugin's integration tests (verdicts mean nothing)."""
from dataclasses import replace

from suite.profiles import PROFILES, BatchSweep, Interpolation, Profile, RandomLabels, WidthSweep

TINY = Profile(
    name="tiny",
    seeds=3,
    description="toy sizes for the plugin's integration tests; its verdicts mean nothing",
    random_labels=RandomLabels(n_train=100, epochs=10, eval_every=5),
    width_sweep=WidthSweep(n_train=500, widths=(5, 10, 20), epochs=2),
    interpolation=Interpolation(n_train=500, hidden=(16,), epochs=1),
    batch_sweep=BatchSweep(n_train=1000, hidden=(16,), batch_sizes=(250, 500, 1000), epochs=1),
)
PROFILES[TINY.name] = TINY
# An absurd learning rate: the width sweep's losses are NaN when it is evaluated.
PROFILES["tiny-diverge"] = replace(
    TINY, name="tiny-diverge", width_sweep=replace(TINY.width_sweep, lr=1e30)
)

pytest_plugins = ["suite.plugin.hooks", "suite.plugin.fixtures"]
'''

BROKEN_CLAIMS = '''
"""Claims that cannot be decided: two runs per seed are too few for Kendall's tau (a ValueError)."""
import pandas as pd
import pytest

from suite.stats import rules
from suite.plugin.claim import refuted_at

TWO_RUNS = pd.DataFrame(
    {"seed": [0, 0, 1, 1], "sensitivity": [1.0, 2.0, 1.0, 2.0], "gap": [0.1, 0.2, 0.1, 0.2]}
)


def decide_on_two_runs(claim):
    decision = rules.within_seed_trend(
        TWO_RUNS, x="sensitivity", y="gap", direction="increasing", alpha=0.05
    )
    claim.record(decision, None)  # never reached


@pytest.mark.generalization("sensitivity-gap")
def test_rule_cannot_decide(claim):
    decide_on_two_runs(claim)


@pytest.mark.generalization("sensitivity-accuracy")
@refuted_at("tiny-diverge", "an expected refutation must not swallow an error", (-1.0, 1.0))
def test_rule_cannot_decide_where_a_refutation_is_expected(claim):
    decide_on_two_runs(claim)


@pytest.mark.generalization("no-such-claim")
def test_claim_id_missing_from_the_catalog(claim):
    pass
'''

# The claim files of the four experiments TINY_CONFTEST sizes; a claim file on another
# experiment joins these tests once its experiment has a tiny size there too.
CLAIM_FILES = ["test_random_labels.py", "test_width.py", "test_interpolation.py"]
CLAIM_FILES += ["test_sensitivity.py"]
CLAIM_IDS = {
    "interpolation-peak[independent]",
    "interpolation-peak[shared]",
    "random-labels-fit",
    "random-labels-chance",
    "random-labels-overfit",
    "sensitivity-gap",
    "sensitivity-accuracy",
    "width-monotone",
}
EXPERIMENTS = {"random_labels", "width_sweep", "interpolation", "batch_sweep"}
JUNIT_PROPERTIES = ["claim", "statistic", "threshold", "p_value", "verdict", "n_runs", "n_seeds"]
JUNIT_PROPERTIES += ["profile", "device"]
# What must agree between two runs of the same settings (not the wall time).
COMPARED = ("statistic", "threshold", "p", "verdict", "n_runs", "details")


@dataclass(frozen=True)
class Run:
    """One finished pytest run of the tiny project."""

    project: Path
    ret: int
    stdout: str
    stderr: str
    cache: Path
    report: Path  # the report's directory
    trainings: tuple[str, ...]  # the cache keys trained so far, one per training, at its end

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    @property
    def output(self) -> str:
        """Everything the run printed, for assertion messages."""
        return f"exit {self.ret}\n{self.stdout}\n{self.stderr}"

    def claims(self) -> dict[str, dict[str, Any]]:
        records = json.loads((self.report / "claims.json").read_text())
        by_id = {r["id"]: r for r in records}
        assert len(by_id) == len(records), "claims.json holds a claim twice"
        return by_id

    def table(self) -> dict[str, dict[str, str]]:
        """The terminal's claims table: each claim's cells by column name, cut at the header's
        column starts (a cell such as an interval may hold spaces)."""
        start = next(i for i, line in enumerate(self.lines) if "generalization claims" in line)
        header = self.lines[start + 1]
        names = header.split()
        starts = [header.index(f"{n} " if n != names[-1] else n) for n in names]
        rows = {}
        for line in self.lines[start + 3 :]:
            if line.startswith(("=", "  ")) or not line.strip():
                break  # the reasons listed under the table start with two spaces
            ends = [*starts[1:], None]
            cells = {n: line[a:b].strip() for n, a, b in zip(names, starts, ends, strict=True)}
            rows[cells["claim"]] = cells
        return rows


def trainings(cache: Path) -> tuple[str, ...]:
    """The cache keys trained, one per training, from ``<cache>/trainings.log``."""
    log = cache / "trainings.log"
    return tuple(line.split()[0] for line in log.read_text().splitlines()) if log.exists() else ()


class Pending:
    """A pytest run of the tiny project started in the background; ``result`` waits for it.

    Independent runs go in parallel: each spends much of its time importing and loading data on
    one core. Output goes to files, so a run never stalls on a full pipe nobody reads yet.
    """

    TIMEOUT_S = 300

    def __init__(self, project: Path, args: list[str], cache: str, report: str):
        self.project, self.cache, self.report = project, project / cache, project / report
        logs = project.parent / f"{project.name}-logs"
        logs.mkdir(exist_ok=True)
        self.out, self.err = logs / f"{report}.stdout", logs / f"{report}.stderr"
        env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
        env["OMP_NUM_THREADS"] = "1"  # runs share the cores; more threads would only contend
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pytest", *args],
                cwd=project,
                env=env,
                stdout=out,
                stderr=err,
            )
        self._run: Run | None = None

    def result(self) -> Run:
        if self._run is None:
            try:
                ret = self.process.wait(timeout=self.TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.stop()
                pytest.fail(f"pytest ran over {self.TIMEOUT_S} s:\n{self.out.read_text()}")
            self._run = Run(
                self.project,
                ret,
                self.out.read_text(),
                self.err.read_text(),
                self.cache,
                self.report,
                trainings(self.cache),
            )
        return self._run

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start_pytest(
    project: Path,
    *args: str,
    profile: str = "tiny",
    cache: str = "cache",
    report: str = "report",
) -> Pending:
    """``python -m pytest`` in ``project`` at ``profile``, on the CPU, as a user would run it.

    ``report`` names the run's report directory and its output files: give each run its own.
    """
    options = [
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        f"--gen-profile={profile}",
        "--gen-device=cpu",
        f"--gen-cache-dir={cache}",
        f"--gen-report={report}/index.html",
    ]
    return Pending(project, [*options, *args], cache, report)


def outcomes(junit: Path) -> dict[str, str]:
    """Each claim's pytest outcome in a JUnit file: passed, failure, error or skipped (xfail)."""
    result = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        kinds = [child.tag for child in case if child.tag in ("error", "failure", "skipped")]
        result[props["claim"]] = kinds[0] if kinds else "passed"
    return result


def read_time(run: Run, experiment: str) -> float:
    """Seconds the run took to read ``experiment`` from the cache, as its progress line says."""
    pattern = re.compile(rf"^{experiment}: read from the run cache \(\S+, ([0-9.]+) s\)$")
    times = [float(m.group(1)) for line in run.lines if (m := pattern.match(line))]
    assert len(times) == 1, f"no single cache read of {experiment}:\n{run.output}"
    return times[0]


def same_claims(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert {k: a[k] for k in COMPARED} == {k: b[k] for k in COMPARED}


def width_key(run: Run) -> str:
    (key,) = [k for k in run.trainings if k.startswith("width_sweep-")]
    return key


@pytest.fixture(scope="module")
def mnist_data():
    try:
        return load_mnist()
    except MnistUnavailable as error:
        pytest.skip(f"MNIST is not available here: {error}")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, mnist_data) -> Path:
    """A pytest project holding copies of the real claim files and the tiny profile."""
    root = tmp_path_factory.mktemp("tiny-project")
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "conftest.py").write_text(textwrap.dedent(TINY_CONFTEST))
    (root / "claims").mkdir()
    for name in CLAIM_FILES:
        shutil.copy(Path(suite.__file__).parent / "claims" / name, root / "claims" / name)
    (root / "broken").mkdir()
    (root / "broken" / "test_broken.py").write_text(textwrap.dedent(BROKEN_CLAIMS))
    return root


@pytest.fixture(scope="module")
def fresh_runs(project: Path) -> Iterator[dict[str, Pending]]:
    """The runs over fresh caches, started together."""
    runs = {
        # every claim, one process
        "serial": start_pytest(project, "claims", "-v", "--junitxml=junit.xml"),
        # every claim, two xdist workers
        "xdist": start_pytest(
            project, "claims", "-n", "2", cache="cache-xdist", report="report-xdist"
        ),
        # a width sweep that diverges, and claims whose rule cannot decide
        "failing": start_pytest(
            project,
            "claims/test_width.py",
            "broken",
            "--junitxml=junit-failing.xml",
            profile="tiny-diverge",
            cache="cache-failing",
            report="report-failing",
        ),
    }
    if RAY:
        # the same two runs through a local Ray instance (--gen-executor ray)
        runs["ray"] = start_pytest(
            project, "claims", "--gen-executor=ray", cache="cache-ray", report="report-ray"
        )
        runs["ray-failing"] = start_pytest(
            project,
            "claims/test_width.py",
            "--gen-executor=ray",
            "--junitxml=junit-ray-failing.xml",
            profile="tiny-diverge",
            cache="cache-ray-failing",
            report="report-ray-failing",
        )
    yield runs
    for run in runs.values():
        run.stop()


@pytest.fixture(scope="module")
def serial_run(fresh_runs) -> Run:
    return fresh_runs["serial"].result()


@pytest.fixture(scope="module")
def xdist_run(fresh_runs) -> Run:
    return fresh_runs["xdist"].result()


@pytest.fixture(scope="module")
def failing_run(fresh_runs) -> Run:
    return fresh_runs["failing"].result()


@pytest.fixture(scope="module")
def reruns(project: Path, serial_run: Run) -> Iterator[dict[str, Pending]]:
    """Runs over the serial run's cache (or copies of it), started together once it is done."""
    shutil.copytree(serial_run.cache, project / "cache-fresh")
    damaged = shutil.copytree(serial_run.cache, project / "cache-damaged")
    result_file = damaged / width_key(serial_run) / "result.json"
    data = bytearray(result_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    result_file.write_bytes(bytes(data))
    runs = {
        "again": start_pytest(project, "claims", "-q", report="report-again"),
        "fresh": start_pytest(
            project,
            "claims/test_width.py",
            "-q",
            "--gen-fresh",
            cache="cache-fresh",
            report="report-fresh",
        ),
        "damaged": start_pytest(
            project, "claims/test_width.py", cache="cache-damaged", report="report-damaged"
        ),
    }
    yield runs
    for run in runs.values():
        run.stop()


# --- bad input ----------------------------------------------------------------------------

PROC_MISSING = not Path("/proc/self").is_dir()
RAY = ray_installed()
NEEDS_RAY = pytest.mark.skipif(not RAY, reason="Ray is not installed (extra 'ray')")
USAGE_ERRORS = [
    # (args, text the one line says); run in a directory holding a file "a-file"
    (["--gen-profile", "papr"], "--gen-profile: unknown profile 'papr'"),
    (["--gen-device", "tpu"], "--gen-device must be auto, cpu or cuda, got 'tpu'"),
    (["--gen-engine", "jit"], "--gen-engine must be auto, eager or compiled, got 'jit'"),
    (["--gen-executor", "slurm"], "--gen-executor must be local or ray, got 'slurm'"),
    (["--gen-seeds", "0"], "--gen-seeds must be >= 1, got 0"),
    (["--gen-seeds", "x"], "--gen-seeds must be an integer, got 'x'"),
    (["--gen-seed-base", "x"], "--gen-seed-base must be an integer, got 'x'"),
    (["--gen-seed-base", "-1"], "--gen-seed-base must be >= 0, got -1"),
    (["--gen-seed-base=-1"], "--gen-seed-base must be >= 0, got -1"),
    (["--gen-data-root", "/does/not/exist"], "/does/not/exist is not a readable directory"),
    (
        ["--gen-data-root", "broken-root"],
        "--gen-data-root: broken MNIST file {root}/broken-root/MNIST/raw/train-labels-idx1-ubyte",
    ),
    (["--gen-report", "a-file/report.html"], "--gen-report: {root}/a-file exists and is not a"),
    (["--gen-report", "a-dir"], "--gen-report: {root}/a-dir is a directory"),
    (["--gen-cache-dir", "a-file/cache"], "--gen-cache-dir: {root}/a-file exists and is not a"),
    pytest.param(
        ["--gen-report", "/proc/gen-claims/report.html"],
        "--gen-report: /proc/gen-claims is not writable",
        marks=pytest.mark.skipif(PROC_MISSING, reason="no /proc"),
        id="report-under-proc",
    ),
    pytest.param(
        ["--gen-cache-dir", "/proc/gen-claims-cache"],
        "--gen-cache-dir: /proc/gen-claims-cache is not writable",
        marks=pytest.mark.skipif(PROC_MISSING, reason="no /proc"),
        id="cache-under-proc",
    ),
]


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def assert_usage_error(pytester: pytest.Pytester, args: list[str], says: str) -> None:
    """Exit code 4, one line naming the problem, and nothing new on disk."""
    (pytester.path / "a-file").write_text("not a directory\n")
    (pytester.path / "a-dir").mkdir()
    broken = pytester.path / "broken-root" / "MNIST" / "raw"  # a truncated label file
    broken.mkdir(parents=True)
    (broken / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + bytes(100))
    before = _tree(pytester.path)
    result = pytester.runpytest_inprocess(
        "-p",
        "suite.plugin.hooks",
        "--gen-cache-dir",
        "cache",
        "--gen-report",
        "out/index.html",
        *args,
    )
    printed = [line for line in [*result.outlines, *result.errlines] if line.strip()]
    assert result.ret == pytest.ExitCode.USAGE_ERROR, printed
    assert len(printed) == 1, printed
    assert printed[0].startswith("ERROR: ")
    assert says.format(root=pytester.path) in printed[0]
    assert _tree(pytester.path) == before


@pytest.mark.parametrize(("args", "says"), USAGE_ERRORS)
def test_bad_input_is_a_one_line_usage_error_that_writes_nothing(pytester, args, says):
    assert_usage_error(pytester, args, says)


def test_the_ray_executor_without_ray_names_the_extra(pytester, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ray" else find_spec(name, *a)
    )
    says = "--gen-executor ray: Ray is not installed; install the extra: pip install -e '.[ray]'"
    assert_usage_error(pytester, ["--gen-executor", "ray"], says)


@pytest.mark.slow
@NEEDS_RAY
def test_ray_gives_the_statistics_and_verdicts_of_a_local_run(fresh_runs, serial_run):
    ray_run = fresh_runs["ray"].result()
    assert ray_run.ret == serial_run.ret, ray_run.output
    assert "submitted to Ray" in ray_run.stdout, ray_run.output
    # the workers' own progress lines, relayed by the driver past pytest's capture
    assert re.search(r"^width_sweep: training \d+ seeds? on cpu", ray_run.stdout, re.M)
    local, remote = serial_run.claims(), ray_run.claims()
    assert local.keys() == remote.keys()
    for claim in local:
        same_claims(local[claim], remote[claim])


@pytest.mark.slow
@NEEDS_RAY
def test_a_run_that_diverges_on_a_ray_worker_is_inconclusive_as_locally(fresh_runs, failing_run):
    ray_run = fresh_runs["ray-failing"].result()
    local = outcomes(failing_run.project / "junit-failing.xml")
    remote = outcomes(ray_run.project / "junit-ray-failing.xml")
    assert remote["width-monotone"] == local["width-monotone"] == "error", ray_run.output
    assert ray_run.table()["width-monotone"]["verdict"] == "INCONCLUSIVE"
    assert not any(k.startswith("width_sweep-") for k in ray_run.trainings)  # nothing cached


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_asking_for_cuda_without_a_gpu_is_a_usage_error(pytester):
    assert_usage_error(pytester, ["--gen-device", "cuda"], "no CUDA device is available")


# --- a claims run -------------------------------------------------------------------------


@pytest.mark.slow
def test_a_claims_run_prints_every_claim_and_ends_naming_the_report(serial_run):
    assert serial_run.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), serial_run.output
    table = serial_run.table()
    assert set(table) == CLAIM_IDS, serial_run.output
    assert all(
        cells["verdict"].split()[0] in {v.value.upper() for v in Verdict}
        for cells in table.values()
    )
    last = serial_run.lines[-1]
    assert last.startswith("generalization report: "), serial_run.output
    written = Path(last.removeprefix("generalization report: "))
    assert written.resolve() == (serial_run.report / "index.html").resolve()


@pytest.mark.slow
def test_junit_xml_carries_every_claims_properties(serial_run):
    cases = ET.parse(serial_run.project / "junit.xml").getroot().iter("testcase")
    recorded = {}
    for case in cases:
        names = [p.get("name") for p in case.iter("property")]
        assert sorted(names) == sorted(JUNIT_PROPERTIES), case.get("name")
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        recorded[props["claim"]] = props
    assert set(recorded) == CLAIM_IDS
    claims = serial_run.claims()
    for claim_id, props in recorded.items():
        assert props["profile"] == "tiny"
        assert props["device"] == "cpu"
        assert props["verdict"] == claims[claim_id]["verdict"]
        assert int(props["n_runs"]) >= 3


@pytest.mark.slow
def test_the_report_directory_holds_the_page_and_one_record_per_claim(serial_run):
    page = (serial_run.report / "index.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html")
    claims = serial_run.claims()
    assert set(claims) == CLAIM_IDS
    assert {c["profile"] for c in claims.values()} == {"tiny"}
    assert all(c["verdict"] in {v.value for v in Verdict} for c in claims.values())


@pytest.mark.slow
def test_training_progress_is_visible_in_a_serial_run(serial_run):
    for line in ("width_sweep: epoch 2/2 ", "random_labels: epoch 10/10 "):
        assert any(x.startswith(line) for x in serial_run.lines), serial_run.output


# --- parallel and cached runs -------------------------------------------------------------


@pytest.mark.slow
def test_xdist_writes_one_report_and_trains_each_experiment_once(xdist_run, serial_run):
    assert xdist_run.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), xdist_run.output
    assert set(xdist_run.claims()) == CLAIM_IDS
    assert [x for x in xdist_run.lines if x.startswith("generalization report: ")] == [
        f"generalization report: {xdist_run.report / 'index.html'}"
    ]
    trained = Counter(xdist_run.trainings)
    assert {key.rsplit("-", 1)[0] for key in trained} == EXPERIMENTS
    assert set(trained.values()) == {1}, trained
    assert set(trained) == set(serial_run.trainings), "the cache key depends on the process"


@pytest.mark.slow
def test_xdist_reaches_the_verdicts_of_a_serial_run(xdist_run, serial_run):
    parallel, serial = xdist_run.claims(), serial_run.claims()
    assert {k: c["verdict"] for k, c in parallel.items()} == {
        k: c["verdict"] for k, c in serial.items()
    }
    for claim_id, claim in parallel.items():
        assert claim["n_runs"] == serial[claim_id]["n_runs"]
        if claim["statistic"] is not None:
            assert claim["statistic"] == pytest.approx(serial[claim_id]["statistic"], rel=1e-6)


@pytest.mark.slow
def test_a_second_run_reads_everything_from_the_cache(reruns, serial_run):
    again = reruns["again"].result()
    assert again.ret == serial_run.ret, again.output
    assert again.trainings == serial_run.trainings
    assert not any("training" in line for line in again.lines), again.output
    # Each on a line of its own with -q too, not after the progress letters of earlier tests.
    assert all(read_time(again, name) < 2.0 for name in EXPERIMENTS)
    assert set(again.table()) == CLAIM_IDS, "no claims table with -q"
    first, second = serial_run.claims(), again.claims()
    for claim_id in CLAIM_IDS:
        same_claims(first[claim_id], second[claim_id])


@pytest.mark.slow
def test_gen_fresh_retrains_and_gets_the_same_numbers(reruns, serial_run):
    fresh = reruns["fresh"].result()
    assert fresh.trainings == (*serial_run.trainings, width_key(serial_run)), fresh.output
    assert any(line.startswith("width_sweep: epoch 2/2 ") for line in fresh.lines), fresh.output
    same_claims(fresh.claims()["width-monotone"], serial_run.claims()["width-monotone"])


@pytest.mark.slow
def test_a_corrupt_cache_entry_warns_once_and_is_recomputed(reruns, serial_run):
    rerun = reruns["damaged"].result()
    entry = rerun.cache / width_key(serial_run)
    assert rerun.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), rerun.output
    warned = [line for line in rerun.lines if "is corrupt" in line]
    assert len(warned) == 1 and str(entry) in warned[0], rerun.output
    assert rerun.trainings == (*serial_run.trainings, width_key(serial_run))
    manifest = json.loads((entry / "manifest.json").read_text())
    result = (entry / "result.json").read_bytes()
    assert manifest["result.json"] == hashlib.sha256(result).hexdigest()
    same_claims(rerun.claims()["width-monotone"], serial_run.claims()["width-monotone"])


# --- what goes wrong is inconclusive ------------------------------------------------------


def test_diverged_training_is_inconclusive_and_not_cached(failing_run):
    assert failing_run.ret == pytest.ExitCode.TESTS_FAILED, failing_run.output
    claim = failing_run.claims()["width-monotone"]
    assert claim["verdict"] == "inconclusive"
    assert "diverged" in claim["details"]["error"]
    assert "lr 1e+30" in claim["details"]["error"], "the config is not named"
    assert outcomes(failing_run.project / "junit-failing.xml")["width-monotone"] == "error"
    assert failing_run.table()["width-monotone"]["verdict"] == "INCONCLUSIVE"
    entries = [p for p in failing_run.cache.iterdir() if p.name.startswith("width_sweep-")]
    assert [p for p in entries if p.is_dir()] == [], "a diverged run was cached"
    checkpoints = failing_run.cache / "checkpoints"
    stale = list(checkpoints.glob("width_sweep-*/*")) if checkpoints.exists() else []
    assert stale == [], "a diverged state was kept to resume from"


@pytest.mark.parametrize(
    ("claim_id", "error"),
    [
        ("sensitivity-gap", "ValueError: a within-seed trend needs at least 3 runs per seed"),
        ("sensitivity-accuracy", "ValueError: a within-seed trend needs at least 3 runs"),
        ("no-such-claim", "claim id 'no-such-claim' is not registered"),
    ],
    ids=["plain", "where-a-refutation-is-expected", "unknown-claim-id"],
)
def test_an_error_that_is_not_a_refutation_is_inconclusive(failing_run, claim_id, error):
    claim = failing_run.claims()[claim_id]
    assert claim["verdict"] == "inconclusive"
    assert error in claim["details"]["error"]
    assert outcomes(failing_run.project / "junit-failing.xml")[claim_id] in ("failure", "error")


# --- experiments are deterministic --------------------------------------------------------


def test_an_experiment_run_twice_gives_identical_frames(mnist_data):
    cfg = WidthSweep(n_train=300, widths=(5, 10), epochs=2, eval_every=1)
    first = run_width_sweep(cfg, mnist_data, 2)
    torch.rand(1000)  # the global RNG moves between the runs; the experiment must not care
    second = run_width_sweep(cfg, mnist_data, 2)
    assert first.frames.keys() == second.frames.keys()
    for name, frame in first.frames.items():
        assert_frame_equal(frame, second.frames[name], check_exact=True)
