"""The measure seam: a measure registered once is computed for every generalization run, becomes
a column of the frames and keys the run cache; registration errors; the registry restores."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
import torch
from torch import Tensor

from suite.data.splits import MnistSplits
from suite.experiments import run_batch_sweep
from suite.experiments.common import generalization_columns
from suite.measures.registry import (
    MeasureInput,
    fingerprint,
    measure_names,
    register_measure,
    registered,
    restored,
)
from suite.profiles import BatchSweep
from suite.run.jobs import JobSpec
from suite.run.obtain import keyed_settings
from suite.train.seeds import SeedSet


def frobenius_product(inp: MeasureInput) -> Tensor:
    """A norm-based measure of Jiang et al. 2020: the product over layers of ||W_l||_F, (M,)."""
    weights = inp.params[0::2]
    norms = torch.stack([torch.linalg.matrix_norm(w, ord="fro") for w in weights])
    return norms.prod(dim=0).double()


def first_image_sum(inp: MeasureInput) -> Tensor:
    """Reads the training data it is given: the sum of its images, the same for every member."""
    assert inp.train_x is not None and inp.train_y is not None
    assert inp.train_x.shape[0] == inp.settings.sharpness_n == inp.train_y.shape[-1]
    return torch.full((inp.members,), float(inp.train_x.double().sum()), dtype=torch.float64)


def splits(n_train: int = 200, n_test: int = 1000) -> MnistSplits:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n_train + n_test, 784, generator=g)
    y = torch.randint(0, 10, (n_train + n_test,), generator=g)
    return MnistSplits(
        x[:n_train], y[:n_train], x[:0], y[:0], x[n_train:], y[n_train:], "synthetic", Path(".")
    )


TINY = BatchSweep(
    n_train=100, hidden=(8,), batch_sizes=(50,), epochs=1, sharpness_steps=1, sharpness_n=40
)


def test_the_built_ins_come_first_in_order():
    assert measure_names()[:2] == ("sensitivity", "sharpness")
    assert generalization_columns()[-2:] == ["sensitivity", "sharpness"]


def test_a_registered_measure_is_a_column_of_every_run_with_the_stacks_numbers():
    data = splits()
    with restored():
        register_measure("frob_product", frobenius_product, label="prod ||W||_F")
        register_measure("image_sum", first_image_sum)
        result = run_batch_sweep(TINY, data, seeds=2)
    final = result.frames["final"]
    assert list(final.columns[-4:]) == ["sensitivity", "sharpness", "frob_product", "image_sum"]
    assert result.extra["measures"]["frob_product"] == "prod ||W||_F"
    trained = result.weights["batch50"]  # the stack's final parameters, as the cache keeps them
    torch.testing.assert_close(
        torch.tensor(final["frob_product"].to_numpy()), frobenius_product_of(trained)
    )
    # a measure of training data sees each member's own training set (per seed here)
    images = SeedSet.of(2).training_images(data.train_x.shape[0], TINY.n_train, "cpu")
    own = [float(data.train_x[images[s][: TINY.sharpness_n]].double().sum()) for s in range(2)]
    assert final["image_sum"].tolist() == pytest.approx(own, rel=1e-12)
    assert own[0] != own[1]
    assert "frob_product" not in measure_names()  # the registry is as before


def frobenius_product_of(params: list[Tensor]) -> Tensor:
    return frobenius_product(MeasureInput(params, None, None, torch.zeros(0), None))


def test_a_measure_of_the_wrong_shape_is_refused():
    with restored():
        register_measure("bad", lambda inp: torch.zeros(inp.members + 1), uses_train=False)
        with pytest.raises(ValueError, match="'bad'"):
            run_batch_sweep(TINY, splits(), seeds=1)


def test_registering_a_name_twice_is_an_error_unless_the_same_function():
    with restored():
        register_measure("frob_product", frobenius_product)
        register_measure("frob_product", frobenius_product)  # a module imported twice
        with pytest.raises(ValueError, match="registered already"):
            register_measure("frob_product", first_image_sum)
        with pytest.raises(ValueError, match="registered already"):
            register_measure("sharpness", frobenius_product)
        assert [m.name for m in registered()].count("frob_product") == 1


def test_a_probe_must_be_callable_and_is_kept_with_the_measure():
    with restored():
        with pytest.raises(TypeError, match="probe"):
            register_measure("frob_product", frobenius_product, probe=3)
        kept = register_measure("frob_product", frobenius_product, probe=frobenius_product)
        assert kept.probe is frobenius_product
    assert {m.name: m.probe is not None for m in registered()} == {
        "sensitivity": True,
        "sharpness": True,
    }


@pytest.mark.parametrize("name", ["gap", "seed", "batch_size", "test_acc", "1x", "a-b", "", "if"])
def test_a_name_must_be_a_new_valid_column(name):
    with restored(), pytest.raises(ValueError):
        register_measure(name, frobenius_product)


def test_the_cache_key_holds_the_measures_of_measured_experiments_only():
    settings = asdict(TINY)
    assert keyed_settings("random_labels", settings) == settings
    before = keyed_settings("batch_sweep", settings)
    assert list(before["measures"]) == ["sensitivity", "sharpness"]

    def key() -> str:
        keyed = keyed_settings("batch_sweep", settings)
        args = (TINY, keyed, SeedSet(0, 1), "t", "eager", "cpu", None, "x", Path("."))
        return JobSpec("batch_sweep", *args).key

    before_key = key()
    with restored():
        register_measure("frob_product", frobenius_product)
        assert list(fingerprint()) == ["sensitivity", "sharpness", "frob_product"]
        assert key() != before_key
    assert key() == before_key  # unregistered: the same entry again


def test_the_digest_follows_the_measures_code():
    namespace: dict = {}
    exec("def m(inp):\n    return inp.params[0].sum((1, 2))\n", namespace)
    with restored():
        register_measure("one", frobenius_product)
        register_measure("two", first_image_sum)
        digests = fingerprint()
    assert digests["one"] == digests["two"]  # one module: its source holds both
    with restored():
        register_measure("one", namespace["m"])  # no source file: keyed on its name
        assert fingerprint()["one"] != digests["one"]
