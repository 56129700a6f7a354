"""The thread policy: which counts it may pick, what it picks under load, and that training
picks fewer threads under load without changing a number."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import torch
from torch import Tensor

from suite.train import threads
from suite.train.engine import Member, derive_seed
from suite.train.threads import CpuLoad, ThreadPolicy, choices, invariant_counts
from suite.train.training import train


@pytest.fixture
def two_threads():
    saved = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(saved)


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


class _Busy:
    """A load on two cores that always says one of them is taken."""

    cpus = (0, 1)
    last = 1.0

    def others(self) -> float:
        return 1.0

    def recent(self) -> float:
        return 1.0


def _train(members, x, y, batch_size=50):
    return train(members, x, y, batch_size=batch_size, lr=3e-3, epochs=3)


def test_under_load_a_stack_trains_on_fewer_threads_to_the_same_bits(two_threads, monkeypatch):
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(230, 784, generator=g), torch.randint(0, 10, (230,), generator=g)
    members = [Member((16, 8), derive_seed("t", s), derive_seed("t/d", s)) for s in range(3)]
    monkeypatch.setenv(threads.ENV, "0")
    fixed = _train(members, x, y)
    monkeypatch.setenv(threads.ENV, "1")
    monkeypatch.setattr(threads, "shared_load", _Busy)
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


class _Idle(_Busy):
    def others(self) -> float:
        return 0.0

    def recent(self) -> float:
        return 0.0


@pytest.fixture
def fresh_checks(monkeypatch):
    """No signature checked yet, the policy on, and every thread count set recorded."""
    monkeypatch.setattr(threads, "_FITTING", {})
    monkeypatch.setenv(threads.ENV, "1")
    seen: list[int] = []
    real = torch.set_num_threads
    monkeypatch.setattr(torch, "set_num_threads", lambda k: (seen.append(k), real(k)))
    return seen


def _threads_now() -> Tensor:
    return torch.tensor([float(torch.get_num_threads())])


def test_a_computation_on_an_idle_machine_runs_once_at_the_configured_count(
    two_threads, fresh_checks, monkeypatch
):
    monkeypatch.setattr(threads, "shared_load", _Idle)
    calls = []
    got = threads.fitting_load("k", lambda: calls.append(torch.get_num_threads()) or 7)
    assert got == 7 and calls == [2] and fresh_checks == []


def _slow_at(count: int, calls: list[int]):
    """A computation whose result is the same at any count and which takes 50 ms at ``count``."""

    def fn() -> Tensor:
        calls.append(torch.get_num_threads())
        if torch.get_num_threads() == count:
            time.sleep(0.05)
        return torch.ones(3)

    return fn


def test_under_load_a_computation_that_keeps_its_bits_runs_at_its_fastest_count(
    two_threads, fresh_checks, monkeypatch
):
    monkeypatch.setattr(threads, "shared_load", _Busy)
    calls: list[int] = []
    stalls_at_two = _slow_at(2, calls)
    assert torch.equal(threads.fitting_load("k", stalls_at_two), torch.ones(3))
    assert calls == [2, 1]  # checked once: the configured count, then one thread
    threads.fitting_load("k", stalls_at_two)
    assert calls == [2, 1, 1]  # from then on at one thread, the faster
    assert torch.get_num_threads() == 2  # and the configured count given back
    calls.clear()
    slow_alone = _slow_at(1, calls)
    threads.fitting_load("k2", slow_alone)
    threads.fitting_load("k2", slow_alone)
    assert calls == [2, 1, 2]  # one thread is slower here: the configured count stays


def test_under_load_a_computation_whose_bits_depend_on_threads_keeps_the_configured_count(
    two_threads, fresh_checks, monkeypatch
):
    monkeypatch.setattr(threads, "shared_load", _Busy)
    assert threads.fitting_load("k", _threads_now).item() == 2.0  # the configured count's result
    assert threads.fitting_load("k", _threads_now).item() == 2.0
    assert threads.fitting_load("other", _threads_now).item() == 2.0  # each signature checked


def test_the_check_leaves_the_global_generator_where_one_call_would(
    two_threads, fresh_checks, monkeypatch
):
    monkeypatch.setattr(threads, "shared_load", _Busy)
    torch.manual_seed(5)
    alone = torch.rand(4)
    after_alone = torch.rand(1)
    torch.manual_seed(5)
    checked = threads.fitting_load("draws", lambda: torch.rand(4))
    assert torch.equal(checked, alone)
    assert torch.equal(torch.rand(1), after_alone)


def test_evaluation_under_load_gives_the_idle_machines_bits_on_fewer_threads(
    two_threads, fresh_checks, monkeypatch
):
    from suite.train.engine import init_params
    from suite.train.evaluation import evaluate

    g = torch.Generator().manual_seed(1)
    x, y = torch.rand(3000, 784, generator=g), torch.randint(0, 10, (3000,), generator=g)
    members = [Member((64, 32), derive_seed("e", s), 0) for s in range(4)]
    params = init_params(members, torch.device("cpu"))
    monkeypatch.setattr(threads, "shared_load", _Idle)
    idle = evaluate(params, x, y, chunk=1000)
    monkeypatch.setattr(threads, "shared_load", _Busy)
    for _ in range(2):
        busy = evaluate(params, x, y, chunk=1000)
        assert all(torch.equal(a, b) for a, b in zip(idle, busy, strict=True))
    assert 1 in fresh_checks  # the check ran its first chunk at one thread
    assert next(iter(threads._FITTING.values())).keys() == {1, 2}  # the same bits at both


def test_a_signature_is_shapes_and_plain_values_not_tensor_values():
    a = threads.signature("f", [torch.zeros(2, 3)], 5, None)
    assert a == threads.signature("f", [torch.ones(2, 3)], 5, None)
    assert a != threads.signature("f", [torch.zeros(3, 2)], 5, None)
    assert a != threads.signature("f", [torch.zeros(2, 3)], 6, None)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (torch.tensor([1.0, float("nan")]), torch.tensor([1.0, float("nan")]), True),
        (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 2**-22]), False),
        (torch.tensor([1.0]), torch.tensor([1.0], dtype=torch.float64), False),
        ([{"a": 1.0, "b": float("nan")}], [{"a": 1.0, "b": float("nan")}], True),
        ([1.0, 2.0], [1.0, 2.5], False),
        ((torch.ones(2), 3), (torch.ones(2), 3), True),
    ],
)
def test_same_bits(a, b, same):
    assert threads.same_bits(a, b) is same


class _Quiet(_Busy):
    """A load whose window is still open (others() says nothing) after one that saw a core
    taken."""

    def others(self) -> None:
        return None


def test_a_stack_starts_from_the_last_windows_load(two_threads, fresh_checks):
    policy = ThreadPolicy([1, 2], load=_Quiet(), verify=lambda counts: counts)
    policy.before_epoch()
    assert torch.get_num_threads() == 1  # not the configured 2 until a window of its own
    policy.after_epoch()
    assert torch.get_num_threads() == 2


def test_copies_under_load_run_on_the_threads_left_and_give_the_count_back(
    two_threads, fresh_checks, monkeypatch
):
    monkeypatch.setattr(threads, "shared_load", _Busy)
    with threads.for_copies():
        inside = torch.get_num_threads()
    assert inside == 1 and torch.get_num_threads() == 2
    monkeypatch.setattr(threads, "shared_load", _Idle)
    with threads.for_copies():
        assert torch.get_num_threads() == 2
    monkeypatch.setenv(threads.ENV, "0")
    monkeypatch.setattr(threads, "shared_load", _Busy)
    with threads.for_copies():
        assert torch.get_num_threads() == 2  # the policy off: left alone


def test_a_probe_stands_in_for_the_computation_in_the_check(two_threads, fresh_checks, monkeypatch):
    monkeypatch.setattr(threads, "shared_load", _Busy)
    probes, calls = [], []

    def probe():
        probes.append(torch.get_num_threads())
        return torch.ones(2)

    def fn():
        calls.append(torch.get_num_threads())
        return torch.zeros(2)

    assert torch.equal(threads.fitting_load("k", fn, "cpu", probe), torch.zeros(2))
    assert probes == [2, 1] and len(calls) == 1  # the whole computation once


def test_measures_under_load_give_the_idle_machines_rows(two_threads, fresh_checks, monkeypatch):
    from types import SimpleNamespace

    from suite.experiments.common import measure_generalization
    from suite.train.engine import init_params

    g = torch.Generator().manual_seed(2)
    x, y = torch.rand(400, 784, generator=g), torch.randint(0, 10, (400,), generator=g)
    members = [Member((32, 16), derive_seed("m", s), 0) for s in range(3)]
    params = init_params(members, torch.device("cpu"))
    cfg = SimpleNamespace(
        sharpness_n=100, sharpness_eps=1e-3, sharpness_steps=3, sharpness_step=0.1
    )
    keys = [{"seed": s} for s in range(3)]
    args = (params, (x, y), (x, y), x, cfg, keys, "test")
    monkeypatch.setattr(threads, "shared_load", _Idle)
    idle = measure_generalization(*args)
    monkeypatch.setattr(threads, "shared_load", _Busy)
    checked, fitted = measure_generalization(*args), measure_generalization(*args)
    assert threads.same_bits(idle, checked) and threads.same_bits(idle, fitted)
    measured = {key[1] for key in threads._FITTING if key[0] == "measure"}
    assert {"sensitivity", "sharpness"} <= measured  # each measure went through the check
