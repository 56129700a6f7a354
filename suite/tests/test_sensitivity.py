"""Sensitivity is the softmax-output Jacobian's Frobenius norm, averaged over points."""

from __future__ import annotations

import torch
from torch.autograd.functional import jacobian

from suite.engine import Member, forward, init_params
from suite.sensitivity import sensitivity


def test_sensitivity_matches_a_plain_autograd_loop():
    members = [Member((12, 7), 1, 1), Member((12, 12), 2, 2)]
    params = init_params(members)
    x = torch.rand(9, 784)
    got = sensitivity(params, x, chunk=4)
    for i in range(len(members)):
        one = [p[i : i + 1] for p in params]
        norms = [
            jacobian(
                lambda xi, one=one: torch.softmax(forward(one, xi.view(1, 1, -1))[0, 0], -1), x[n]
            ).norm()
            for n in range(x.shape[0])
        ]
        assert abs(got[i].item() - torch.stack(norms).mean().item()) < 1e-5


def test_sensitivity_is_zero_for_a_constant_network():
    params = [torch.zeros_like(p) for p in init_params([Member((4,), 0, 0)])]
    assert sensitivity(params, torch.rand(5, 784)).abs().max().item() == 0.0
