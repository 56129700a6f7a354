"""The fixed-buffer epoch loop (the structure CUDA graphs replay) against the plain loop."""

from __future__ import annotations

import pytest
import torch

from suite.train.checkpoints import Checkpoint
from suite.train.engine import BatchSchedule, Member, init_params
from suite.train.replay import EpochRunner, IndexFeed
from suite.train.steps import PAD, EagerStep, FunctionalStep
from suite.train.training import stack_plan, train

N, BATCH = 200, 48  # four full batches and a short one of 8
CUDA = pytest.mark.cuda


def _setup(device: str = "cpu"):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(N, 784, generator=g).to(device)
    y = torch.randint(0, 10, (N,), generator=g).to(device)
    members = [Member((w,) * 2, w, 7) for w in (5, 30)] + [
        Member((w,) * 2, w + 1, 8) for w in (5, 30)
    ]
    return members, x, y


def _plain(step_cls, members, x, y, epochs):
    """Today's loop: each epoch's batches from ``schedule.epoch()``, one step each."""
    schedule = BatchSchedule(members, N, BATCH, x.device)
    plan = stack_plan(schedule, members)
    step = step_cls(plan.pack(init_params(members, x.device)), x, y, plan, 1e-2)
    for _ in range(epochs):
        for idx in schedule.epoch():
            step(idx)
    return step


def _fixed(step_cls, members, x, y, epochs, warm_up, pad=False):
    schedule = BatchSchedule(members, N, BATCH, x.device)
    plan = stack_plan(schedule, members)
    step = step_cls(plan.pack(init_params(members, x.device)), x, y, plan, 1e-2)
    feed = IndexFeed(len(schedule.generators), N, BATCH, x.device, pad=pad)
    runner = EpochRunner(step, feed, warm_up=warm_up, graphs=False)
    for _ in range(epochs):
        feed.fill(schedule.draw())
        runner.run_epoch()
    return step


def _functional(*args):
    return FunctionalStep(*args, compile=False)


@pytest.mark.parametrize(
    ("step_cls", "warm_up"),
    [(EagerStep, False), (_functional, False), (_functional, True)],
    ids=["eager", "functional", "functional-warmed-up"],
)
def test_the_fixed_buffer_loop_equals_the_plain_loop_bit_for_bit(step_cls, warm_up):
    members, x, y = _setup()
    plain = _plain(step_cls, members, x, y, epochs=3)
    fixed = _fixed(step_cls, members, x, y, epochs=3, warm_up=warm_up)
    for a, b in zip(plain.tensors(), fixed.tensors(), strict=True):
        assert torch.equal(a, b)


def test_a_padded_feed_has_one_batch_shape_and_pads_only_the_last_batch():
    feed = IndexFeed(2, N, BATCH, torch.device("cpu"), pad=True)
    order = torch.stack([torch.randperm(N) for _ in range(2)])
    feed.fill(order)
    assert {tuple(b.shape) for b in feed.batches} == {(2, BATCH)}
    assert torch.equal(feed.buffer[:, :N], order)
    assert (feed.buffer[:, N:] == PAD).all() and feed.buffer.shape[1] == 5 * BATCH


def test_the_functional_step_on_a_padded_feed_is_the_short_batch_to_round_off():
    # float64: the masked mean over the padded last batch is the short batch's mean
    members, x, y = _setup()
    x = x.double()
    init = [p.double() for p in init_params(members)]

    def run(pad: bool):
        schedule = BatchSchedule(members, N, BATCH, x.device)
        plan = stack_plan(schedule, members)
        step = _functional(plan.pack(init), x, y, plan, 1e-2)
        feed = IndexFeed(len(schedule.generators), N, BATCH, x.device, pad=pad)
        runner = EpochRunner(step, feed, warm_up=True, graphs=False)
        for _ in range(3):
            feed.fill(schedule.draw())
            runner.run_epoch()
        return step.tensors()

    for a, b in zip(run(False), run(True), strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=0)


def test_the_feed_keeps_its_batches_at_fixed_addresses():
    feed = IndexFeed(2, N, BATCH, torch.device("cpu"))
    before = [b.data_ptr() for b in feed.batches]
    order = torch.stack([torch.randperm(N), torch.randperm(N)])
    feed.fill(order)
    feed.fill(order.flip(1))
    assert [b.data_ptr() for b in feed.batches] == before
    assert [tuple(b.shape) for b in feed.batches][-1] == (2, N - 4 * BATCH)
    assert torch.equal(torch.cat(feed.batches, 1), order.flip(1))


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["eager", "compiled"])
def test_resume_through_the_fixed_buffer_loop_is_exact(tmp_path, engine):
    members, x, y = _setup()
    kwargs = dict(batch_size=BATCH, lr=1e-2, engine=engine)
    whole = train(members, x, y, epochs=4, **kwargs)
    checkpoint = Checkpoint(tmp_path / "train.pt")
    train(members, x, y, epochs=2, checkpoint=checkpoint, checkpoint_every=1, **kwargs)
    # the 4-epoch run picks up after the second epoch, as after a kill there
    resumed = train(members, x, y, epochs=4, checkpoint=checkpoint, **kwargs)
    for a, b in zip(whole, resumed, strict=True):
        assert torch.equal(a, b)


def test_graphs_are_refused_off_cuda():
    members, x, y = _setup()
    schedule = BatchSchedule(members, N, BATCH, x.device)
    plan = stack_plan(schedule, members)
    step = _functional(plan.pack(init_params(members)), x, y, plan, 1e-2)
    with pytest.raises(ValueError, match="CUDA graphs need a CUDA device"):
        EpochRunner(step, IndexFeed(2, N, BATCH, x.device), warm_up=True, graphs=True)


@CUDA
def test_cuda_graph_replay_equals_the_compiled_step_run_one_by_one():
    members, x, y = _setup("cuda")
    kwargs = dict(batch_size=BATCH, lr=1e-2, epochs=3, engine="compiled")
    graphed = train(members, x, y, graphs=True, **kwargs)
    stepwise = train(members, x, y, graphs=False, **kwargs)
    for a, b in zip(graphed, stepwise, strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)


@CUDA
def test_cuda_compiled_equals_eager_to_float32_round_off():
    members, x, y = _setup("cuda")
    kwargs = dict(batch_size=BATCH, lr=1e-2, epochs=3)
    eager = train(members, x, y, engine="eager", **kwargs)
    compiled = train(members, x, y, engine="compiled", **kwargs)
    for a, b in zip(eager, compiled, strict=True):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=0)


@pytest.mark.slow
@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=CUDA)])
def test_stacks_compiled_in_threads_equal_the_same_stacks_one_after_another(device):
    """What the plan does on CUDA: stacks of different shapes and lrs compiled (and there
    captured) in threads, each on its own stream; on CPU the same threads without streams."""
    from suite.profiles import CI
    from suite.run.plan import StreamExecutor, plan_for

    members, x, y = _setup(device)
    settings = {"random_labels": (BATCH, 1e-2), "width_sweep": (40, 1e-2)}  # 48+8, 40 wide

    def run(name):
        batch, lr = settings[name]
        return train(members, x, y, batch_size=batch, lr=lr, epochs=2, engine="compiled")

    serial = {name: run(name) for name in settings}
    executor = StreamExecutor("cuda:0" if device == "cuda" else "cpu")
    executor.start(plan_for(list(settings), CI), run)
    for name in settings:
        for a, b in zip(serial[name], executor.result(name), strict=True):
            torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
