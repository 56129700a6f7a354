"""How an epoch's steps run: over fixed index buffers, one by one or replayed as CUDA graphs.

A CUDA graph replays kernels on the addresses it was captured with, so everything a step reads
must sit at a fixed address: the stepper's state (``FunctionalStep`` allocates it up front) and
the batch indices. :class:`IndexFeed` gives the latter: each epoch's batch order is written into
one static device buffer, through two pinned host buffers used in turn (the host fills one
while the device may still be copying the other), with a non-blocking copy; the batches are
fixed views of that buffer.

:class:`EpochRunner` runs an epoch's steps over those views. On CUDA with ``graphs=True`` it
captures, once, one graph of all the full batches and one of the short last batch, after a
warm-up (compilation, cuBLAS workspaces) whose effect on the state it undoes; hooks and
checkpoints run between replays. Warm-up and capture run on the thread's own stream
(``suite.train.streams``: never a pooled stream another thread launches on, and the same
stream for both, so the cuBLAS workspace the capture uses was made by the warm-up, not
mid-capture from the graph's pool). A capture that another thread's device-wide work
invalidated (a sync, a lazy kernel load by an eager measure) is taken again
(:func:`capture`). Everything but the capture itself runs on CPU too, and the tests hold it to
the plain loop bit for bit; :func:`capture` runs over fakes there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any

import torch
from torch import Tensor

from suite.train.steps import PAD, Stepper
from suite.train.streams import cuda_streams

_PREPARING = threading.Lock()
#: Attempts at one stack's capture before its error is raised.
CAPTURE_TRIES = 3
#: Words of the errors of a capture that something outside it invalidated.
_INVALIDATED = ("invalidated", "not permitted when stream is capturing", "capture")


def _invalidated(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(word in text for word in _INVALIDATED)


def capture(
    parts: Sequence[Sequence[Tensor]],
    step: Callable[[Tensor], None],
    stream: Any,
    api: Any = torch.cuda,
    tries: int = CAPTURE_TRIES,
) -> list[Any]:
    """One graph per non-empty part of batches, captured on ``stream`` into one shared pool;
    a capture invalidated from outside is taken again from the start, up to ``tries`` times.

    Taking it again is safe: a capture only records kernels, so a failed one changed no state.
    ``api`` (``torch.cuda``; a fake in the CPU tests) gives ``CUDAGraph`` and ``graph``.
    """
    for attempt in range(1, tries + 1):
        try:
            graphs, pool = [], None
            for batches in parts:
                if not batches:
                    continue
                graph = api.CUDAGraph()
                with api.graph(graph, pool=pool, stream=stream, capture_error_mode="thread_local"):
                    for idx in batches:
                        step(idx)
                pool = graph.pool()
                graphs.append(graph)
            return graphs
        except RuntimeError as exc:
            if attempt == tries or not _invalidated(exc):
                raise
    raise AssertionError("unreachable")


class IndexFeed:
    """Epoch orders (U, n) into a static device buffer; ``batches`` are its fixed views.

    ``pad``: the buffer is rounded up to whole batches and the positions past ``n`` hold
    ``steps.PAD``, so the short last batch has the full batches' shape (the compiled step masks
    them out): one compiled graph and one CUDA graph per stack instead of two.
    """

    def __init__(
        self, orders: int, n: int, batch_size: int, device: torch.device, *, pad: bool = False
    ):
        self.device = torch.device(device)
        # pinned memory and events need a driver; a fake CUDA device (the tests) has none
        self.cuda = self.device.type == "cuda" and torch.cuda.is_available()
        self.n = n
        width = -(-n // batch_size) * batch_size if pad else n
        self.buffer = torch.full((orders, width), PAD, dtype=torch.long, device=self.device)
        self.host = [
            torch.empty(orders, n, dtype=torch.long, pin_memory=self.cuda) for _ in range(2)
        ]
        self.copied: list[torch.cuda.Event | None] = [None, None]
        self.turn = 0
        self.batches: list[Tensor] = list(self.buffer.split(batch_size, dim=1))

    def fill(self, order: Tensor) -> None:
        """Put one epoch's order (CPU, (U, n)) in the device buffer without a host sync."""
        host = self.host[self.turn]
        done = self.copied[self.turn]
        if done is not None:
            done.synchronize()  # that host buffer's last copy has left it
        host.copy_(order)
        self.buffer[:, : self.n].copy_(host, non_blocking=True)
        if self.cuda:
            event = torch.cuda.Event()
            event.record()
            self.copied[self.turn] = event
        self.turn ^= 1


class EpochRunner:
    """Run the steps of one epoch over the feed's batches.

    ``warm_up``: before the first epoch, take one step on a full and on the last batch and then
    restore the state the steps changed (what a CUDA-graph capture needs first; on CPU it exists
    so the tests can hold it to having no effect). ``graphs`` (CUDA only): capture and replay.
    """

    def __init__(self, step: Stepper, feed: IndexFeed, *, warm_up: bool, graphs: bool):
        if graphs and feed.device.type != "cuda":
            raise ValueError("CUDA graphs need a CUDA device")
        self.step, self.feed = step, feed
        self.warm_up, self.use_graphs = warm_up or graphs, graphs
        self.graphs: list[torch.cuda.CUDAGraph] | None = None
        self.ready = False

    def run_epoch(self) -> None:
        """The epoch whose order the feed holds now."""
        if not self.ready:
            # one stack at a time: compilation is not thread-safe, and a capture fails when
            # another thread syncs the device meanwhile (the plan trains stacks in threads)
            with _PREPARING:
                if self.warm_up:
                    self._warm_up()
                if self.use_graphs:
                    self.graphs = self._capture()
            self.ready = True
        if self.graphs is not None:
            for graph in self.graphs:
                graph.replay()
        else:
            for idx in self.feed.batches:
                self.step(idx)

    def _distinct_shapes(self) -> list[Tensor]:
        seen: dict[tuple[int, ...], Tensor] = {}
        for idx in self.feed.batches:
            seen.setdefault(tuple(idx.shape), idx)
        return list(seen.values())

    def _warm_up(self) -> None:
        saved = [t.detach().clone() for t in self.step.tensors()]
        stream = cuda_streams().own() if self.feed.cuda else None
        if stream is not None:
            stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream) if stream is not None else nullcontext():
            for idx in self._distinct_shapes():
                self.step(idx)
        if stream is not None:
            torch.cuda.current_stream().wait_stream(stream)
        live = self.step.tensors()
        if len(live) != len(saved):
            raise RuntimeError("a warm-up step allocated new state; it cannot be undone")
        with torch.no_grad():
            for t, s in zip(live, saved, strict=True):
                t.copy_(s)

    def _capture(self) -> list[torch.cuda.CUDAGraph]:
        full = [b for b in self.feed.batches if b.shape == self.feed.batches[0].shape]
        parts: list[Sequence[Tensor]] = [full, self.feed.batches[len(full) :]]
        # the thread's own stream, as the warm-up's: never one another thread launches on
        return capture(parts, self.step, cuda_streams().own())
