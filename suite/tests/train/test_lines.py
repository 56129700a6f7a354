"""The line between two stacks (suite.train.lines): its first layer mixed from the two ends'
gives what evaluating every point's own model gives, up to float32 rounding."""

from __future__ import annotations

import pytest
import torch

from suite.tests.train.loads import BusyLoad, IdleLoad
from suite.train import fitting, lines, threads
from suite.train.engine import Member, Subsets, derive_seed, init_params
from suite.train.evaluation import evaluate

N = 1300


def _ends(hidden: tuple[int, ...], m: int = 3) -> tuple[list, list]:
    cpu = torch.device("cpu")
    one = init_params([Member(hidden, derive_seed("l1", s), 0) for s in range(m)], cpu)
    two = init_params([Member(hidden, derive_seed("l2", s), 0) for s in range(m)], cpu)
    return one, two


def _data(classes: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(5)
    return torch.rand(N, 784, generator=g), torch.randint(0, classes, (N,), generator=g)


ALPHA = torch.linspace(-0.5, 1.5, 9, dtype=torch.float64)  # 0 and 1 among them


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of a few hundred rows, so a set runs in several with a short last one."""
    monkeypatch.setattr(lines, "ACTIVATION_BUDGET", 9 * 64 * 400)


@pytest.mark.parametrize("hidden", [(64, 32, 16), (20,), ()], ids=["3 layers", "1", "none"])
@pytest.mark.parametrize("per_seed", [False, True], ids=["one set", "a set per seed"])
def test_the_line_scores_every_point_as_its_own_model_does(small_chunks, hidden, per_seed):
    theta1, theta2 = _ends(hidden)
    x, y = _data()
    subsets = line_sets = None
    if per_seed:  # seeds 0 and 2 share images, seed 1 has its own
        g = torch.Generator().manual_seed(6)
        table = torch.stack([torch.randperm(N, generator=g)[:1100] for _ in range(2)])
        subsets = Subsets(table, (0, 1, 0))
        line_sets = Subsets(table, [s for _ in ALPHA for s in (0, 1, 0)])
    loss, acc = lines.evaluate_line(theta1, theta2, ALPHA, x, y, subsets)
    points = lines.interpolate(theta1, theta2, ALPHA)
    want_loss, want_acc = evaluate(points, x, y, subsets=line_sets)
    assert loss.shape == acc.shape == (len(ALPHA) * 3,)
    torch.testing.assert_close(loss, want_loss, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(acc, want_acc, rtol=0, atol=1.5 / N)  # a near tie may flip
    assert len(set(loss.tolist())) == loss.numel()  # every point its own, none repeated


def test_each_members_own_labels_follow_its_points(small_chunks):
    theta1, theta2 = _ends((32,))
    x, _ = _data()
    g = torch.Generator().manual_seed(7)
    labels = torch.randint(0, 10, (3, N), generator=g)  # (M, N): one labelling per member
    subsets = Subsets(torch.arange(N).unsqueeze(0), (0, 0, 0))
    loss, _ = lines.evaluate_line(theta1, theta2, ALPHA, x, labels, subsets)
    points = lines.interpolate(theta1, theta2, ALPHA)
    per_point = labels.repeat(len(ALPHA), 1)
    line_sets = Subsets(torch.arange(N).unsqueeze(0), [0] * len(ALPHA) * 3)
    want, _ = evaluate(points, x, per_point, subsets=line_sets)
    torch.testing.assert_close(loss, want, rtol=1e-5, atol=1e-6)


def test_the_ends_of_the_line_are_the_two_stacks(small_chunks):
    theta1, theta2 = _ends((64, 64))
    x, y = _data()
    ends = torch.tensor([0.0, 1.0], dtype=torch.float64)
    loss, acc = lines.evaluate_line(theta1, theta2, ends, x, y)
    for k, theta in enumerate((theta1, theta2)):
        own_loss, own_acc = evaluate(theta, x, y)
        torch.testing.assert_close(loss[3 * k : 3 * k + 3], own_loss, rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(acc[3 * k : 3 * k + 3], own_acc, rtol=0, atol=1.5 / N)


def test_the_line_under_load_gives_the_idle_machines_bits(two_threads, monkeypatch):
    monkeypatch.setattr(fitting, "_FITTING", {})
    monkeypatch.setenv(threads.ENV, "1")
    theta1, theta2 = _ends((64, 64))
    x, y = _data()
    monkeypatch.setattr(threads, "shared_load", IdleLoad)
    idle = lines.evaluate_line(theta1, theta2, ALPHA, x, y)
    monkeypatch.setattr(threads, "shared_load", BusyLoad)
    assert fitting.same_bits(idle, lines.evaluate_line(theta1, theta2, ALPHA, x, y))
    assert len(fitting._FITTING) == 1  # checked once, as the line's own signature


def test_ends_of_other_shapes_are_refused():
    theta1, _ = _ends((32,))
    with pytest.raises(ValueError, match="two stacks"):
        lines.evaluate_line(theta1, theta1[:2], ALPHA, *_data())


def test_a_seeds_line_is_the_same_bits_beside_other_seeds(small_chunks):
    # the chunk is sized per line, so a seed's curve does not depend on the run's other seeds
    theta1, theta2 = _ends((64, 64), m=4)
    x, y = _data()
    loss, acc = lines.evaluate_line(theta1, theta2, ALPHA, x, y)
    one = [p[2:3] for p in theta1], [p[2:3] for p in theta2]
    alone_loss, alone_acc = lines.evaluate_line(*one, ALPHA, x, y)
    assert fitting.same_bits(loss.view(len(ALPHA), 4)[:, 2], alone_loss)
    assert fitting.same_bits(acc.view(len(ALPHA), 4)[:, 2], alone_acc)
