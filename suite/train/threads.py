"""Intra-op threads while a stack trains: the configured count, fewer while others hold cores.

Every parallel region of a step ends at a barrier that waits for all of its threads. When
another process keeps one of the cores busy, the thread on that core runs a scheduler slice
late and every region waits for it: random labels at ``ci`` trained 3.5-4x slower beside one
busy core with 2 threads, 1.7x with one (README "Speed"). So between epochs
:class:`ThreadPolicy` looks at how many of this process's cores other processes used since
its last look (:class:`CpuLoad`, from ``/proc/stat`` less this process's own CPU time) and
trains on the cores left, never more than configured (``torch.get_num_threads()`` when the
stack started: the xdist and Ray shares keep theirs), never fewer than one.

A thread count can change a matmul's summation order (MKL splits long inner dimensions across
threads: on a 2-core EPYC, 784 x 60,000 x 21 differs between 2 and 3 threads, not between 1 and
2), so the policy only adapts a stack whose step is the same to the bit at every count it may
choose (:func:`invariant_counts`: a full and a short step per count from the stack's
initialization, taken the first time the load calls for fewer threads); otherwise the stack
keeps the configured count. Evaluation and the measures between epochs go through
:func:`suite.train.fitting.fitting_load`, which does the same for a pure computation.
``GEN_ADAPTIVE_THREADS=0`` turns the policy off.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence

import torch
from torch import Tensor

ENV = "GEN_ADAPTIVE_THREADS"
#: the shortest window a look at the load averages over: shorter ones see scheduler noise
MIN_WINDOW_S = 0.5


def enabled() -> bool:
    return os.environ.get(ENV, "1") != "0" and os.path.exists("/proc/stat")


class CpuLoad:
    """Cores of this process's affinity set that other processes used between two looks."""

    def __init__(self, cpus: Sequence[int] | None = None) -> None:
        self.cpus = sorted(os.sched_getaffinity(0)) if cpus is None else list(cpus)
        self._tick = os.sysconf("SC_CLK_TCK")
        self._last = self._sample()
        #: the last value :meth:`others` returned (None before the first window closed)
        self.last: float | None = None

    def _busy_seconds(self) -> float:
        """CPU seconds the cores of ``cpus`` spent busy since boot (every process)."""
        names = {f"cpu{c}" for c in self.cpus}
        busy = 0
        with open("/proc/stat") as stat:
            for line in stat:
                fields = line.split()
                if fields and fields[0] in names:
                    # user nice system idle iowait irq softirq steal (guest is inside user)
                    user, nice, system, _, _, irq, softirq, steal = map(int, fields[1:9])
                    busy += user + nice + system + irq + softirq + steal
        return busy / self._tick

    def _sample(self) -> tuple[float, float, float]:
        own = os.times()
        return time.monotonic(), self._busy_seconds(), own.user + own.system

    def others(self, min_window_s: float = MIN_WINDOW_S) -> float | None:
        """Cores other processes kept busy on average since the last look that returned a
        value; None while the window is shorter than ``min_window_s`` (then ``/proc/stat`` is
        not read: evaluation and copies look at every call)."""
        if time.monotonic() - self._last[0] < min_window_s:
            return None
        now = self._sample()
        wall = now[0] - self._last[0]
        busy, own = now[1] - self._last[1], now[2] - self._last[2]
        self._last = now
        self.last = max(0.0, (busy - own) / wall)
        return self.last

    def recent(self) -> float:
        """:meth:`others` over the window since the last look, or the last window's value while
        this one is too short (0 before any): for calls that come faster than a window."""
        now = self.others()
        return now if now is not None else (self.last or 0.0)


def choices(configured: int) -> list[int]:
    """The counts the policy may pick: the configured one, 1, and the powers of two between
    (each must pass :func:`invariant_counts`, so they are kept few)."""
    found = {configured, 1}
    k = 2
    while k < configured:
        found.add(k)
        k *= 2
    return sorted(found)


def probe_batches(units: int, n: int, batch_size: int, device: torch.device) -> list[Tensor]:
    """Fixed random index batches of an epoch's shapes, a full batch and the short last one
    if the epoch has one: what a stack's probe steps on (the run's batch order untouched)."""
    generator = torch.Generator().manual_seed(0)
    sizes = sorted({batch_size, n % batch_size} - {0}, reverse=True)
    return [torch.randint(0, n, (units, b), generator=generator).to(device) for b in sizes]


def invariant_counts(probe: Callable[[], Sequence[Tensor]], counts: Sequence[int]) -> list[int]:
    """The counts at which ``probe()`` (one step from the same state) gives bit for bit what
    it gives at the first; the first always."""
    saved = torch.get_num_threads()
    try:
        results = []
        for k in counts:
            torch.set_num_threads(k)
            results.append([t.detach().clone() for t in probe()])
    finally:
        torch.set_num_threads(saved)
    first = results[0]
    return [
        k
        for k, got in zip(counts, results, strict=True)
        if all(torch.equal(a, b) for a, b in zip(first, got, strict=True))
    ]


class ThreadPolicy:
    """Picks the threads of each epoch from the load; :meth:`epoch` (or :meth:`before_epoch`
    and :meth:`after_epoch`) sets them around one.

    ``verify(counts)`` returns the counts among ``counts`` that change no number; it is asked
    once, the first time the load calls for fewer threads than configured, so a stack on an
    idle machine never pays for it.

    It trains on the cores others leave. Timing each count under load and keeping the faster
    (as :func:`suite.train.fitting.fitting_load` does for a computation it checks) was tried
    and measured worse: a stack explores the stalling count for at least one epoch (the width
    sweep's are seconds long, label corruption narrows to a new stack five times), and beside
    one busy core of two the cores left were never slower for a stack by more than the
    exploration cost (README "Speed").
    """

    def __init__(
        self,
        counts: Sequence[int],
        load: CpuLoad | None = None,
        verify: Callable[[list[int]], list[int]] | None = None,
    ) -> None:
        self.configured = torch.get_num_threads()
        self.allowed = sorted(k for k in counts if k <= self.configured) or [self.configured]
        self.load = load if load is not None and len(self.allowed) > 1 else None
        # the cores the load is counted on: an xdist worker's share is fewer than these
        self.cores = len(load.cpus) if load is not None else self.configured
        self.verify = verify
        self.threads = self.configured

    def pick(self, others: float | None) -> int:
        """The largest allowed count that fits the cores others leave (all of them counted:
        two xdist workers of 8 threads on 16 cores leave each other 8); unchanged while the
        window is too short to say."""
        if others is None:
            return self.threads
        free = min(self.configured, max(1, self.cores - round(others)))
        if free < self.configured and self.verify is not None:
            verify, self.verify = self.verify, None
            # the configured count first: the others are compared with it
            self.allowed = sorted(verify(sorted({*self.allowed, self.configured}, reverse=True)))
        self.threads = max([k for k in self.allowed if k <= free] or [self.configured])
        return self.threads

    def before_epoch(self) -> None:
        if self.load is not None:
            # while this window is short, the last one's load: a window that closed during the
            # hook (its evaluation looks too) or under the stack this one replaces (label
            # corruption's narrowed stacks) still says how many cores are free
            others = self.load.others()
            torch.set_num_threads(
                self.pick(getattr(self.load, "last", None) if others is None else others)
            )

    @contextlib.contextmanager
    def epoch(self) -> Iterator[None]:
        """An epoch and what follows it up to the hook (the parameters' copies, the same at
        any count) at the epoch's threads; the configured count after it."""
        self.before_epoch()
        try:
            yield
        finally:
            self.after_epoch()

    def after_epoch(self) -> None:
        """Back to the configured count: the hook and the caller run at it (evaluation and
        measures through :func:`suite.train.fitting.fitting_load`)."""
        if torch.get_num_threads() != self.configured:
            torch.set_num_threads(self.configured)


_LOAD: list[CpuLoad] = []


def shared_load() -> CpuLoad:
    """One :class:`CpuLoad` per process, so that a stack's first look sees the load since the
    previous stack's last one (a stack may train for less than a window)."""
    if not _LOAD:
        _LOAD.append(CpuLoad())
    return _LOAD[0]


def policy_for(
    device: torch.device, engine: str, probe: Callable[[], Sequence[Tensor]]
) -> ThreadPolicy:
    """The policy of a stack: adaptive on CPU, for the eager engine (inductor's C++ fixes its
    thread count when it compiles), at the counts ``probe`` shows change no number."""
    configured = torch.get_num_threads()
    if device.type != "cpu" or engine != "eager" or configured == 1 or not enabled():
        return ThreadPolicy([configured])
    return ThreadPolicy(
        choices(configured), shared_load(), lambda counts: invariant_counts(probe, counts)
    )
