"""The stacked engine must give every member exactly what it would get trained alone."""

from __future__ import annotations

from itertools import pairwise

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from suite.train.engine import (
    BatchSchedule,
    Member,
    Subsets,
    check_finite,
    forward,
    init_params,
)
from suite.train.evaluation import evaluate, unpadded
from suite.train.training import train


def _alone(member: Member, params: list[torch.Tensor], i: int) -> nn.Sequential:
    """A plain nn.Linear MLP of the member's true widths, initialized from its stack slice."""
    sizes = [784, *member.hidden, 10]
    layers: list[nn.Module] = []
    for k, (a, b) in enumerate(pairwise(sizes)):
        lin = nn.Linear(a, b, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(params[2 * k][i, :a, :b].T)
            lin.bias.copy_(params[2 * k + 1][i, :b])
        layers += [lin, nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _train_alone(model: nn.Sequential, x, y, batches, lr: float) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for idx in batches:
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()


WIDTH_STACK = [(5, 5, 5), (20, 20, 20), (90, 90, 90)]


@pytest.mark.parametrize(
    ("widths", "data_seeds"),
    [
        (WIDTH_STACK, [20, 21, 22]),  # every member its own batch order
        ([(21,), (21,)], [20, 21]),
        (WIDTH_STACK * 2, [20, 20, 20, 21, 21, 21]),  # two orders shared by groups: grouped GEMM
        (WIDTH_STACK * 2, [20, 21, 20, 21, 20, 21]),  # shared, but not group-major
    ],
    ids=["own-order", "random-labels-shape", "grouped", "interleaved"],
)
def test_stacked_training_equals_training_each_model_alone(widths, data_seeds):
    # float64 so that the comparison tests the algorithm, not float32 summation order (Adam
    # divides by sqrt(v) and so magnifies round-off on near-zero gradients to ~1e-5 in float32).
    torch.manual_seed(0)
    x, y = torch.rand(300, 784, dtype=torch.float64), torch.randint(0, 10, (300,))
    members = [
        Member(w, init_seed=10 + i, data_seed=d)
        for i, (w, d) in enumerate(zip(widths, data_seeds, strict=True))
    ]
    init = [p.double() for p in init_params(members)]
    epochs, batch, lr = 3, 64, 3e-3
    grouped = data_seeds == [20, 20, 20, 21, 21, 21]
    plan = BatchSchedule(members, 300, batch, torch.device("cpu"))
    assert plan.grouped == grouped
    # the grouped layout multiplies only the real (unpadded) first-layer columns: 5 + 20 + 90
    assert (plan.real is not None and plan.real.numel() == 115) == grouped
    stacked = train(members, x, y, batch_size=batch, lr=lr, epochs=epochs, params=init)

    schedule = BatchSchedule(members, 300, batch, torch.device("cpu"))
    per_member_batches = [[] for _ in members]
    for _ in range(epochs):
        for idx in schedule.epoch():
            for i in range(len(members)):
                per_member_batches[i].append(idx[schedule.member_order[i]])
    for i, m in enumerate(members):
        model = _alone(m, init, i)
        _train_alone(model, x, y, per_member_batches[i], lr)
        linears = [mod for mod in model if isinstance(mod, nn.Linear)]
        for k, lin in enumerate(linears):
            a, b = lin.in_features, lin.out_features
            torch.testing.assert_close(
                stacked[2 * k][i, :a, :b], lin.weight.detach().T, atol=1e-5, rtol=0
            )
            torch.testing.assert_close(
                stacked[2 * k + 1][i, :b], lin.bias.detach(), atol=1e-5, rtol=0
            )
            # padding stays exactly zero: the padded units never move
            assert (stacked[2 * k][i, a:, :] == 0).all()
            assert (stacked[2 * k][i, :, b:] == 0).all()
            assert (stacked[2 * k + 1][i, b:] == 0).all()


@pytest.mark.parametrize(
    ("widths", "data_seeds", "group"),
    [
        (WIDTH_STACK, [20, 21, 22], [0, 1, 0]),  # own orders; two members on one subset
        (WIDTH_STACK * 2, [20, 20, 20, 21, 21, 21], [0, 0, 0, 1, 1, 1]),  # grouped GEMM
        (WIDTH_STACK * 2, [20, 21, 20, 21, 20, 21], [1, 0, 1, 0, 1, 0]),  # shared, interleaved
    ],
    ids=["own-order", "grouped", "interleaved"],
)
@pytest.mark.parametrize("labels", ["shared", "per-member"])
def test_stacked_training_on_subsets_equals_training_each_model_alone_on_its_images(
    widths, data_seeds, group, labels
):
    """Each member trains on its own rows of one image tensor, as if it had only those."""
    torch.manual_seed(2)
    x, y_all = torch.rand(500, 784, dtype=torch.float64), torch.randint(0, 10, (500,))
    table = torch.stack([torch.randperm(500)[:200], torch.randperm(500)[:200]])
    subsets = Subsets(table, group)
    members = [
        Member(w, init_seed=30 + i, data_seed=d)
        for i, (w, d) in enumerate(zip(widths, data_seeds, strict=True))
    ]
    # per-member labels are indexed by position in the member's own training set
    y = y_all if labels == "shared" else torch.randint(0, 10, (len(members), 200))
    init = [p.double() for p in init_params(members)]
    epochs, batch, lr = 2, 64, 3e-3
    schedule = BatchSchedule(members, 200, batch, torch.device("cpu"), subsets)
    assert schedule.grouped == (data_seeds == [20, 20, 20, 21, 21, 21])
    stacked = train(
        members, x, y, batch_size=batch, lr=lr, epochs=epochs, params=init, subsets=subsets
    )
    loss, acc = evaluate(stacked, x, y, chunk=64, subsets=subsets)

    positions = [[] for _ in members]
    for _ in range(epochs):
        for idx in schedule.epoch():
            for i in range(len(members)):
                positions[i].append(idx[schedule.member_order[i]])
    for i, m in enumerate(members):
        rows = table[group[i]]
        own_y = y_all[rows] if labels == "shared" else y[i]
        model = _alone(m, init, i)
        _train_alone(model, x[rows], own_y, positions[i], lr)
        linears = [mod for mod in model if isinstance(mod, nn.Linear)]
        for k, lin in enumerate(linears):
            a, b = lin.in_features, lin.out_features
            torch.testing.assert_close(
                stacked[2 * k][i, :a, :b], lin.weight.detach().T, atol=1e-5, rtol=0
            )
        with torch.no_grad():
            logits = model(x[rows])
        assert loss[i].item() == pytest.approx(F.cross_entropy(logits, own_y).item(), abs=1e-6)
        assert acc[i].item() == pytest.approx((logits.argmax(1) == own_y).double().mean().item())


def test_members_sharing_a_batch_order_must_share_their_images():
    x, y = torch.rand(100, 784), torch.randint(0, 10, (100,))
    table = torch.stack([torch.arange(50), torch.arange(50, 100)])
    members = [Member((4,), 1, 7), Member((4,), 2, 7)]
    with pytest.raises(ValueError, match="must share their training images"):
        train(members, x, y, batch_size=10, lr=1e-3, epochs=1, subsets=Subsets(table, [0, 1]))
    # two table rows holding the same images are one training set
    same = Subsets(torch.stack([torch.arange(50), torch.arange(50)]), [0, 1])
    train(members, x, y, batch_size=10, lr=1e-3, epochs=1, subsets=same)
    assert [m for m, _ in same.sets()] == [[0, 1]]


def test_per_member_labels_train_each_member_on_its_own_labels():
    torch.manual_seed(1)
    x = torch.rand(200, 784, dtype=torch.float64)
    y = torch.randint(0, 10, (2, 200))
    members = [Member((8,), 1, 2), Member((8,), 3, 4)]
    init = [p.double() for p in init_params(members)]
    both = train(members, x, y, batch_size=50, lr=1e-2, epochs=2, params=init)
    only_first = train(
        members[:1], x, y[:1], batch_size=50, lr=1e-2, epochs=2, params=[p[:1] for p in init]
    )
    for a, b in zip(both, only_first, strict=True):
        torch.testing.assert_close(a[:1], b, atol=1e-9, rtol=0)


def test_same_seeds_give_identical_numbers():
    x, y = torch.rand(256, 784), torch.randint(0, 10, (256,))
    members = [Member((16, 16), 7, 8)]
    first = train(members, x, y, batch_size=32, lr=1e-3, epochs=2)
    second = train(members, x, y, batch_size=32, lr=1e-3, epochs=2)
    for a, b in zip(first, second, strict=True):
        assert torch.equal(a, b)


def test_member_params_count_matches_the_homework_model():
    assert Member((21,), 0, 0).n_params == 16_705  # the "~16,750 params" of section 1
    assert Member((5, 5, 5), 0, 0).n_params == 784 * 5 + 5 + 2 * (5 * 5 + 5) + 5 * 10 + 10


def test_evaluate_matches_a_loop_over_members():
    members = [Member((10,), 1, 1), Member((30,), 2, 2)]
    params = init_params(members)
    x, y = torch.rand(50, 784), torch.randint(0, 10, (50,))
    loss, acc = evaluate(params, x, y, chunk=16)
    logits = forward(params, x)
    for i in range(2):
        assert loss[i].item() == pytest.approx(F.cross_entropy(logits[i], y).item(), abs=1e-6)
        assert acc[i].item() == pytest.approx((logits[i].argmax(1) == y).float().mean().item())


@pytest.mark.parametrize("depth", [1, 3])
def test_evaluate_of_a_padded_width_stack_matches_each_model_alone(depth):
    """Evaluation drops the zero padding (``unpadded``) and runs all first layers as one GEMM;
    every member's loss and accuracy must still be its own model's, on its own training set
    and labels."""
    widths = [5, 20, 90, 20, 5]
    members = [Member((w,) * depth, 30 + i, i % 2) for i, w in enumerate(widths)]
    params = init_params(members)
    x = torch.rand(120, 784)
    y = torch.randint(0, 10, (len(members), 60))  # per member, by position in its set
    subsets = Subsets(torch.stack([torch.arange(0, 60), torch.arange(60, 120)]), [0, 1, 0, 1, 0])
    loss, acc = evaluate(params, x, y, chunk=25, subsets=subsets)
    for i, m in enumerate(members):
        rows = subsets.table[subsets.group[i]]
        model = _alone(m, params, i)
        with torch.no_grad():
            logits = model(x[rows].double())
        labels = y[i]
        assert loss[i].item() == pytest.approx(F.cross_entropy(logits, labels).item(), abs=1e-5)
        assert acc[i].item() == (logits.argmax(1) == labels).double().mean().item()


def test_unpadded_groups_members_by_width_without_their_padding():
    members = [Member((w, w), i, 0) for i, w in enumerate([5, 20, 5, 90])]
    parts = unpadded(init_params(members))
    shapes = {tuple(index.tolist()): [tuple(p.shape) for p in part] for index, part in parts}
    assert shapes[(0, 2)] == [(2, 784, 5), (2, 5), (2, 5, 5), (2, 5), (2, 5, 10), (2, 10)]
    assert shapes[(1,)][2] == (1, 20, 20)
    assert shapes[(3,)][2] == (1, 90, 90)
    alike = init_params([Member((8,), i, 0) for i in range(3)])
    [(index, part)] = unpadded(alike)
    assert index.tolist() == [0, 1, 2] and part is alike  # nothing padded: the stack itself


def test_divergence_is_an_error_naming_the_config():
    with pytest.raises(FloatingPointError, match="width 5"):
        check_finite(torch.tensor([0.1, float("nan")]), "width 5")


def test_members_of_different_depth_cannot_share_a_stack():
    with pytest.raises(ValueError, match="same depth"):
        init_params([Member((5,), 0, 0), Member((5, 5), 0, 0)])


def test_the_epoch_hook_can_stop_training_early():
    x, y = torch.rand(128, 784), torch.randint(0, 10, (128,))
    members = [Member((6,), 1, 2)]
    seen = []

    def hook(epoch, _params):
        seen.append(epoch)
        return epoch == 2

    stopped = train(members, x, y, batch_size=32, lr=1e-2, epochs=10, on_epoch=hook)
    two = train(members, x, y, batch_size=32, lr=1e-2, epochs=2)
    assert seen == [0, 1, 2]
    for a, b in zip(stopped, two, strict=True):
        assert torch.equal(a, b)
