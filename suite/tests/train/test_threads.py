"""The thread policy: which counts it may pick, what it picks under load, and that training
picks fewer threads under load without changing a number."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import torch

from suite.tests.train.loads import BusyLoad
from suite.train import threads
from suite.train.engine import Member, derive_seed
from suite.train.threads import CpuLoad, ThreadPolicy, choices, invariant_counts
from suite.train.training import train


@pytest.mark.parametrize(
    ("configured", "expected"),
    [(1, [1]), (2, [1, 2]), (6, [1, 2, 4, 6]), (8, [1, 2, 4, 8])],
)
def test_the_counts_it_may_pick(configured, expected):
    assert choices(configured) == expected


def test_it_trains_on_the_cores_others_leave(two_threads):
    asked = []
    policy = ThreadPolicy([1, 2], verify=lambda counts: asked.append(counts) or counts)
    assert policy.pick(None) == 2  # no look yet: the configured count
    assert policy.pick(0.2) == 2
    assert policy.pick(0.7) == 1  # a busy loop sharing the cores with 2 spinning threads
    assert policy.pick(None) == 1  # too short a window to say: unchanged
    assert policy.pick(5.0) == 1  # never fewer than one
    assert policy.pick(0.0) == 2
    assert asked == [[2, 1]]  # the check that 1 thread changes no number: once, when first due


def test_it_keeps_the_configured_count_where_fewer_would_change_a_number(two_threads):
    policy = ThreadPolicy([1, 2], verify=lambda counts: counts[:1])
    assert policy.pick(0.2) == 2
    assert policy.pick(1.0) == 2
    assert policy.allowed == [2]


def test_an_idle_machine_never_pays_for_the_check(two_threads):
    def verify(counts):
        raise AssertionError("no check expected")

    policy = ThreadPolicy([1, 2], verify=verify)
    assert [policy.pick(x) for x in (None, 0.0, 0.3, 0.49)] == [2, 2, 2, 2]


class _Cores:
    def __init__(self, n: int) -> None:
        self.cpus = list(range(n))


def test_a_share_of_a_larger_machine_counts_the_others_on_all_its_cores(two_threads):
    policy = ThreadPolicy([1, 2], load=_Cores(16))  # an xdist worker's 2 of 16 cores
    assert policy.pick(8.0) == 2  # the other workers leave 8 cores: still room for 2
    assert policy.pick(15.0) == 1


def test_never_more_than_configured_nor_a_count_not_allowed(two_threads):
    assert ThreadPolicy([1, 2, 4]).allowed == [1, 2]
    only = ThreadPolicy([2])
    assert only.pick(1.0) == 2 and only.load is None  # nothing to adapt to


def test_only_counts_that_change_no_number_are_allowed():
    found = invariant_counts(lambda: [torch.tensor([float(torch.get_num_threads() > 1)])], [2, 1])
    assert found == [2]
    assert invariant_counts(lambda: [torch.ones(3)], [2, 1]) == [2, 1]


def test_a_look_needs_a_window_and_sees_no_negative_load():
    load = CpuLoad()
    assert load.others(min_window_s=10.0) is None
    time.sleep(0.05)
    got = load.others(min_window_s=0.01)
    assert got is not None and got >= 0.0


@pytest.mark.slow
def test_a_busy_process_is_seen():
    load = CpuLoad()
    loop = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(1.5)
        assert load.others(min_window_s=1.0) > 0.5
    finally:
        loop.kill()
        loop.wait()


def _train(members, x, y, batch_size=50):
    return train(members, x, y, batch_size=batch_size, lr=3e-3, epochs=3)


def test_under_load_a_stack_trains_on_fewer_threads_to_the_same_bits(
    two_threads, busy_load, monkeypatch
):
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(230, 784, generator=g), torch.randint(0, 10, (230,), generator=g)
    members = [Member((16, 8), derive_seed("t", s), derive_seed("t/d", s)) for s in range(3)]
    monkeypatch.setenv(threads.ENV, "0")
    fixed = _train(members, x, y)
    monkeypatch.setenv(threads.ENV, "1")
    monkeypatch.setattr(threads, "shared_load", busy_load)
    seen = []
    real = torch.set_num_threads
    monkeypatch.setattr(torch, "set_num_threads", lambda k: (seen.append(k), real(k)))
    adapted = _train(members, x, y)
    assert 1 in seen  # it did train on one thread (230 % 50: a short last batch too)
    assert torch.get_num_threads() == 2  # and gave the configured count back
    assert all(torch.equal(a, b) for a, b in zip(fixed, adapted, strict=True))


def test_the_compiled_engine_and_one_thread_are_left_alone(two_threads):
    def probe():
        raise AssertionError("no probe expected")

    assert threads.policy_for(torch.device("cpu"), "compiled", probe).load is None
    torch.set_num_threads(1)
    assert threads.policy_for(torch.device("cpu"), "eager", probe).load is None


class _Quiet(BusyLoad):
    """A load whose window is still open (others() says nothing) after one that saw a core
    taken."""

    def others(self) -> None:
        return None


def test_a_stack_starts_from_the_last_windows_load(two_threads, monkeypatch):
    monkeypatch.setenv(threads.ENV, "1")
    policy = ThreadPolicy([1, 2], load=_Quiet(), verify=lambda counts: counts)
    policy.before_epoch()
    assert torch.get_num_threads() == 1  # not the configured 2 until a window of its own
    policy.after_epoch()
    assert torch.get_num_threads() == 2
