"""Example (a): a measure of your own, judged like the homework's by the granulated rule.

The path norm (Neyshabur et al. 2015; one of the measures Jiang et al. 2020 compare): the
network's output on an all-ones input when every parameter is squared, summed over classes.
Registering it is all it takes for every run of the measures grid to get it as a column, for
the report to draw and tabulate it, and for the run cache to key on its code. One more line
declares the claim "the path norm ranks runs by their generalization gap within each axis".

Run: ``pytest examples/test_path_norm.py -m generalization`` (the ``measures`` experiment).
"""

import pytest
import torch

from suite import MeasureInput, granulated_claim, register_claim, register_measure


def path_norm(stack: MeasureInput) -> torch.Tensor:
    """sum_k f_{theta^2}(1)_k per member: ``params`` is [W1 (M, in, h1), b1 (M, h1), ...]."""
    weights, biases = stack.params[0::2], stack.params[1::2]
    w0 = weights[0]
    h = torch.ones(w0.shape[0], 1, w0.shape[1], dtype=torch.float64, device=w0.device)
    for w, b in zip(weights, biases, strict=True):
        h = h @ w.double().square() + b.double().square()[:, None, :]  # ReLU is a no-op here
    return h.sum(dim=(1, 2)).log()  # its log, as Jiang et al. report it


register_measure("path_norm", path_norm, label="log path norm", uses_train=False)
register_claim(granulated_claim("path_norm"))


@pytest.mark.generalization("path_norm-granulated")
def test_path_norm_ranks_runs_by_gap_within_each_axis(claim):
    claim.decide()
