"""One CUDA stream per thread, and a guard that no two live threads share one.

``torch.cuda.Stream()`` does not make a new stream: it hands out one of 32 pooled streams per
priority, round-robin across every thread of the process (``c10/cuda/CUDAStream.h``, "stream
pool"), so the 33rd call returns the first stream again. A CUDA-graph capture belongs to its
stream, not to its thread: a capture on a stream that another thread also launches on records
that thread's kernels into this graph, or fails when that thread syncs it. The plan asked for
about 52 streams at ``paper`` (6 executor threads, a warm-up and a capture stream per stack),
so from about the 14th stack captures landed on other jobs' streams.

So a thread takes one stream, once (:meth:`StreamOwners.own`), and launches, warms up and
captures on it; a pooled stream that a live thread already owns is refused and the pool asked
again. The pool is never asked per stack, so 6 threads use 6 streams however many stacks they
train. ``new_stream`` is injectable so the CPU tests can run the same logic over a fake pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

#: Streams in torch's pool per priority (``kStreamsPerPool``).
POOL_SIZE = 32


def stream_key(stream: Any) -> tuple[Any, ...]:
    """What identifies a stream across the Python objects that wrap it."""
    return (getattr(stream, "device_index", None), getattr(stream, "stream_id", id(stream)))


class StreamOwners:
    """Which live thread owns which stream; each thread's own stream, drawn once."""

    def __init__(self, new_stream: Callable[[], Any], pool_size: int = POOL_SIZE):
        self._new = new_stream
        self._pool_size = pool_size
        self._owner: dict[tuple[Any, ...], int] = {}  # stream key -> owning thread's ident
        self._streams: dict[int, Any] = {}  # thread ident -> its stream
        self._lock = threading.Lock()

    def _forget_dead(self) -> None:
        live = {t.ident for t in threading.enumerate()}
        self._owner = {k: t for k, t in self._owner.items() if t in live}
        self._streams = {t: s for t, s in self._streams.items() if t in live}

    def own(self) -> Any:
        """This thread's stream: drawn from the pool the first time, refused while another
        live thread owns it (the pool is asked up to ``pool_size`` more times)."""
        me = threading.get_ident()
        with self._lock:
            if me in self._streams:
                return self._streams[me]
            self._forget_dead()
            for _ in range(self._pool_size + 1):
                stream = self._new()
                if stream_key(stream) not in self._owner:
                    break
            else:
                raise RuntimeError(
                    f"every pooled CUDA stream is owned by a live thread ({len(self._owner)} "
                    f"threads own one): run fewer than {self._pool_size} training threads"
                )
            self._owner[stream_key(stream)] = me
            self._streams[me] = stream
            return stream

    def check(self, stream: Any) -> None:
        """Raise if ``stream`` is owned by another live thread: a capture on it would record
        that thread's kernels (call before capturing on a stream not from :meth:`own`)."""
        with self._lock:
            self._forget_dead()
            owner = self._owner.get(stream_key(stream))
        if owner is not None and owner != threading.get_ident():
            raise RuntimeError(
                f"stream {stream_key(stream)} belongs to another live thread ({owner}): a "
                "capture on it would record that thread's work"
            )


_STREAMS: list[StreamOwners] = []
_MAKING = threading.Lock()


def cuda_streams() -> StreamOwners:
    """The process's owners of ``torch.cuda.Stream()``s (made on first use, CUDA only)."""
    with _MAKING:
        if not _STREAMS:
            import torch

            _STREAMS.append(StreamOwners(torch.cuda.Stream))
        return _STREAMS[0]
