"""The session plan: which experiments, in which order, and the executors that run it."""

from __future__ import annotations

import threading

import pytest
import torch

from suite.profiles import CI, PAPER
from suite.run.plan import LazyExecutor, StreamExecutor, chain_steps, executor_for, plan_for


def test_the_plan_holds_each_experiment_once_longest_chain_first():
    plan = plan_for(["width_sweep", "interpolation", "width_sweep", "random_labels"], PAPER)
    assert sorted(plan.names) == ["interpolation", "random_labels", "width_sweep"]
    steps = [job.steps for job in plan.jobs]
    assert steps == sorted(steps, reverse=True)
    # the paper profile's critical path: interpolation's batch-64 run, 860 steps x 500 epochs
    assert plan.names[0] == "interpolation"
    assert chain_steps("interpolation", PAPER.interpolation) == 500 * (860 + 54)


def test_chain_steps_count_every_stack_of_the_measures_grid_once():
    cfg = CI.measures
    stacks = {(b, cfg.base_lr) for b in cfg.batch_sizes} | {(cfg.base_batch, lr) for lr in cfg.lrs}
    expected = sum(cfg.epochs * -(-cfg.n_train // b) for b, _ in stacks)
    assert chain_steps("measures", cfg) == expected
    with pytest.raises(LookupError, match="no experiment named 'mnist'"):
        chain_steps("mnist", cfg)


def test_the_lazy_executor_runs_an_experiment_once_when_first_asked():
    calls = []
    executor = LazyExecutor()
    executor.start(plan_for(["random_labels", "width_sweep"], CI), lambda n: calls.append(n) or n)
    assert calls == []  # nothing runs at start: the CPU path trains what a fixture asks for
    assert executor.result("width_sweep") == "width_sweep"
    assert executor.result("width_sweep") == "width_sweep"
    assert calls == ["width_sweep"]


def test_the_lazy_executor_runs_once_under_concurrent_requests():
    calls = []
    executor = LazyExecutor()
    executor.start(plan_for(["random_labels"], CI), lambda n: calls.append(n) or n)
    threads = [threading.Thread(target=executor.result, args=("random_labels",)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["random_labels"]


def test_cpu_and_xdist_workers_run_lazily_a_single_cuda_process_on_streams():
    assert isinstance(executor_for("cpu", 1), LazyExecutor)
    assert isinstance(executor_for("cuda:0", 2), LazyExecutor)
    assert isinstance(executor_for("cuda:0", 1), StreamExecutor)


@pytest.mark.cuda
def test_the_stream_executor_runs_every_job_on_its_own_stream():
    executor = StreamExecutor("cuda:0")
    seen = {}

    def run(name):
        seen[name] = torch.cuda.current_stream().cuda_stream
        return name

    executor.start(plan_for(["random_labels", "width_sweep"], CI), run)
    assert executor.result("random_labels") == "random_labels"
    assert executor.result("width_sweep") == "width_sweep"
    default = torch.cuda.default_stream().cuda_stream
    assert len(set(seen.values())) == 2 and default not in seen.values()


def test_the_stream_executor_starts_every_job_and_relays_progress_on_the_waiting_thread():
    posted, printed = [], []
    gate = threading.Event()

    def run(name):
        posted.append((name, threading.current_thread() is threading.main_thread()))
        if name == "width_sweep":
            gate.wait(5)  # held until the other job has run: both run at once
        else:
            gate.set()
        return name

    executor = StreamExecutor("cpu", on_wait=lambda: printed.append("drained"))
    executor.start(plan_for(["random_labels", "width_sweep"], CI), run)
    assert executor.result("width_sweep") == "width_sweep"
    assert executor.result("random_labels") == "random_labels"
    assert sorted(posted) == [("random_labels", False), ("width_sweep", False)]
    assert printed  # the waiting thread was handed the chance to print
    with pytest.raises(KeyError, match="measures is not in the plan"):
        executor.result("measures")


def test_every_executor_can_be_cancelled():
    # the session's teardown cancels whatever executor it has, without asking first
    from suite.run import plan
    from suite.run.ray_executor import RayExecutor

    for cls in (plan.LazyExecutor, plan.StreamExecutor, RayExecutor):
        assert callable(getattr(cls, "cancel", None)), cls.__name__
    plan.LazyExecutor().cancel()


def test_loading_the_plugin_imports_neither_ray_torch_matplotlib_nor_scipy():
    # every pytest start loads the plugin (in any project that installed it); training,
    # plotting and the rules load when a run needs them
    import subprocess
    import sys

    code = (
        "import sys, suite.plugin.hooks, suite.plugin.fixtures, suite.plugin.options as o; "
        "o.ray_installed(); "
        "print(sorted(m for m in ('torch', 'ray', 'matplotlib', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_homework_record_resolves_its_runner_figure_and_settings():
    from suite.profiles import PAPER, Profile
    from suite.records import records

    homework = [r for r in records() if r.builtin]
    assert [r.name for r in homework] == [
        "random_labels",
        "width_sweep",
        "interpolation",
        "batch_sweep",
        "label_corruption",
        "measures",
    ]
    for record in homework:
        assert callable(record.runner()) and record.runner().__name__ == f"run_{record.name}"
        from suite.report.figures import figure_for

        assert figure_for(record.name) is not None
        assert record.name in Profile.__dataclass_fields__
        assert PAPER.experiment(record.name) is getattr(PAPER, record.name)
        assert record.title
