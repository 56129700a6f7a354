"""What a Ray task asks for, and the clear error when no node can give it (no Ray needed)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from suite.profiles import CI
from suite.run.jobs import JobSpec
from suite.run.ray_executor import _needs, unschedulable
from suite.train.seeds import SeedSet


def spec(device: str = "cpu", threads: int | None = 2) -> JobSpec:
    return JobSpec(
        name="random_labels",
        config=CI.random_labels,
        config_dict=asdict(CI.random_labels),
        seeds=SeedSet(0, 2),
        profile="ci",
        engine="eager",
        device=device,
        data_root=None,
        checksum="0" * 64,
        cache_dir=Path("unused"),
        threads=threads,
    )


def test_a_cpu_task_asks_one_cpu_per_thread_it_trains_with():
    # two 2-thread tasks on a 2-CPU node would otherwise run at once and oversubscribe it
    assert _needs(spec(threads=2)) == {"num_cpus": 2}
    assert _needs(spec(threads=1)) == {"num_cpus": 1}
    assert _needs(spec(threads=None)) == {"num_cpus": 1}


def test_a_cuda_task_asks_one_gpu():
    assert _needs(spec(device="cuda")) == {"num_gpus": 1}


def test_a_task_fits_when_one_node_has_enough():
    nodes = [{"CPU": 1.0}, {"CPU": 4.0, "GPU": 1.0}]
    assert unschedulable({"num_cpus": 4}, nodes) is None
    assert unschedulable({"num_gpus": 1}, nodes) is None


def test_cpus_spread_over_nodes_do_not_make_a_node_big_enough():
    problem = unschedulable({"num_cpus": 4}, [{"CPU": 2.0}, {"CPU": 2.0}])
    assert problem is not None
    assert "driver's 4 CPU threads" in problem
    assert "largest Ray node has 2 CPUs" in problem
    assert "OMP_NUM_THREADS=2" in problem


def test_a_cuda_task_on_a_cluster_without_gpus_is_refused():
    problem = unschedulable({"num_gpus": 1}, [{"CPU": 8.0}])
    assert problem == "a task needs {'GPU': 1}, but the largest Ray node offers {'GPU': 0}"


def test_an_empty_cluster_fits_nothing():
    assert unschedulable({"num_cpus": 1}, []) is not None


def test_a_directory_named_ray_is_not_ray(monkeypatch, tmp_path):
    """Ray's temporary directory /tmp/ray is a namespace package to find_spec from /tmp."""
    import importlib.machinery
    import importlib.util

    from suite.run.extras import ray_installed as installed

    (tmp_path / "ray").mkdir()
    folder = importlib.machinery.PathFinder.find_spec("ray", [str(tmp_path)])
    assert folder is not None and folder.origin is None
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: folder)
    assert not installed()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    assert not installed()
    package = importlib.machinery.PathFinder.find_spec("json")  # a real package, for contrast
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: package)
    assert installed()


class _FakeRay:
    """Just enough of the ``ray`` module for :meth:`RayExecutor._submit`: nodes, and tasks
    that record their options instead of running."""

    def __init__(self, nodes: list[dict[str, float]]):
        self._nodes, self.submitted = nodes, []

    def nodes(self):
        return [{"Alive": True, "Resources": r} for r in self._nodes]

    def remote(self, **_kw):
        fake = self

        class Task:
            def __init__(self, fn):
                self.fn = fn

            def options(self, **needs):
                class Bound:
                    def remote(self, spec, progress):
                        fake.submitted.append((needs, spec.name))
                        return f"ref-{spec.name}"

                return Bound()

        return Task


def _executor(monkeypatch, nodes, address=""):
    from suite.run.ray_executor import RayExecutor

    fake = _FakeRay(nodes)
    monkeypatch.setitem(sys.modules, "ray", fake)
    said: list[str] = []
    executor = RayExecutor(address, spec_of=lambda name: spec(), obtain=None, say=said.append)
    return executor, fake, said


def test_a_resubmitted_task_is_checked_like_the_first(monkeypatch):
    """The refill path (an entry the cache held at start and lost since) goes through the same
    schedulability check as the session's start: on the local instance, an error."""
    executor, fake, _ = _executor(monkeypatch, nodes=[{"CPU": 1.0}])
    with pytest.raises(RuntimeError, match="random_labels: a task trains with the driver's 2"):
        executor._submit("random_labels", spec(threads=2))
    assert fake.submitted == []


def test_on_a_cluster_an_undersized_task_is_submitted_with_a_warning(monkeypatch):
    executor, fake, said = _executor(monkeypatch, nodes=[{"CPU": 1.0}], address="auto")
    assert executor._submit("random_labels", spec(threads=2)) == "ref-random_labels"
    assert fake.submitted == [({"num_cpus": 2}, "random_labels")]
    assert any("warning" in line for line in said)
