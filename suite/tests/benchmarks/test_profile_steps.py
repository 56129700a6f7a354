"""The step profiler's table: which operator goes to which column, and how shares add up."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from suite.benchmarks.profile_steps import CATEGORIES, category, split


@pytest.mark.parametrize(
    ("op", "column"),
    [
        ("aten::bmm", "matmul"),
        ("aten::baddbmm", "matmul"),
        ("aten::_fused_adam_", "optimizer"),
        ("aten::index", "gather"),
        ("aten::index_copy_", "gather"),
        ("aten::_log_softmax", "loss"),
        ("aten::relu", "elementwise"),
        ("aten::threshold_backward", "elementwise"),
    ],
)
def test_operators_go_to_their_column(op, column):
    assert category(op) == column


def _event(key: str, self_us: float, flops: float = 0.0):
    return SimpleNamespace(key=key, self_cpu_time_total=self_us, flops=flops)


def test_split_per_step_and_the_rest_is_python_and_dispatch():
    events = [
        _event("aten::bmm", 4000, flops=8e9),  # 4 ms of matmul doing 8 GFLOP: 2000 GFLOP/s
        _event("aten::_fused_adam_", 1000),
        _event("aten::index", 2000),
        _event("aten::relu", 1000),
        _event("ProfilerStep#1", 9999),  # not an operator: not counted
    ]
    shares, gflops = split(events, steps=2, wall_ms=5.0)
    assert shares["matmul"] == pytest.approx(2.0)
    assert shares["optimizer"] == pytest.approx(0.5)
    assert shares["gather"] == pytest.approx(1.0)
    assert shares["elementwise"] == pytest.approx(0.5)
    assert shares["python+dispatch"] == pytest.approx(1.0)
    assert sum(shares.values()) == pytest.approx(5.0)
    assert set(shares) == set(CATEGORIES)
    assert gflops == pytest.approx(2000.0)


def test_split_never_gives_negative_overhead():
    shares, gflops = split([_event("aten::mm", 3000)], steps=1, wall_ms=2.0)
    assert shares["python+dispatch"] == 0.0
    assert gflops == 0.0  # no FLOP count recorded
