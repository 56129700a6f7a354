"""The stacked engine gives every member the numbers of the reference loop
(``suite.train.reference``): the same init, batch order and Adam steps, one model at a time."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from suite.train import reference
from suite.train.engine import Member, init_params
from suite.train.evaluation import evaluate
from suite.train.training import train


def data(n: int = 300) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 784, generator=g), torch.randint(0, 10, (n,), generator=g)


def linears(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def test_the_reference_model_starts_where_the_engines_member_does():
    member = Member((20, 20, 20), init_seed=7, data_seed=8)
    stack = init_params([member])
    for k, lin in enumerate(linears(reference.mlp(member.hidden, member.init_seed))):
        assert torch.equal(stack[2 * k][0], lin.weight.detach().T)
        assert torch.equal(stack[2 * k + 1][0], lin.bias.detach())


@pytest.mark.parametrize("hidden", [(21,), (5, 5, 5), (90, 90, 90)])
def test_the_engine_trains_a_stack_of_seeds_to_the_reference_loops_numbers(hidden):
    # float64, so that the comparison tests the algorithm, not float32 summation orders
    x, y = data()
    members = [Member(hidden, init_seed=10 + i, data_seed=20 + i) for i in range(3)]
    init = [p.double() for p in init_params(members)]
    stacked = train(members, x.double(), y, batch_size=64, lr=3e-3, epochs=3, params=init)
    loss, acc = evaluate(stacked, x.double(), y)
    for i, m in enumerate(members):
        model = reference.mlp(m.hidden, m.init_seed).double()
        reference.train(
            model, x.double(), y, batch_size=64, lr=3e-3, epochs=3, data_seed=m.data_seed
        )
        for k, lin in enumerate(linears(model)):
            torch.testing.assert_close(stacked[2 * k][i], lin.weight.detach().T, atol=1e-6, rtol=0)
            torch.testing.assert_close(stacked[2 * k + 1][i], lin.bias.detach(), atol=1e-6, rtol=0)
        ref_loss, ref_acc = reference.evaluate(model, x.double(), y)
        assert float(loss[i]) == pytest.approx(ref_loss, abs=1e-6)
        assert float(acc[i]) == pytest.approx(ref_acc, abs=1e-9)
