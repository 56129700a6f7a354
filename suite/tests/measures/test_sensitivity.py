"""Sensitivity is the softmax-output Jacobian's Frobenius norm, averaged over points."""

from __future__ import annotations

import pytest
import torch
from torch.autograd.functional import jacobian

from suite.measures.sensitivity import probe_points, sensitivity
from suite.train.engine import Member, forward, init_params


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


def test_the_probe_is_a_fixed_random_sample_of_at_least_1000_test_images():
    from suite.experiments.common import sensitivity_probe

    test_x = torch.arange(10_000, dtype=torch.float32).unsqueeze(1)  # image k is the number k
    probe = sensitivity_probe(test_x, 1000)
    assert probe.shape == (1000, 1)
    ids = probe[:, 0].long()
    assert ids.unique().numel() == 1000  # without replacement
    assert torch.equal(probe, sensitivity_probe(test_x, 1000))  # the same draw every time
    assert not torch.equal(ids, torch.arange(1000))  # not the first 1000
    assert ids.max() >= 5000  # from both halves of the test set
    for n in (999, 10):
        with pytest.raises(ValueError, match="1000"):
            sensitivity_probe(test_x, n)
    with pytest.raises(ValueError):
        sensitivity_probe(test_x[:500], 1000)


@pytest.mark.parametrize(
    ("n", "sizes"), [(100, [100]), (250, [250]), (1000, [250]), (1100, [250, 100])]
)
def test_the_probe_points_are_the_first_chunk_and_the_short_last_one(n, sizes):
    x = torch.arange(n).float().unsqueeze(1)
    pieces = probe_points(x, chunk=250)
    assert [len(p) for p in pieces] == sizes
    assert pieces[0][0, 0] == 0  # from the first point
    if len(pieces) == 2:  # and to the last
        assert pieces[1][-1, 0] == n - 1
