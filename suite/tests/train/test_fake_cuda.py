"""Every experiment, end to end, on fake CUDA tensors: a device mix fails here, not on a GPU.

``FakeTensorMode`` gives tensors a device and a shape but no data, and raises when one operation
mixes devices (a CPU tensor built without ``device=`` times CUDA parameters: the interpolation
bug that would have crashed the first GPU run after all its training). Reading a value back
(``tolist``, ``item``, ``bool``) has no data to read, so those return placeholders: zeros, and
True for a truth test (a run that checks "all finite" carries on). The numbers mean nothing;
the test is that every operation of training, measuring and evaluating runs on one device.

Differentiation needs a driver even on fake tensors (autograd asks CUDA for a context), so
``backward``, ``torch.autograd.grad``, ``torch.func.grad`` and the sensitivity's ``jacrev`` run
the function forward (its devices checked) and return zeros on the inputs' devices; the update
that follows (Adam, a sharpness ascent step) then runs on those, so it is checked too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode

import suite.measures.sensitivity
import suite.train.steps
from suite.data.splits import MnistSplits
from suite.experiments import label_corruption, measures, random_labels
from suite.profiles import (
    BatchSweep,
    Interpolation,
    LabelCorruption,
    Measures,
    RandomLabels,
    WidthSweep,
)
from suite.records import experiment_record

TINY = {
    "random_labels": RandomLabels(n_train=40, epochs=2, batch_size=20, eval_every=1),
    "width_sweep": WidthSweep(n_train=60, widths=(5, 10), epochs=2, batch_size=20, eval_every=1),
    "interpolation": Interpolation(
        n_train=60, hidden=(8,), epochs=1, small=(20, 1e-3), large=(30, 1e-2), n_alpha=4
    ),
    "batch_sweep": BatchSweep(
        n_train=60,
        hidden=(8,),
        batch_sizes=(20, 30),
        epochs=1,
        n_sensitivity=1000,
        sharpness_steps=1,
        sharpness_n=20,
    ),
    "label_corruption": LabelCorruption(
        n_train=40, hidden=(8,), fractions=(0.0, 1.0), epochs=2, batch_size=20
    ),
    "measures": Measures(
        n_train=60,
        hidden=(8,),
        epochs=2,
        base_batch=20,
        base_lr=1e-2,
        batch_sizes=(20,),
        lrs=(1e-2,),
        corruptions=(0.0, 1.0),
        sharpness_steps=1,
        sharpness_n=20,
    ),
}


def _placeholder(shape: tuple[int, ...]) -> object:
    return 0.0 if not shape else [_placeholder(shape[1:]) for _ in range(shape[0])]


@pytest.fixture
def fake_cuda(monkeypatch):
    """A FakeTensorMode whose tensors answer reads with placeholders instead of raising."""
    for name, value in {
        "tolist": lambda t: _placeholder(tuple(t.shape)),
        "item": lambda t: 0.0,
        "__bool__": lambda t: True,
        "__float__": lambda t: 0.0,
        "__int__": lambda t: 0,
    }.items():
        original = getattr(torch.Tensor, name)

        def patched(self, *args, _original=original, _value=value):
            if isinstance(self, FakeTensor):
                return _value(self)
            return _original(self, *args)

        monkeypatch.setattr(torch.Tensor, name, patched)
    _stub_differentiation(monkeypatch)
    # Label bookkeeping moves labels to the CPU first and its result back (tested on real
    # labels in test_splits.py); on placeholders its validity checks cannot pass.
    for module in (label_corruption, measures):
        monkeypatch.setattr(module, "corrupt_labels", lambda y, fraction, seed, *_, **__: y.clone())
    monkeypatch.setattr(random_labels, "chance_reference", lambda *args, **kwargs: 0.1)
    equal = torch.equal  # data-dependent too: two fake tensors are equal only if they are one
    monkeypatch.setattr(
        torch, "equal", lambda a, b: a is b if isinstance(a, FakeTensor) else equal(a, b)
    )
    with FakeTensorMode(allow_non_fake_inputs=False) as mode:
        yield mode


def _stub_differentiation(monkeypatch) -> None:
    backward, autograd_grad = torch.Tensor.backward, torch.autograd.grad

    def fake_backward(self, *args, **kwargs):
        if not isinstance(self, FakeTensor):
            backward(self, *args, **kwargs)

    def fake_autograd_grad(outputs, inputs, *args, **kwargs):
        if not isinstance(outputs, FakeTensor):
            return autograd_grad(outputs, inputs, *args, **kwargs)
        inputs = (inputs,) if isinstance(inputs, torch.Tensor) else inputs
        return tuple(torch.zeros_like(i) for i in inputs)

    def fake_func_grad(f, argnums=0):
        def grad_of(*args, **kwargs):
            f(*args, **kwargs)
            return torch.utils._pytree.tree_map(torch.zeros_like, args[argnums])

        return grad_of

    def fake_jacrev(f, argnums=0):
        def jacobian(*args):
            out = f(*args)
            return out.new_zeros(*out.shape, *args[argnums].shape)

        return jacobian

    monkeypatch.setattr(torch.Tensor, "backward", fake_backward)
    monkeypatch.setattr(torch.autograd, "grad", fake_autograd_grad)
    monkeypatch.setattr(torch.func, "grad", fake_func_grad)
    monkeypatch.setattr(suite.measures.sensitivity, "jacrev", fake_jacrev)


def _splits(n_train: int, n_test: int = 1000) -> MnistSplits:
    x = torch.empty(n_train + n_test, 784, device="cuda")
    y = torch.empty(n_train + n_test, dtype=torch.long, device="cuda")
    return MnistSplits(
        x[:n_train], y[:n_train], x[:0], y[:0], x[n_train:], y[n_train:], "fake", Path(".")
    )


@pytest.mark.parametrize("name", list(TINY))
@pytest.mark.parametrize("engine", ["eager", "compiled"])
def test_every_experiment_runs_on_one_cuda_device(fake_cuda, monkeypatch, name, engine):
    # the compiled engine's step function, run uncompiled: the devices are under test here,
    # not the compiler (and without a driver there are no CUDA graphs to capture)
    monkeypatch.setattr(suite.train.steps, "_compiled_step", lambda: suite.train.steps.adam_step)
    # and torch's own Adam in its plain form: its fused kernel asks the driver for a context
    adam = torch.optim.Adam
    monkeypatch.setattr(
        torch.optim, "Adam", lambda *a, **k: adam(*a, **{**k, "fused": False, "foreach": False})
    )
    cfg = TINY[name]
    result = experiment_record(name).runner()(cfg, _splits(cfg.n_train), 2, engine=engine)
    assert result.device.startswith("cuda")
    assert all(len(frame) for frame in result.frames.values())


def test_a_device_mix_is_caught(fake_cuda):
    params = torch.empty(3, 3, device="cuda")
    with pytest.raises(RuntimeError, match="devices"):
        torch.linspace(0, 1, 3) * params
