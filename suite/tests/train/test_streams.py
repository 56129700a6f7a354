"""``suite.train.streams`` and ``replay.capture``: streams no two live threads share, and
captures taken again when something outside them invalidated them.

On CPU over fakes: a pool that hands out 32 streams round-robin across threads, as torch's does,
and a graph API whose capture can fail. The CUDA test at the end needs a GPU.
"""

from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from suite.train.replay import capture
from suite.train.streams import POOL_SIZE, StreamOwners, stream_key

THREADS, STACKS_EACH = 3, 12  # 36 stacks > 32 pooled streams


@dataclass(frozen=True)
class FakeStream:
    stream_id: int
    device_index: int = 0


class FakePool:
    """torch.cuda.Stream() as c10 implements it: 32 streams, round-robin across threads."""

    def __init__(self) -> None:
        self._next = itertools.count()
        self._lock = threading.Lock()

    def __call__(self) -> FakeStream:
        with self._lock:
            return FakeStream(next(self._next) % POOL_SIZE)


def train_in_threads(per_stack_stream) -> list[BaseException]:
    """THREADS executor threads, alive together, each owning its stream and preparing
    STACKS_EACH stacks whose capture stream ``per_stack_stream(owners, pool)`` picks and
    checks."""
    pool = FakePool()
    owners = StreamOwners(pool)
    started, errors = threading.Barrier(THREADS), []

    def job() -> None:
        owners.own()
        started.wait()
        try:
            for _ in range(STACKS_EACH):
                owners.check(per_stack_stream(owners, pool))
        except RuntimeError as exc:
            errors.append(exc)
        started.wait()  # every thread stays alive until all have prepared their stacks

    threads = [threading.Thread(target=job) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_a_pooled_stream_per_stack_lands_on_another_threads_stream():
    # What replay.py did: a fresh torch.cuda.Stream() for each stack's capture. Past 32 draws
    # the pool wraps onto the executor threads' streams and the guard says so.
    errors = train_in_threads(lambda owners, pool: pool())
    assert errors and "another live thread" in str(errors[0])


def test_each_thread_captures_on_its_own_stream_however_many_stacks():
    assert train_in_threads(lambda owners, pool: owners.own()) == []


def test_a_thread_keeps_its_stream_and_threads_get_distinct_ones():
    owners = StreamOwners(FakePool())
    mine = owners.own()
    assert owners.own() is mine
    theirs = []
    t = threading.Thread(target=lambda: theirs.append(owners.own()))
    t.start()
    t.join()
    assert stream_key(theirs[0]) != stream_key(mine)


def test_a_stream_owned_by_a_live_thread_is_never_handed_to_another():
    # A pool that always returns the same stream: the second live thread cannot get one.
    owners = StreamOwners(lambda: FakeStream(7))
    owners.own()
    hold, errors = threading.Event(), []

    def other() -> None:
        try:
            owners.own()
        except RuntimeError as exc:
            errors.append(exc)
        hold.set()

    t = threading.Thread(target=other)
    t.start()
    hold.wait()
    t.join()
    assert errors and "owned by a live thread" in str(errors[0])


def test_a_dead_threads_stream_goes_back_to_the_pool():
    owners = StreamOwners(lambda: FakeStream(7))
    got = []
    t = threading.Thread(target=lambda: got.append(owners.own()))
    t.start()
    t.join()
    assert owners.own() == got[0]  # the first owner is gone


# --- capture: taken again when invalidated ------------------------------------------------------


class FakeGraph:
    def pool(self) -> str:
        return "pool"


class FakeGraphs:
    """torch.cuda's CUDAGraph and graph(), whose first ``fail`` captures end in ``error``."""

    def __init__(self, fail: int, error: str) -> None:
        self.fail, self.error, self.captures = fail, error, []
        self.CUDAGraph = FakeGraph

    @contextmanager
    def graph(self, graph, pool=None, stream=None, capture_error_mode="global"):
        assert capture_error_mode == "thread_local"
        self.captures.append((pool, stream))
        yield
        if self.fail:
            self.fail -= 1
            raise RuntimeError(self.error)


INVALIDATED = "CUDA error: operation not permitted when stream is capturing"


def test_an_invalidated_capture_is_taken_again():
    api, steps = FakeGraphs(fail=1, error=INVALIDATED), []
    graphs = capture([[1, 2], [3]], steps.append, stream="s", api=api)
    assert len(graphs) == 2
    assert steps == [1, 2, 1, 2, 3]  # the failed first part, then both parts again
    assert api.captures == [(None, "s"), (None, "s"), ("pool", "s")]


def test_a_capture_invalidated_every_time_raises_after_its_tries():
    api = FakeGraphs(fail=10, error=INVALIDATED)
    with pytest.raises(RuntimeError, match="capturing"):
        capture([[1]], lambda idx: None, stream="s", api=api, tries=3)
    assert len(api.captures) == 3


def test_another_error_is_raised_at_once():
    api = FakeGraphs(fail=1, error="CUDA out of memory")
    with pytest.raises(RuntimeError, match="out of memory"):
        capture([[1]], lambda idx: None, stream="s", api=api)
    assert len(api.captures) == 1


@pytest.mark.cuda
def test_cuda_threads_own_distinct_streams_past_the_pool_size():
    from suite.train.streams import cuda_streams

    owners, seen, started = cuda_streams(), [], threading.Barrier(8)

    def job() -> None:
        seen.append(stream_key(owners.own()))
        started.wait()
        for _ in range(8):  # 64 draws in all would wrap the pool twice
            owners.check(owners.own())

    threads = [threading.Thread(target=job) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 8
