"""The session's plan on a Ray cluster (``--gen-executor ray``; the optional extra ``ray``).

Every planned experiment that the run cache does not hold yet becomes one Ray task, submitted
at session start with its resource needs (one GPU where the session trains on CUDA, else one
CPU per core it may use). A task trains in a Ray worker through
:func:`suite.run.jobs.run_job`: the worker loads MNIST through its own data layer
(checksummed against the driver's), resumes from checkpoints on its own disk, and returns the
whole result (frames and weights) through the object store. The driver alone writes the run
cache, and only a finished result, so no shared filesystem is needed and a dead worker leaves no
partial entry.

Faults: a worker process that dies (killed, node lost) is a system failure, which Ray retries
(``max_retries``); training is deterministic, so the retry ends with the same numbers. A task
that fails for its own reason (a diverged run: FloatingPointError) is not retried; the error
reaches the claim as it would locally (INCONCLUSIVE).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any

from suite.run.jobs import JobSpec, run_job
from suite.run.plan import Plan
from suite.train.cache import RunCache
from suite.train.frames import ExperimentResult

#: Retries of a task whose worker died (Ray's default is 3; said here because the design
#: relies on it).
MAX_RETRIES = 3


def _train_remotely(spec: JobSpec, progress: Any = None) -> ExperimentResult:
    """The body of the Ray task: train ``spec`` in this worker. Progress lines go to
    ``progress`` (a :class:`ProgressLines` actor the driver drains and prints on its terminal,
    which pytest's capture would keep from Ray's own log forwarding), else to the worker's stdout.

    The lines are sent without waiting for the actor: a task blocked in ``ray.get`` can lend its
    CPUs back to Ray, which then starts the next task beside it (with ``ray.util.queue.Queue``'s
    blocking put, two 2-thread tasks shared the 2 cores and full ci ran ~10x slower than
    locally).
    """
    say = Sender(progress)
    result = run_job(spec, None, say)
    say.flush()  # every line is with the actor before the driver learns the task is done
    return result


class Sender:
    """How a task says a line: to the driver's :class:`ProgressLines` actor without waiting
    (``ray.get`` while training could lend this task's CPUs to another), else to stdout.
    ``flush`` waits for the last line, hence for all (one caller's actor calls run in order)."""

    def __init__(self, progress: Any = None):
        self.progress, self.last = progress, None

    def __call__(self, message: str) -> None:
        if self.progress is None:
            print(message, flush=True)
        else:
            self.last = self.progress.put.remote(message)

    def flush(self) -> None:
        if self.last is not None:
            import ray

            # the lines' actor gone (its node lost): lose the lines, not a finished result
            with contextlib.suppress(ray.exceptions.RayError):
                ray.get(self.last)


class ProgressLines:
    """The workers' progress lines, in the order each worker sent them (a Ray actor)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def put(self, line: str) -> None:
        self.lines.append(line)

    def take(self) -> list[str]:
        lines, self.lines = self.lines, []
        return lines


def connect(address: str) -> None:
    """Join the cluster at ``address`` ("auto" or host:port), or start a local Ray instance
    with this machine's CPUs and GPUs when it is empty."""
    import ray

    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, log_to_driver=True)
    else:
        ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, log_to_driver=True)


class RayExecutor:
    """Submit the plan's untrained experiments as Ray tasks; results come back to the driver.

    ``spec_of(name)`` gives the job of an experiment's first round (submitted at start; a later
    round is submitted when the driver's looks ask for it); ``obtain(name, train)`` is the driver's
    cache-aware fetch (:func:`suite.run.obtain.obtain`), given ``train`` = wait for the task.
    """

    def __init__(
        self,
        address: str,
        spec_of: Callable[[str], JobSpec],
        obtain: Callable[[str, Callable[[JobSpec], ExperimentResult]], ExperimentResult],
        say: Callable[[str], None] = print,
    ):
        self.address, self.spec_of, self.obtain, self.say = address, spec_of, obtain, say
        self.refs: dict[str, Any] = {}
        self.progress: Any = None  # the workers' progress lines (a ProgressLines actor)

    def start(self, plan: Plan, run: Callable[[str], Any]) -> None:
        import ray

        connect(self.address)
        # an actor that holds no CPU: it must not wait for (or take) a training task's slot
        self.progress = ray.remote(num_cpus=0)(ProgressLines).remote()
        for name in plan.names:  # longest chain first
            spec = self.spec_of(name)
            if RunCache(spec.cache_dir).holds(spec.key) and not spec.fresh:
                continue
            self.refs[spec.key] = self._submit(name, spec)

    def _submit(self, name: str, spec: JobSpec) -> Any:
        """Send one experiment to Ray, after checking that some node can ever run it."""
        import ray

        needs = _needs(spec)
        nodes = [node["Resources"] for node in ray.nodes() if node.get("Alive")]
        if problem := unschedulable(needs, nodes):
            if not self.address:  # the local instance this session started cannot grow
                raise RuntimeError(f"{name}: {problem}")
            # a cluster may still be adding nodes (autoscaling): warn, let the task wait
            self.say(f"{name}: warning: {problem} (the task waits for such a node)")
        task = ray.remote(max_retries=MAX_RETRIES)(_train_remotely)
        ref = task.options(**needs).remote(_portable(_on_worker_device(spec)), self.progress)
        self.say(f"{name}: submitted to Ray ({needs})")
        return ref

    def result(self, name: str) -> ExperimentResult:
        import ray

        def wait(spec: JobSpec) -> ExperimentResult:
            ref = self.refs.get(spec.key)
            if ref is None:  # a later round, or the cache held it at start and lost it since
                ref = self.refs[spec.key] = self._submit(name, spec)
            while not ray.wait([ref], timeout=0.5)[0]:
                self._relay()
            self._relay()
            return ray.get(ref)

        return self.obtain(name, wait)

    def _relay(self) -> None:
        """Print the progress lines the workers sent (on the waiting, main thread)."""
        import ray

        for message in ray.get(self.progress.take.remote()):
            self.say(message)

    def cancel(self) -> None:
        import ray

        for ref in self.refs.values():
            ray.cancel(ref, force=True)


def _needs(spec: JobSpec) -> dict[str, float]:
    """A GPU for a CUDA job; else as many CPUs as the threads it trains with (the driver's).

    Asking fewer CPUs than threads would let Ray start several such tasks on one node, whose
    spinning OpenMP threads then share too few cores (up to 10x slower, as xdist workers were
    before ``suite.plugin.options.share_cpu_threads``). Fewer threads instead would change the
    numbers (the thread count fixes the matmuls' summation order)."""
    if spec.device.startswith("cuda"):
        return {"num_gpus": 1}
    return {"num_cpus": spec.threads or 1}


def unschedulable(needs: dict[str, float], nodes: list[dict[str, float]]) -> str | None:
    """Why no node of the cluster (each node's resources, as ``ray.nodes()`` lists them) can ever
    run a task with ``needs``, or None when one can. Ray would keep such a task pending forever.
    """
    wanted = {RESOURCE[k]: v for k, v in needs.items()}
    if any(all(node.get(k, 0) >= v for k, v in wanted.items()) for node in nodes):
        return None
    most = {k: max((node.get(k, 0) for node in nodes), default=0) for k in wanted}
    if "CPU" in wanted:
        return (
            f"a task trains with the driver's {wanted['CPU']:g} CPU threads (the count fixes "
            f"the numbers), but the largest Ray node has {most['CPU']:g} CPUs; run the driver "
            f"with fewer threads (OMP_NUM_THREADS={max(1, int(most['CPU']))}; under xdist, more "
            "workers: each takes cores / workers) or add larger nodes"
        )
    return f"a task needs {wanted}, but the largest Ray node offers {most}"


#: Ray's names of the resources a task asks for.
RESOURCE = {"num_cpus": "CPU", "num_gpus": "GPU"}


def _portable(spec: JobSpec) -> JobSpec:
    """A job of a user's experiment travels without its settings object, whose class lives in
    the user's file (a worker could not unpickle it): the worker runs that file
    (``spec.sources``) and takes the settings from the record (``run_job``)."""
    from dataclasses import replace

    return replace(spec, config=None) if spec.sources else spec


def _on_worker_device(spec: JobSpec) -> JobSpec:
    """A worker sees its GPU as cuda:0 (Ray sets CUDA_VISIBLE_DEVICES)."""
    from dataclasses import replace

    return replace(spec, device="cuda:0") if spec.device.startswith("cuda") else spec
