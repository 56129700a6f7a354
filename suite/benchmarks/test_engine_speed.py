"""The engine against the homework-style loop on three slices of the experiments, side by side.

The slices (:mod:`suite.benchmarks.slices`): one seed of the width sweep, a batch-sweep stack
(big: matmul-bound), and a random-labels stack (small: overhead-bound). Each engine run
reports in ``extra_info`` its ratio to the homework loop on the same slice, its time per step,
and its matmuls' FLOPs over the step's time against the rate the same matmul shapes reach
alone in the same run (``matmul_fraction``). A last test trains each slice beside a process
that keeps one core busy. Run alone, without xdist (pytest-benchmark disables itself there):

    pytest suite/ -m benchmark --benchmark-json reports/benchmark.json
"""

from __future__ import annotations

import dataclasses
import statistics
import time

import pytest
import torch

from suite.benchmarks.busy_core import busy_loop
from suite.benchmarks.slices import SLICES, Slice, matmul_rate, step_matmuls
from suite.data.splits import MnistSplits, load_mnist

#: The engine's per-epoch speed-up over the homework loop that each slice must keep on each
#: device: regression floors below the measured ratios (README "Speed"; CPU: 2-core EPYC, the
#: width slice 11.6-25.6x across machines). CUDA: no run has measured one yet (no GPU has been
#: lent), so the bar is only "not slower"; the first device run's ratios replace it
#: (``python -m suite.benchmarks.gpu_check``).
MIN_RATIO = {
    "cpu": {"width": 10.0, "batch": 10.0, "random_labels": 3.0},
    "cuda": {"width": 1.0, "batch": 1.0, "random_labels": 1.0},
}
#: The most a slice may slow down beside one busy core (CPU). The issue's target is 2x; a
#: matmul-bound stack on one of two cores is near 2x by arithmetic alone, and the stall this
#: guards against (every parallel region waiting for a thread whose core another process holds,
#: fixed by :mod:`suite.train.threads`) measured 3.5-4x on random labels: 2.5 catches it.
MAX_BUSY_RATIO = 2.5
#: Epochs of each slice in the busy-core test: ~2 s alone, so the thread policy's looks at the
#: load (at most one per 0.5 s) cover the run as they cover an experiment's.
BUSY_EPOCHS = {"width": 8, "batch": 8, "random_labels": 100}
#: On CUDA a call of ``train`` warms up and captures its graphs before the first epoch: the
#: steady-state epoch is (t(STEADY_EPOCHS x the slice) - t(the slice)) / (STEADY_EPOCHS - 1).
STEADY_EPOCHS = 6
CASES = [("width", "eager"), ("width", "compiled"), ("batch", "eager"), ("random_labels", "eager")]
CASES += [("random_labels", "compiled")]
# slow too: `pytest -m "not slow"` replaces addopts' `-m "not benchmark"` and must skip these
pytestmark = [pytest.mark.benchmark(min_rounds=3), pytest.mark.slow]


def _device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def _seconds(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


@pytest.fixture(scope="module")
def data() -> MnistSplits:
    return load_mnist(device=_device())


@pytest.fixture(scope="module")
def homework_seconds(data):
    """Each slice's homework loop: median over 3 rounds, measured once per module."""
    cpu = load_mnist()
    found: dict[str, float] = {}

    def get(name: str) -> float:
        if name not in found:
            slc = SLICES[name]
            found[name] = statistics.median(
                _seconds(slc.train_homework, cpu, _device()) for _ in range(3)
            )
        return found[name]

    return get


@pytest.mark.parametrize("name", list(SLICES))
def test_homework_style_baseline(benchmark, data, name):
    slc = SLICES[name]
    benchmark.group = f"{name}-slice"
    benchmark.pedantic(slc.train_homework, args=(load_mnist(), _device()), rounds=3, iterations=1)
    benchmark.extra_info["samples_per_s"] = _samples(slc) / benchmark.stats["median"]


def _samples(slc: Slice) -> int:
    return slc.n_train * slc.models * slc.epochs


def _engine_seconds(benchmark, slc: Slice, data: MnistSplits, engine: str) -> tuple[float, float]:
    """(the slice's steady time, its first call) through ``benchmark``."""
    device = data.train_x.device.type

    def run(times: int = 1) -> None:
        for _ in range(times):
            slc.train_engine(data, engine)
        if device == "cuda":
            torch.cuda.synchronize()

    first_s = _seconds(run)  # warm-up outside the timing: allocator, kernels, compilation
    if device == "cuda":  # steady state: the per-call warm-up and capture taken out
        one = statistics.median(_seconds(run, 1) for _ in range(5))
        benchmark.pedantic(run, args=(STEADY_EPOCHS,), rounds=5, iterations=1)
        steady = (benchmark.stats["median"] - one) / (STEADY_EPOCHS - 1)
        benchmark.extra_info["setup_per_call_s"] = one - steady
        return steady, first_s
    benchmark.pedantic(run, rounds=5, iterations=1)
    return benchmark.stats["median"], first_s


@pytest.mark.parametrize(("name", "engine"), CASES, ids=[f"{n}-{e}" for n, e in CASES])
def test_engine_is_faster_than_the_homework_loop(benchmark, data, homework_seconds, name, engine):
    slc = SLICES[name]
    benchmark.group = f"{name}-slice"
    engine_s, first_s = _engine_seconds(benchmark, slc, data, engine)
    baseline_s = homework_seconds(name)
    ratio = baseline_s / engine_s
    step, batches = slc.stepper(data)
    calls = step_matmuls(step, batches[0])
    flops = sum(c.flops * c.count for c in calls)
    step_s = engine_s / slc.steps
    alone = matmul_rate(calls) if data.train_x.device.type == "cpu" else float("nan")
    step_gflops = flops / step_s / 1e9
    benchmark.extra_info.update(
        device=data.train_x.device.type,
        slice=name,
        engine=engine,
        epoch_s=engine_s,
        first_call_s=first_s,
        step_ms=1000 * step_s,
        engine_samples_per_s=_samples(slc) / engine_s,
        baseline_samples_per_s=_samples(slc) / baseline_s,
        baseline_median_s=baseline_s,
        ratio=ratio,
        step_matmul_gflops=step_gflops,
        same_shape_matmul_gflops=alone,
        matmul_fraction=step_gflops / alone,
        matmul_shapes=[f"{c.op}{list(c.shapes)} x{c.count}" for c in calls],
    )
    print(
        f"\n{name} slice, {engine}: {engine_s:.3f} s (first call {first_s:.1f} s), "
        f"{1000 * step_s:.2f} ms/step; homework loop {baseline_s:.3f} s: {ratio:.1f}x; "
        f"matmuls {step_gflops:.0f} GFLOP/s over the step, {alone:.0f} alone "
        f"({100 * step_gflops / alone:.0f}%)"
    )
    floor = MIN_RATIO[data.train_x.device.type][name]
    assert ratio >= floor, f"{name} slice ({engine}) only {ratio:.1f}x the homework loop"


@pytest.mark.parametrize("name", list(SLICES))
def test_slice_beside_a_busy_core(benchmark, data, name):
    """The slice alone and beside a process spinning on one core, interleaved over 3 rounds
    (a drift in the machine's speed falls on both): ``extra_info["busy_ratio"]``."""
    if data.train_x.device.type != "cpu":
        pytest.skip("the busy-core run measures the CPU engine")
    slc = dataclasses.replace(SLICES[name], epochs=BUSY_EPOCHS[name])
    benchmark.group = f"{name}-busy-core"
    slc.train_engine(data)  # warm-up
    alone, busy = [], []

    def beside() -> None:
        loop = busy_loop()
        try:
            time.sleep(0.2)  # the loop's interpreter started
            busy.append(_seconds(slc.train_engine, data))
        finally:
            loop.kill()
            loop.wait()

    for _ in range(3):
        alone.append(_seconds(slc.train_engine, data))
        beside()
    benchmark.pedantic(beside, rounds=1, iterations=1)
    ratio = statistics.median(busy) / statistics.median(alone)
    benchmark.extra_info.update(
        slice=name,
        alone_s=statistics.median(alone),
        busy_s=statistics.median(busy),
        busy_ratio=ratio,
        threads=torch.get_num_threads(),
    )
    print(f"\n{name} slice beside a busy core: {ratio:.2f}x its time alone")
    assert ratio <= MAX_BUSY_RATIO, f"{name} slice {ratio:.2f}x slower beside a busy core"
