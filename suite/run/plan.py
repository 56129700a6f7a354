"""What a session trains, and how: a plan of experiments, and executors that run it.

At session start the fixtures ask :func:`plan_for` which experiments the collected claims need
and how long each one's chain of sequential steps is; an executor then runs the plan, and each
experiment fixture waits on its result. The plan is plain data (names and step counts), so
another executor (Ray, past one machine) can run the same plan.

* :class:`LazyExecutor` (CPU, and every pytest-xdist worker): an experiment trains when its
  fixture first asks for it, as before the plan existed. Two CPU cores are busy with one stack
  already; running two at once only interleaves them.
* :class:`StreamExecutor` (one CUDA device): every planned experiment starts at once in its own
  thread and CUDA stream, the longest chain first. A stack of small MLPs leaves an H100 nearly
  idle, so the experiments overlap instead of queueing, and the session takes about as long as
  its longest chain.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass
from typing import Any, Protocol

from suite.profiles import Profile
from suite.records import experiment_record

Run = Callable[[str], Any]  # experiment name -> its result


@dataclass(frozen=True)
class Job:
    """One experiment of the plan and its chain: the optimizer steps it takes one after another."""

    name: str
    steps: int


@dataclass(frozen=True)
class Plan:
    jobs: tuple[Job, ...]  # longest chain first

    @property
    def names(self) -> list[str]:
        return [job.name for job in self.jobs]


def chain_steps(name: str, cfg: Any) -> int:
    """Sequential steps of experiment ``name`` at its budget (its record counts them)."""
    return int(experiment_record(name).steps(cfg))


def plan_for(names: Iterable[str], profile: Profile) -> Plan:
    """The experiments ``names`` (each once) at ``profile``, the longest chain first."""
    jobs = {name: Job(name, _steps_or_none(name, profile)) for name in names}
    return Plan(tuple(sorted(jobs.values(), key=lambda j: (-j.steps, j.name))))


def _steps_or_none(name: str, profile: Profile) -> int:
    """The chain's steps; 0 for an experiment with no settings at ``profile`` (a user's record
    for other profiles), which then fails its own claims when obtained, not the whole plan."""
    try:
        return chain_steps(name, profile.experiment(name))
    except LookupError:
        return 0


class Executor(Protocol):
    def start(self, plan: Plan, run: Run) -> None:
        """Begin the plan; ``run(name)`` trains (or reads from the cache) one experiment."""

    def result(self, name: str) -> Any:
        """The result of a planned experiment, waiting for it; errors are raised here."""

    def cancel(self) -> None:
        """Drop what has not started (the session is ending); a running job may finish."""


class LazyExecutor:
    """Runs an experiment when it is first asked for, once; what the CPU path always did."""

    def __init__(self) -> None:
        self._run: Run | None = None
        self._done: dict[str, Any] = {}
        self._lock = threading.Lock()

    def start(self, plan: Plan, run: Run) -> None:
        self._run = run

    def result(self, name: str) -> Any:
        if self._run is None:
            raise RuntimeError("the executor has not been started")
        with self._lock:
            if name not in self._done:
                self._done[name] = self._run(name)
            return self._done[name]

    def cancel(self) -> None:
        """Nothing runs ahead of a request, so there is nothing to drop."""


class StreamExecutor:
    """Every job at once, each in a thread with a CUDA stream of its own, longest first.

    The worker threads must not touch pytest's terminal; ``on_wait`` is called on the waiting
    (main) thread about twice a second while a result is pending, so progress the workers
    queued is printed from there. ``cancel`` drops jobs not yet started (a job running stops at
    its next progress report if its ``run`` checks, as the fixtures' does).
    """

    def __init__(self, device: str, on_wait: Callable[[], None] | None = None):
        self.device = device
        self.on_wait = on_wait or (lambda: None)
        self._futures: dict[str, Future] = {}
        self._pool: ThreadPoolExecutor | None = None

    def start(self, plan: Plan, run: Run) -> None:
        import torch

        self._pool = ThreadPoolExecutor(max_workers=max(1, len(plan.jobs)))
        cuda = torch.device(self.device).type == "cuda"

        def on_own_stream(name: str) -> Any:
            if not cuda:  # the same threads without streams (what the CPU tests exercise)
                return run(name)
            from suite.train.streams import cuda_streams

            # the thread's own stream (a pooled one no other live thread owns), which its
            # stacks' warm-ups and captures use too
            with torch.cuda.device(self.device), torch.cuda.stream(cuda_streams().own()):
                result = run(name)
                torch.cuda.current_stream().synchronize()
                return result

        for name in plan.names:  # submitted in plan order: the longest chain starts first
            self._futures[name] = self._pool.submit(on_own_stream, name)

    def result(self, name: str) -> Any:
        if name not in self._futures:
            raise KeyError(f"{name} is not in the plan ({', '.join(self._futures)})")
        future = self._futures[name]
        while True:
            try:
                return future.result(timeout=0.5)
            except FuturesTimeout:
                self.on_wait()
            finally:
                if future.done():
                    self.on_wait()

    def cancel(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


def executor_for(device: str, workers: int, on_wait: Callable[[], None] | None = None) -> Executor:
    """Streams on a CUDA device in a single-process run; otherwise experiments as asked."""
    if device.startswith("cuda") and workers <= 1:
        return StreamExecutor(device, on_wait)
    return LazyExecutor()
