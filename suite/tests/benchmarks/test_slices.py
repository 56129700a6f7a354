"""The benchmark's slices: their layouts, and the matmuls a step is measured against."""

from __future__ import annotations

import pytest
import torch

from suite.benchmarks.slices import SLICES, MatmulCall, Slice, matmul_rate, step_matmuls
from suite.data.splits import MnistSplits
from suite.train.engine import BatchSchedule


def _data(n: int = 400) -> MnistSplits:
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(n, 784, generator=g), torch.randint(0, 10, (n,), generator=g)
    return MnistSplits(x, y, x[:10], y[:10], x[:10], y[:10], checksum="", root=None)


def test_a_seeds_models_share_its_batch_order_and_seeds_do_not():
    width, batch = SLICES["width"], SLICES["batch"]
    assert BatchSchedule(width.members(), width.n_train, width.batch, "cpu").grouped
    assert len({m.data_seed for m in batch.members()}) == batch.seeds
    assert len({m.init_seed for m in width.members()}) == width.models


def test_random_labels_give_each_seed_its_own_labelling():
    slc = Slice("rl", ((5,), (7,)), 3, 100, 20, 1e-3, 1, own_labels=True)
    y = slc.labels(_data())
    assert y.shape == (6, 100)
    assert torch.equal(y[0], y[1])  # the two models of seed 0
    assert not torch.equal(y[0], y[2])
    assert not torch.equal(y[0], _data().train_y[:100])


def test_flops_of_a_batched_and_a_plain_matmul():
    assert MatmulCall("aten::bmm", ((4, 8, 16), (4, 16, 2)), 1).flops == 2 * 4 * 8 * 16 * 2
    bias = MatmulCall("aten::baddbmm", ((4, 1, 2), (4, 8, 16), (4, 16, 2)), 3)
    assert bias.flops == 2 * 4 * 8 * 16 * 2
    assert MatmulCall("aten::addmm", ((2,), (8, 16), (16, 2)), 1).flops == 2 * 8 * 16 * 2


def test_a_step_runs_one_forward_and_two_backward_matmuls_per_layer_but_the_first():
    slc = Slice("small", ((40, 8),), 2, 200, 50, 1e-3, 1)  # 40 units: the first layer as kept
    step, batches = slc.stepper(_data())
    calls = step_matmuls(step, batches[0])
    by_op = {}
    for c in calls:
        by_op[c.op] = by_op.get(c.op, 0) + c.count
    # forward: 3 layers (baddbmm); backward: a weight gradient per layer, an input gradient
    # for every layer but the first (its input is the images)
    assert by_op == {"aten::baddbmm": 3, "aten::bmm": 5}
    assert {c.shapes[-2] for c in calls if c.op == "aten::baddbmm"} == {(2, 50, 784)} | {
        (2, 50, 40),
        (2, 50, 8),
    }


def test_the_same_shapes_alone_run_at_a_positive_rate():
    rate = matmul_rate([MatmulCall("aten::bmm", ((2, 32, 32), (2, 32, 32)), 2)], rounds=2)
    assert rate > 0


@pytest.mark.parametrize("name", list(SLICES))
def test_every_slice_steps_as_the_engine_trains_it(name):
    slc = SLICES[name]
    data = _data(slc.n_train)
    step, batches = slc.stepper(data)
    assert batches[0].shape[1] == slc.batch
    before = [p.detach().clone() for p in step.params]
    step(batches[0])
    assert any(not torch.equal(a, b) for a, b in zip(before, step.params, strict=True))
