"""Evaluation and measures beside a busy core (suite.train.fitting): at the threads the load
leaves where no bit moves, checked once per signature, with the idle machine's numbers."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
import torch
from torch import Tensor

from suite.tests.train.loads import BusyLoad, IdleLoad
from suite.train import fitting, threads
from suite.train.engine import Member, derive_seed


@pytest.fixture
def fresh_checks(monkeypatch):
    """No signature checked yet, the policy on, and every thread count set recorded."""
    monkeypatch.setattr(fitting, "_FITTING", {})
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
    monkeypatch.setattr(threads, "shared_load", IdleLoad)
    calls = []
    got = fitting.fitting_load("k", lambda: calls.append(torch.get_num_threads()) or 7)
    assert got == 7 and calls == [2] and fresh_checks == []


def _slow_at(count: int, calls: list[int]):
    """A computation whose result is the same at any count and which takes 100 ms at ``count``."""

    def fn() -> Tensor:
        calls.append(torch.get_num_threads())
        if torch.get_num_threads() == count:
            time.sleep(0.1)
        return torch.ones(3)

    return fn


def test_under_load_a_computation_that_keeps_its_bits_runs_at_its_fastest_count(
    two_threads, fresh_checks, monkeypatch
):
    monkeypatch.setattr(threads, "shared_load", BusyLoad)
    calls: list[int] = []
    stalls_at_two = _slow_at(2, calls)
    assert torch.equal(fitting.fitting_load("k", stalls_at_two), torch.ones(3))
    assert calls == [2, 1]  # checked once: the configured count, then one thread
    fitting.fitting_load("k", stalls_at_two)
    assert calls == [2, 1, 1]  # from then on at one thread, the faster
    assert torch.get_num_threads() == 2  # and the configured count given back
    calls.clear()
    slow_alone = _slow_at(1, calls)
    fitting.fitting_load("k2", slow_alone)
    fitting.fitting_load("k2", slow_alone)
    assert calls == [2, 1, 2]  # one thread is slower here: the configured count stays


def test_under_load_a_computation_whose_bits_depend_on_threads_keeps_the_configured_count(
    two_threads, fresh_checks, monkeypatch
):
    monkeypatch.setattr(threads, "shared_load", BusyLoad)
    assert fitting.fitting_load("k", _threads_now).item() == 2.0  # the configured count's result
    assert fitting.fitting_load("k", _threads_now).item() == 2.0
    assert fitting.fitting_load("other", _threads_now).item() == 2.0  # each signature checked


@pytest.mark.parametrize("probe", [None, lambda: torch.rand(2)], ids=["the call", "a probe"])
def test_the_check_leaves_the_global_generator_where_one_call_would(
    two_threads, fresh_checks, monkeypatch, probe
):
    monkeypatch.setattr(threads, "shared_load", BusyLoad)
    torch.manual_seed(5)
    alone = torch.rand(4)
    after_alone = torch.rand(1)
    torch.manual_seed(5)
    checked = fitting.fitting_load("draws", lambda: torch.rand(4), "cpu", probe)
    assert torch.equal(checked, alone)
    assert torch.equal(torch.rand(1), after_alone)


@pytest.mark.parametrize(
    ("n", "subsets"),
    [(3000, False), (4000, True)],
    ids=["whole set, chunks of 1000", "subsets of 3500: a short last chunk"],
)
def test_evaluation_under_load_gives_the_idle_machines_bits(
    two_threads, fresh_checks, monkeypatch, n, subsets
):
    from suite.train.engine import Subsets, init_params
    from suite.train.evaluation import evaluate

    g = torch.Generator().manual_seed(1)
    x, y = torch.rand(n, 784, generator=g), torch.randint(0, 10, (n,), generator=g)
    members = [Member((64, 32), derive_seed("e", s), 0) for s in range(4)]
    params = init_params(members, torch.device("cpu"))
    sets = None
    if subsets:
        table = torch.stack([torch.randperm(n, generator=g)[:3500] for _ in range(2)])
        sets = Subsets(table, (0, 1, 0, 1))
    monkeypatch.setattr(threads, "shared_load", IdleLoad)
    idle = evaluate(params, x, y, chunk=1000, subsets=sets)
    monkeypatch.setattr(threads, "shared_load", BusyLoad)
    for _ in range(2):
        assert fitting.same_bits(idle, evaluate(params, x, y, chunk=1000, subsets=sets))
    assert 1 in fresh_checks  # the check ran its end chunks at one thread
    assert next(iter(fitting._FITTING.values())).keys() == {1, 2}  # the same bits at both


def test_a_signature_is_shapes_and_plain_values_not_tensor_values():
    a = fitting.signature("f", [torch.zeros(2, 3)], 5, None)
    assert a == fitting.signature("f", [torch.ones(2, 3)], 5, None)
    assert a != fitting.signature("f", [torch.zeros(3, 2)], 5, None)
    assert a != fitting.signature("f", [torch.zeros(2, 3)], 6, None)


def test_a_signature_tells_models_apart_by_name_and_settings_by_their_fields():
    from suite.train.models import FuncModel

    def factory(hidden, in_features, classes):
        return torch.nn.Linear(in_features, classes)

    one, other = FuncModel(factory, "one"), FuncModel(factory, "other")
    assert fitting.signature(one) != fitting.signature(other)
    assert fitting.signature(_Sharpness()) != fitting.signature(_Sharpness(sharpness_steps=4))


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (torch.tensor([1.0, float("nan")]), torch.tensor([1.0, float("nan")]), True),
        (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 2**-22]), False),
        (torch.tensor([1.0]), torch.tensor([1.0], dtype=torch.float64), False),
        ([{"a": 1.0, "b": float("nan")}], [{"a": 1.0, "b": float("nan")}], True),
        ([1.0, 2.0], [1.0, 2.5], False),
        (torch.tensor([0.0]), torch.tensor([-0.0]), False),  # bits, not values
        (0.0, -0.0, False),
        (np.array([1.0, 2.0]), np.array([1.0, 2.0]), True),
        (np.array([1.0, 2.0]), np.array([1.0, 3.0]), False),
        ((torch.ones(2), 3), (torch.ones(2), 3), True),
    ],
)
def test_same_bits(a, b, same):
    assert fitting.same_bits(a, b) is same


def test_copies_under_load_run_on_the_threads_left_and_give_the_count_back(
    two_threads, fresh_checks, monkeypatch
):
    monkeypatch.setattr(threads, "shared_load", BusyLoad)
    with fitting.for_copies():
        inside = torch.get_num_threads()
    assert inside == 1 and torch.get_num_threads() == 2
    monkeypatch.setattr(threads, "shared_load", IdleLoad)
    with fitting.for_copies():
        assert torch.get_num_threads() == 2
    monkeypatch.setenv(threads.ENV, "0")
    monkeypatch.setattr(threads, "shared_load", BusyLoad)
    with fitting.for_copies():
        assert torch.get_num_threads() == 2  # the policy off: left alone


def test_a_probe_stands_in_for_the_computation_in_the_check(two_threads, fresh_checks, monkeypatch):
    monkeypatch.setattr(threads, "shared_load", BusyLoad)
    probes, calls = [], []

    def probe():
        probes.append(torch.get_num_threads())
        return torch.ones(2)

    def fn():
        calls.append(torch.get_num_threads())
        return torch.zeros(2)

    assert torch.equal(fitting.fitting_load("k", fn, "cpu", probe), torch.zeros(2))
    # the reference, the configured count timed warm, one thread; then the whole computation once
    assert probes == [2, 2, 1] and len(calls) == 1


def test_measures_under_load_give_the_idle_machines_rows(two_threads, fresh_checks, monkeypatch):
    from suite.experiments.common import measure_generalization
    from suite.train.engine import init_params

    g = torch.Generator().manual_seed(2)
    x, y = torch.rand(400, 784, generator=g), torch.randint(0, 10, (400,), generator=g)
    members = [Member((32, 16), derive_seed("m", s), 0) for s in range(3)]
    params = init_params(members, torch.device("cpu"))
    cfg = _Sharpness()
    keys = [{"seed": s} for s in range(3)]
    args = (params, (x, y), (x, y), x, cfg, keys, "test")
    monkeypatch.setattr(threads, "shared_load", IdleLoad)
    idle = measure_generalization(*args)
    monkeypatch.setattr(threads, "shared_load", BusyLoad)
    checked, fitted = measure_generalization(*args), measure_generalization(*args)
    assert fitting.same_bits(idle, checked) and fitting.same_bits(idle, fitted)
    measured = {sig[1] for _, sig in fitting._FITTING if sig[0] == "measure"}
    assert {"sensitivity", "sharpness"} <= measured  # each measure went through the check


def test_measures_are_checked_on_their_probes_and_run_whole_once(
    two_threads, fresh_checks, monkeypatch
):
    # the check compares the built-in measures' probes (one ascent step, a chunk of points)
    # across thread counts: the whole measure runs once, at the count kept
    from suite.experiments.common import measure_generalization
    from suite.measures import registry
    from suite.train.engine import init_params

    g = torch.Generator().manual_seed(4)
    x, y = torch.rand(600, 784, generator=g), torch.randint(0, 10, (600,), generator=g)
    params = init_params([Member((32,), derive_seed("p", s), 0) for s in range(2)], "cpu")
    whole: list[str] = []
    for name in ("sharpness", "sensitivity"):
        real = getattr(registry, name)

        def counted(*args, real=real, name=name, **kwargs):
            if name == "sharpness" or args[1].shape[0] == 600:  # all the sensitivity points
                whole.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(registry, name, counted)
    args = (params, (x, y), (x, y), x, _Sharpness(), [{"seed": 0}, {"seed": 1}], "test")
    monkeypatch.setattr(threads, "shared_load", IdleLoad)
    idle = measure_generalization(*args)
    whole.clear()
    monkeypatch.setattr(threads, "shared_load", BusyLoad)
    assert fitting.same_bits(idle, measure_generalization(*args))
    assert sorted(whole) == ["sensitivity", "sharpness"]
    checked = {s[1]: counts for (_, s), counts in fitting._FITTING.items() if s[0] == "measure"}
    assert checked["sharpness"].keys() == checked["sensitivity"].keys() == {1, 2}


@dataclasses.dataclass(frozen=True)
class _Sharpness:
    sharpness_n: int = 100
    sharpness_eps: float = 1e-3
    sharpness_steps: int = 3
    sharpness_step: float = 0.1


def test_a_count_at_which_the_computation_fails_is_not_used(two_threads, fresh_checks, monkeypatch):
    monkeypatch.setattr(threads, "shared_load", BusyLoad)

    def fails_alone() -> Tensor:
        if torch.get_num_threads() == 1:
            raise RuntimeError("not at one thread")
        return torch.ones(2)

    assert torch.equal(fitting.fitting_load("k", fails_alone), torch.ones(2))
    assert torch.equal(fitting.fitting_load("k", fails_alone), torch.ones(2))
    assert list(fitting._FITTING.values()) == [{2: pytest.approx(0.0, abs=1.0)}]


def test_the_configured_count_is_part_of_what_was_checked(fresh_checks, monkeypatch):
    monkeypatch.setattr(threads, "shared_load", BusyLoad)
    saved = torch.get_num_threads()
    try:
        for count in (2, 3):
            torch.set_num_threads(count)
            fitting.fitting_load("k", lambda: torch.ones(1))
    finally:
        torch.set_num_threads(saved)
    assert sorted(configured for configured, _ in fitting._FITTING) == [2, 3]


@pytest.mark.parametrize(
    ("n", "rows", "starts"),
    [
        (900, False, None),  # one short chunk: the whole set is the probe
        (1000, False, None),
        (1500, False, None),  # first and last chunks are the whole set
        (2000, False, [(0, 1000)]),
        (3500, False, [(0, 1000), (3000, 3500)]),
        (3500, True, [(0, 1000), (3000, 3500)]),
    ],
)
def test_the_end_chunks_of_a_set(n, rows, starts):
    from suite.train.evaluation import _end_chunks

    x, y = torch.arange(n).float().unsqueeze(1), torch.arange(n)
    index = torch.arange(n) if rows else None
    pieces = _end_chunks(x, y, index, 1000)
    if starts is None:
        assert pieces is None
        return
    assert [(int(py[0]), int(py[-1]) + 1) for _, py, _ in pieces] == starts  # labels by position
    for (px, _, prows), (a, b) in zip(pieces, starts, strict=True):
        if rows:  # the images stay whole, the rows are the piece's
            assert px is x and torch.equal(prows, torch.arange(a, b))
        else:
            assert prows is None and torch.equal(px[:, 0], torch.arange(a, b).float())


def test_stacks_of_one_padded_shape_but_other_live_widths_are_checked_apart(
    two_threads, fresh_checks, monkeypatch
):
    # unpadded() evaluates each member at its live widths, read from the values: two stacks
    # padded alike run other GEMMs, so they are two signatures
    from suite.train.engine import init_params
    from suite.train.evaluation import evaluate

    g = torch.Generator().manual_seed(3)
    x, y = torch.rand(500, 784, generator=g), torch.randint(0, 10, (500,), generator=g)
    wide = init_params([Member((64,), 1, 0), Member((32,), 2, 0)], torch.device("cpu"))
    wider = init_params([Member((64,), 1, 0), Member((48,), 2, 0)], torch.device("cpu"))
    assert [p.shape for p in wide] == [p.shape for p in wider]
    monkeypatch.setattr(threads, "shared_load", BusyLoad)
    evaluate(wide, x, y)
    evaluate(wider, x, y)
    assert len(fitting._FITTING) == 2


@pytest.mark.parametrize(
    ("timed", "kept"),
    [
        ({2: 0.001, 1: 0.002}, 1),  # milliseconds: one sample of the scheduler, the cores left
        ({2: 2.1, 1: 2.6}, 2),  # long and clearly faster: the configured count
        ({2: 0.95, 1: 1.0}, 1),  # long but within noise: the cores left
        ({2: 0.01}, 2),  # only the configured count gives its bits
    ],
)
def test_the_count_kept_under_load(timed, kept):
    assert fitting._choose(timed, free=1, configured=2) == kept
