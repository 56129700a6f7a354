"""Sharpness (Keskar et al. 2017) against closed forms, and on a real stack."""

from __future__ import annotations

import math

import pytest
import torch

from suite.measures.sharpness import (
    ascent_probe,
    box_radius,
    cross_entropy_of_stack,
    max_in_box,
    relative_increase,
    sharpness,
)
from suite.train.engine import Member, init_params
from suite.train.evaluation import evaluate


def quadratic(curvatures: list[torch.Tensor]):
    """L(theta) = 0.5 * sum_i c_i theta_i^2 per member of a stack (leading dim M)."""

    def loss(params):
        return sum(
            0.5 * (c * p**2).flatten(1).sum(1) for c, p in zip(curvatures, params, strict=True)
        )

    return loss


def stack(m: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn(m, 5, 3, generator=g, dtype=torch.float64)]
    params.append(torch.randn(m, 3, generator=g, dtype=torch.float64))
    curv = [torch.rand(p.shape, generator=g, dtype=torch.float64) * 4 + 0.1 for p in params]
    return params, curv


@pytest.mark.parametrize("eps", [1e-3, 5e-4, 0.05])
def test_max_over_the_box_of_a_convex_quadratic_is_the_corner(eps):
    # Each coordinate's term is convex, so the box maximum is the corner away from the origin:
    # delta_i = eps (|theta_i| + 1) sign(theta_i), L_max = 0.5 sum c_i (|theta_i| + r_i)^2.
    params, curv = stack(4, seed=1)
    loss = quadratic(curv)
    base, peak = max_in_box(loss, params, eps=eps, steps=20, step_size=0.1)
    radius = box_radius(params, eps)
    closed = sum(
        0.5 * (c * (p.abs() + r) ** 2).flatten(1).sum(1)
        for c, p, r in zip(curv, params, radius, strict=True)
    )
    torch.testing.assert_close(base, loss(params))
    torch.testing.assert_close(peak, closed, rtol=1e-12, atol=0)
    expected = 100 * (closed - base) / (1 + base)
    torch.testing.assert_close(relative_increase(base, peak), expected, rtol=1e-12, atol=0)


def test_the_ascent_needs_enough_steps_to_reach_the_corner():
    params, curv = stack(2, seed=2)
    loss = quadratic(curv)
    _, short = max_in_box(loss, params, eps=0.01, steps=3, step_size=0.1)
    _, full = max_in_box(loss, params, eps=0.01, steps=10, step_size=0.1)
    assert torch.all(short < full)  # 3 steps of 0.1 r reach 30% of the way


def test_every_member_is_its_own_problem():
    params, curv = stack(3, seed=3)
    loss = quadratic(curv)
    _, together = max_in_box(loss, params, eps=0.01, steps=20, step_size=0.1)
    for i in range(3):
        one = quadratic([c[i : i + 1] for c in curv])
        alone_params = [p[i : i + 1] for p in params]
        _, alone = max_in_box(one, alone_params, eps=0.01, steps=20, step_size=0.1)
        torch.testing.assert_close(together[i : i + 1], alone, rtol=1e-12, atol=0)


def mlp_stack():
    members = [Member((16,), init_seed=s, data_seed=s) for s in range(3)]
    params = init_params(members)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 784, generator=g)
    y = torch.randint(0, 10, (200,), generator=g)
    return params, x, y


def test_sharpness_of_a_network_is_a_relative_increase_in_percent():
    params, x, y = mlp_stack()
    s = sharpness(params, x, y, eps=1e-3, steps=10, step_size=0.1)
    assert s.shape == (3,) and s.dtype == torch.float64
    assert torch.all(s > 0)
    assert torch.all(sharpness(params, x, y, eps=0.0, steps=10, step_size=0.1) == 0)
    larger = sharpness(params, x, y, eps=1e-2, steps=10, step_size=0.1)
    assert torch.all(larger > s)
    # the loss at the centre is the engine's own evaluation of the members
    base, _ = max_in_box(cross_entropy_of_stack(x, y), params, eps=1e-3, steps=0, step_size=0.1)
    torch.testing.assert_close(base.double(), evaluate(params, x, y)[0], rtol=1e-5, atol=1e-6)


def test_bad_settings_are_rejected():
    params, curv = stack(1, seed=4)
    with pytest.raises(ValueError, match="eps"):
        max_in_box(quadratic(curv), params, eps=-1.0, steps=5, step_size=0.1)
    with pytest.raises(ValueError, match="step"):
        max_in_box(quadratic(curv), params, eps=1e-3, steps=5, step_size=0.0)
    with pytest.raises(ValueError, match="eps"):
        max_in_box(quadratic(curv), params, eps=math.inf, steps=5, step_size=0.1)


def test_the_probe_is_the_ascents_first_step_with_its_gradient():
    params, curv = stack(3, 9)
    loss = quadratic(curv)
    base, *grads, best = ascent_probe(loss, params, eps=0.05, step_size=0.1)
    want_base, want_best = max_in_box(loss, params, eps=0.05, steps=1, step_size=0.1)
    assert torch.equal(base, want_base) and torch.equal(best, want_best)
    assert len(grads) == len(params)
    for g, c, p in zip(grads, curv, params, strict=True):  # dL/dtheta = c * theta
        torch.testing.assert_close(g, c * p)
