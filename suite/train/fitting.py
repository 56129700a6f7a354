"""Pure computations between epochs (an evaluation, a measure) at the threads the load leaves.

Beside a busy core, a computation of many parallel regions at the configured thread count
waits a scheduler slice at each region's barrier, as a training step does
(:mod:`suite.train.threads`): the batch sweep's sharpness ascents (~2,500 small forward and
backward passes) took 0.54 s a call at two threads beside a busy core and 0.22 s at one. So
:func:`fitting_load` runs such a computation at fewer threads, but only at counts where it
gives bit for bit what it gives at the configured count, checked once per signature of its
inputs; :func:`for_copies` runs copies, which are the same at any count, on the cores left
without a check. Both do nothing on an idle machine, off the CPU, at one configured thread
or with ``GEN_ADAPTIVE_THREADS=0``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import struct
import time
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

import numpy as np
import torch
from torch import Tensor

from suite.train import threads

T = TypeVar("T")

#: per (configured count, signature) of a pure computation, the counts that gave the configured
#: count's bits, with the seconds each took in the check (the fastest is used under load)
_FITTING: dict[Hashable, dict[int, float]] = {}

#: integer views of float dtypes, to compare bit patterns (0.0 and -0.0 differ)
_BITS = {
    torch.float64: torch.int64,
    torch.float32: torch.int32,
    torch.float16: torch.int16,
    torch.bfloat16: torch.int16,
}


def signature(*parts: Any) -> Hashable:
    """What decides how a computation splits across threads: the shapes and dtypes of its
    tensors and its other arguments' plain values (a dataclass by its fields; another object
    by its type and its ``name``, as a model is)."""

    def sig(obj: Any) -> Hashable:
        if isinstance(obj, Tensor):
            return ("tensor", tuple(obj.shape), str(obj.dtype), str(obj.device))
        if obj is None or isinstance(obj, int | float | str | bool | torch.device):
            return obj
        if isinstance(obj, list | tuple):
            return tuple(sig(o) for o in obj)
        if isinstance(obj, dict):
            return tuple((k, sig(v)) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0])))
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            fields = dataclasses.fields(obj)
            return (type(obj).__name__, tuple(sig(getattr(obj, f.name)) for f in fields))
        return (type(obj).__qualname__, getattr(obj, "name", None))

    return tuple(sig(p) for p in parts)


def same_bits(a: Any, b: Any) -> bool:
    """Whether two results are the same to the bit: tensors and arrays by their bit patterns
    (so 0.0 differs from -0.0, and a NaN equals the same NaN), containers element by element,
    floats by their IEEE bytes."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = _as_tensor(a), _as_tensor(b)
        if a is None or b is None:
            return False
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
            return False
        if a.dtype != b.dtype or a.shape != b.shape or a.device != b.device:
            return False
        as_int = _BITS.get(a.dtype)
        if as_int is None:
            return bool(torch.equal(a, b))
        return bool(torch.equal(a.contiguous().view(as_int), b.contiguous().view(as_int)))
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_bits(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_bits(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # an object whose == is not one truth value
        return False


def _as_tensor(x: Any) -> Tensor | None:
    try:
        return torch.from_numpy(np.ascontiguousarray(x)) if isinstance(x, np.ndarray) else None
    except TypeError:  # an array of objects
        return None


def fitting_load(
    key: Hashable,
    fn: Callable[[], T],
    device: torch.device | str = "cpu",
    probe: Callable[[], Any] | None = None,
) -> T:
    """``fn()``, a pure computation, at the threads the load leaves where no bit moves.

    The first time the load calls for fewer threads for a ``key`` (use :func:`signature` of
    everything that sets the computation's shapes), ``fn`` (or ``probe``, a cheaper call of
    the same shapes: an evaluation's first and last chunks) runs at every count of
    :func:`suite.train.threads.choices`, the global CPU generator rewound each time, and the
    counts whose results match the configured count's are kept for the key with their times.
    While the load lasts, the largest of them that fits the cores left runs, unless a larger
    one ran clearly faster in the check (:func:`_choose`; a probe's own times, so a probe of a
    few milliseconds keeps the cores left): fewer threads for many small regions, the
    configured count for a few large ones (a 153-model evaluation of 10,000 images as one
    784 x 9,792 GEMM per chunk, beside a busy core: 2.1 s at 2 threads, 2.6 s at one; its two
    threads get more of the machine than one). A count at which the check's call (``fn``, or
    ``probe``) raises is not kept.

    ``fn`` must be pure apart from drawing from the global CPU generator: a computation that
    moves other random state (numpy's, Python's, its own generator's) would move it once per
    count in the check, and its later values would differ from an idle machine's.
    """
    configured = torch.get_num_threads()
    if torch.device(device).type != "cpu" or configured == 1 or not threads.enabled():
        return fn()
    if _free(configured) >= configured:
        return fn()
    timed = _FITTING.get((configured, key))
    if timed is not None:
        return _at(_choose(timed, _free(configured), configured), fn)
    run = fn if probe is None else probe
    start = torch.get_rng_state()
    began = time.perf_counter()
    reference = _at(configured, run)
    timed = {configured: time.perf_counter() - began}
    after = torch.get_rng_state()
    if probe is not None:  # a probe is cheap: time the configured count again, warmed up
        torch.set_rng_state(start)
        began = time.perf_counter()
        _at(configured, run)
        timed[configured] = time.perf_counter() - began
    for k in sorted(threads.choices(configured), reverse=True)[1:]:
        torch.set_rng_state(start)
        began = time.perf_counter()
        try:
            result = _at(k, run)
        except Exception:  # a count that fails is a count not to use
            continue
        if same_bits(reference, result):
            timed[k] = time.perf_counter() - began
    _FITTING[configured, key] = timed
    if probe is None:
        torch.set_rng_state(after)
        return reference
    torch.set_rng_state(start)
    return _at(_choose(timed, _free(configured), configured), fn)


@contextlib.contextmanager
def for_copies(device: torch.device | str = "cpu") -> Iterator[None]:
    """A block of copies (gathers, clones, index selections) at the threads the load leaves.

    A copy gives the same bits at any thread count, so it needs no check; at the configured
    count beside a busy core each of its parallel regions waits a scheduler slice (label
    corruption's per-epoch selection of the runs still training: ~6 ms a call)."""
    configured = torch.get_num_threads()
    if torch.device(device).type != "cpu" or configured == 1 or not threads.enabled():
        yield
        return
    free = _free(configured)
    if free < configured:
        torch.set_num_threads(free)
    try:
        yield
    finally:
        torch.set_num_threads(configured)


#: the configured count is kept under load only where its check ran this much faster than the
#: cores left, and for long enough to tell: a check of a few milliseconds is one sample of a
#: scheduler's timing, and a stall at every region is what fewer threads avoid
CLEARLY_FASTER = 0.85
LONG_ENOUGH_S = 0.05


def _choose(timed: dict[int, float], free: int, configured: int) -> int:
    """The count to run at under load: the largest verified count that fits the cores left,
    unless a larger verified count ran clearly faster in the check."""
    fits = max([k for k in timed if k <= free] or [configured])
    faster = [
        k
        for k in timed
        if k > fits and timed[fits] >= LONG_ENOUGH_S and timed[k] < CLEARLY_FASTER * timed[fits]
    ]
    return min(faster, key=timed.__getitem__) if faster else fits


def _free(configured: int) -> int:
    """The threads the load leaves of ``configured`` (at least one)."""
    load = threads.shared_load()
    return min(configured, max(1, len(load.cpus) - round(load.recent())))


def _at(count: int, fn: Callable[[], T]) -> T:
    saved = torch.get_num_threads()
    if count == saved:
        return fn()
    torch.set_num_threads(count)
    try:
        return fn()
    finally:
        torch.set_num_threads(saved)
