"""The engine modes: same mathematics, width stacks at their own widths, one compile per shape."""

from __future__ import annotations

import pytest
import torch
from torch._dynamo.utils import counters

from suite.train.engine import BatchSchedule, Member, Subsets, forward, init_params
from suite.train.layouts import UnitMajorFirst, WidthPacking
from suite.train.steps import (
    MODE_TOLERANCE,
    EagerStep,
    FunctionalStep,
    batch_loss,
    compiles,
    make_step,
)
from suite.train.training import stack_plan, train

N = 256


def _data(labels_per_member: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(N, 784, dtype=torch.float64, generator=g)
    shape = (labels_per_member, N) if labels_per_member else (N,)
    return x, torch.randint(0, 10, shape, generator=g)


def _width_stack(seeds: int = 2) -> list[Member]:
    return [Member((w,) * 3, 10 * s + w, 100 + s) for s in range(seeds) for w in (5, 20, 40)]


def test_packing_round_trips_and_the_packed_forward_equals_the_padded_one():
    members = _width_stack()
    plan = stack_plan(BatchSchedule(members, N, 64, torch.device("cpu")), members)
    assert isinstance(plan.packing, WidthPacking)
    params = init_params(members)
    packed = plan.pack(params)
    assert packed[0].shape == (2, 784, 65)  # 5 + 20 + 40 real columns per seed, not 3 x 40
    # every later layer at its members' own shapes: 3 positions x (weight, bias) per layer
    assert [tuple(p.shape) for p in packed[2:8:2]] == [(2, 5, 5), (2, 20, 20), (2, 40, 40)]
    assert tuple(packed[-2].shape) == (2, 40, 10)
    assert sum(p.numel() for p in packed) == sum(m.n_params for m in members)
    for a, b in zip(plan.unpack(packed), params, strict=True):
        assert torch.equal(a, b)
    x = torch.rand(2, 32, 784)
    padded = forward(params, x.repeat_interleave(3, dim=0))
    torch.testing.assert_close(plan.packing.forward(packed, x), padded, atol=1e-6, rtol=0)


def test_narrow_first_layers_train_unit_major_on_cpu_and_wide_ones_as_they_are():
    narrow = [Member((21,), s, 50 + s) for s in range(3)]
    plan = stack_plan(BatchSchedule(narrow, N, 64, torch.device("cpu")), narrow)
    assert isinstance(plan.packing, UnitMajorFirst)
    params = init_params(narrow)
    packed = plan.pack(params)
    assert packed[0].shape == (3, 21, 784) and packed[0].is_contiguous()
    assert all(torch.equal(a, b) for a, b in zip(plan.unpack(packed), params, strict=True))
    x = torch.rand(3, 32, 784)
    torch.testing.assert_close(
        plan.packing.forward(packed, x), forward(params, x), atol=1e-5, rtol=0
    )
    wide = [Member((64, 64), s, 50 + s) for s in range(3)]
    assert stack_plan(BatchSchedule(wide, N, 64, torch.device("cpu")), wide).packing is None
    assert UnitMajorFirst.of(narrow, torch.device("cuda")) is None  # measured on CPU only


def test_members_of_unequal_depth_patterns_are_not_packed():
    """Groups with other hidden widths than the pattern (same first width) stay padded."""
    members = [Member((w, 7 + s, 7), s, 100 + s) for s in range(2) for w in (5, 20)]
    plan = stack_plan(BatchSchedule(members, N, 64, torch.device("cpu")), members)
    assert plan.grouped and plan.packing is None


def _steps(engine_or_step, members, x, y, batch, lr, epochs, subsets=None):
    """Plain loop: ``epochs`` epochs of the schedule's batches through a fresh stepper."""
    schedule = BatchSchedule(members, N, batch, x.device, subsets)
    plan = stack_plan(schedule, members)
    init = plan.pack([p.double() for p in init_params(members)])
    step = engine_or_step(init, x, y, plan, lr)
    for _ in range(epochs):
        for idx in schedule.epoch():
            step(idx)
    return plan.unpack([p.detach() for p in step.params])


def test_the_functional_step_is_torch_adam():
    """The hand-written Adam (run eagerly) against torch.optim.Adam, float64."""
    members, (x, y) = _width_stack(), _data()
    eager = _steps(EagerStep, members, x, y, 64, 3e-3, 3)
    functional = _steps(lambda *a: FunctionalStep(*a, compile=False), members, x, y, 64, 3e-3, 3)
    for a, b in zip(eager, functional, strict=True):
        torch.testing.assert_close(a, b, atol=MODE_TOLERANCE, rtol=0)


class _TorchAdam:
    """The step as PyTorch's documentation writes it: ``backward`` and ``Adam(fused=True)``."""

    def __init__(self, params, x, y, plan, lr):
        self.params = [p.detach().clone().requires_grad_(True) for p in params]
        self.x, self.y, self.plan = x, y, plan
        self.opt = torch.optim.Adam(self.params, lr=lr, fused=True)

    def __call__(self, idx):
        self.opt.zero_grad(set_to_none=True)
        batch_loss(self.params, self.x, self.y, idx, self.plan).backward()
        self.opt.step()


@pytest.mark.parametrize(
    "experiment", ["random_labels", "width_sweep", "label_corruption", "measures"]
)
def test_the_eager_step_is_backward_and_fused_adam_to_the_bit(experiment):
    members, per_member, subsets, batch = _experiment_stacks()[experiment]
    g = torch.Generator().manual_seed(1)
    x = torch.rand(400, 784, dtype=torch.float64, generator=g)  # the subsets index 400 images
    y = torch.randint(0, 10, (per_member, N) if per_member else (400,), generator=g)
    if subsets is None:
        x, y = x[:N], (y if per_member else y[:N])
    ours = _steps(EagerStep, members, x, y, batch, 3e-3, 2, subsets)
    torch_adam = _steps(_TorchAdam, members, x, y, batch, 3e-3, 2, subsets)
    assert all(torch.equal(a, b) for a, b in zip(ours, torch_adam, strict=True))


def test_eager_checkpoints_load_what_torch_adam_saved():
    members, (x, y) = _width_stack(), _data()
    schedule = BatchSchedule(members, N, 64, x.device)
    plan = stack_plan(schedule, members)
    init = plan.pack([p.double() for p in init_params(members)])
    reference, ours = _TorchAdam(init, x, y, plan, 3e-3), EagerStep(init, x, y, plan, 3e-3)
    batches = list(schedule.epoch())
    for idx in batches[:2]:
        reference(idx)
    ours.load_state_dict(reference.opt.state_dict())
    with torch.no_grad():
        for p, q in zip(ours.params, reference.params, strict=True):
            p.copy_(q)
    reference(batches[2])
    ours(batches[2])
    assert all(torch.equal(a, b) for a, b in zip(ours.params, reference.params, strict=True))


def _experiment_stacks():
    """Each experiment's stack layout (members, labels, subsets, batch) at a small n."""
    table = torch.stack(
        [torch.randperm(400, generator=torch.Generator().manual_seed(s))[:N] for s in range(2)]
    )
    return {
        "random_labels": ([Member((21,), s, 50 + s) for s in range(3)], 3, None, 64),
        "width_sweep": (_width_stack(), 0, Subsets(table, [0, 0, 0, 1, 1, 1]), 64),
        "interpolation": ([Member((64,) * 3, s, 60 + s) for s in range(2)], 0, None, 64),
        "batch_sweep": ([Member((64,) * 3, s, 70 + s) for s in range(2)], 0, None, 128),
        "label_corruption": (
            [Member((21,), s % 2, 80 + s) for s in range(4)],
            4,
            Subsets(table, [0, 1, 0, 1]),
            64,
        ),
        "measures": ([Member((64,) * 3, s, 90) for s in range(2)], 2, None, 128),
    }


@pytest.mark.slow
@pytest.mark.parametrize("experiment", list(_experiment_stacks()))
def test_compiled_equals_eager_on_every_experiments_stack(experiment):
    members, per_member, subsets, batch = _experiment_stacks()[experiment]
    g = torch.Generator().manual_seed(1)
    x = torch.rand(400, 784, dtype=torch.float64, generator=g)
    y = torch.randint(0, 10, (per_member, N) if per_member else (400,), generator=g)
    if subsets is None:
        x, y = x[:N], (y if per_member else y[:N])
    kwargs = dict(batch_size=batch, lr=3e-3, epochs=2, subsets=subsets)
    init = [p.double() for p in init_params(members)]
    eager = train(members, x, y, params=init, engine="eager", **kwargs)
    compiled = train(members, x, y, params=init, engine="compiled", **kwargs)
    for a, b in zip(eager, compiled, strict=True):
        torch.testing.assert_close(a, b, atol=MODE_TOLERANCE, rtol=0)


@pytest.mark.slow
@pytest.mark.parametrize("experiment", ["random_labels", "label_corruption"])
def test_compiled_equals_eager_with_a_padded_short_last_batch(experiment):
    # batch 48 over 256 images: a last batch of 16, padded to 48 and masked in the compiled step
    members, per_member, subsets, _ = _experiment_stacks()[experiment]
    g = torch.Generator().manual_seed(2)
    x = torch.rand(400, 784, dtype=torch.float64, generator=g)
    y = torch.randint(0, 10, (per_member, N), generator=g)
    if subsets is None:
        x = x[:N]
    kwargs = dict(batch_size=48, lr=3e-3, epochs=2, subsets=subsets)
    init = [p.double() for p in init_params(members)]
    eager = train(members, x, y, params=init, engine="eager", **kwargs)
    compiled = train(members, x, y, params=init, engine="compiled", **kwargs)
    for a, b in zip(eager, compiled, strict=True):
        torch.testing.assert_close(a, b, atol=MODE_TOLERANCE, rtol=0)


def test_compilation_happens_once_per_stack_shape_not_per_step_batch_or_stack():
    members, (x, y) = [Member((7,), s, 30 + s) for s in range(2)], _data()
    x = x.float()
    counters.clear()
    # 256 images in batches of 48: five full batches and a short one of 16 (padded to 48 and
    # masked), for three epochs
    train(members, x, y, batch_size=48, lr=1e-3, epochs=3, engine="compiled")
    assert counters["stats"]["unique_graphs"] == 1
    others = [Member((7,), 10 + s, 40 + s) for s in range(2)]
    train(others, x, y, batch_size=48, lr=1e-3, epochs=2, engine="compiled")
    assert counters["stats"]["unique_graphs"] == 1  # same shapes: no new compilation


def test_a_new_learning_rate_does_not_compile_again():
    # The rate is a tensor, not a constant dynamo guards on: the measures grid's four rates of
    # one stack shape share its graphs.
    members, (x, y) = [Member((9,), s, 20 + s) for s in range(2)], _data()
    x = x.float()
    counters.clear()
    train(members, x, y, batch_size=64, lr=1e-3, epochs=1, engine="compiled")
    first = compiles()
    train(members, x, y, batch_size=64, lr=3e-2, epochs=1, engine="compiled")
    assert compiles() == first


def _read_in_a_new_thread(read):
    """What ``read()`` gives in a fresh thread after it asked for the compiled step."""
    import threading

    from suite.train.steps import _compiled_step

    seen = []

    def in_thread():
        _compiled_step()
        seen.append(read())

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    return seen[0]


def test_the_compiled_step_runs_inductor_deterministically_in_every_thread():
    import torch._inductor.config as inductor_config

    assert _read_in_a_new_thread(lambda: inductor_config.deterministic) is True


def test_an_unknown_engine_is_named():
    members, (x, y) = _width_stack(1), _data()
    plan = stack_plan(BatchSchedule(members, N, 64, torch.device("cpu")), members)
    with pytest.raises(ValueError, match="unknown engine 'jit'"):
        make_step("jit", init_params(members), x, y, plan, 1e-3)


def test_every_thread_that_compiles_gets_the_raised_recompile_limit():
    import torch._dynamo.config as dynamo_config

    from suite.train.steps import RECOMPILE_LIMIT

    assert _read_in_a_new_thread(lambda: dynamo_config.recompile_limit) >= RECOMPILE_LIMIT


def test_cuda_graphs_are_refused_for_the_eager_engine():
    members, (x, y) = _width_stack(1), _data()
    with pytest.raises(ValueError, match="CUDA graphs need engine='compiled'"):
        train(members, x, y, batch_size=64, lr=1e-3, epochs=1, engine="eager", graphs=True)
