"""The splits as tensors, and the relabelling helpers."""

from __future__ import annotations

import pytest
import torch

from suite.data.idx import (
    MNIST_TEST_CLASS_COUNTS,
    MNIST_TRAIN_CLASS_COUNTS,
    MnistUnavailable,
    dataset_checksum,
)
from suite.data.splits import (
    MnistSplits,
    class_counts,
    corrupt_labels,
    load_mnist,
    random_labels,
)


@pytest.fixture(scope="module")
def splits() -> MnistSplits:
    try:
        return load_mnist()
    except MnistUnavailable as error:
        pytest.skip(f"MNIST is not available here: {error}")


# --- the splits ----------------------------------------------------------------------------------


def test_split_sizes_are_the_homeworks(splits):
    assert splits.train_x.shape == (55_000, 784) and splits.train_y.shape == (55_000,)
    assert splits.val_x.shape == (5_000, 784) and splits.val_y.shape == (5_000,)
    assert splits.test_x.shape == (10_000, 784) and splits.test_y.shape == (10_000,)


def test_class_counts_are_mnists(splits):
    train_and_val = torch.cat([splits.train_y, splits.val_y])
    assert tuple(class_counts(train_and_val)) == MNIST_TRAIN_CLASS_COUNTS
    assert tuple(class_counts(splits.test_y)) == MNIST_TEST_CLASS_COUNTS


def test_images_are_float32_pixels_over_255_and_labels_int64(splits):
    for x in (splits.train_x, splits.val_x, splits.test_x):
        assert x.dtype == torch.float32
        assert x.min().item() == 0.0 and x.max().item() == 1.0
        pixels = x * 255
        assert torch.equal(pixels, pixels.round())
    for y in (splits.train_y, splits.val_y, splits.test_y):
        assert y.dtype == torch.int64
    assert splits.device == torch.device("cpu")


def test_validation_is_the_last_5000_training_images(splits):
    from torchvision.datasets import MNIST

    labels = MNIST(str(splits.root), train=True, download=False).targets
    assert torch.equal(splits.train_y, labels[:55_000])
    assert torch.equal(splits.val_y, labels[55_000:])


def test_loading_again_is_cached(splits):
    assert load_mnist() is splits
    assert load_mnist(splits.root) is splits
    assert splits.checksum == dataset_checksum(splits.root)
    assert splits.to("cpu") is splits


# --- random labels -------------------------------------------------------------------------------


def test_random_labels_are_reproducible_per_seed_and_differ_across_seeds():
    y = torch.zeros(1000, dtype=torch.int64)
    first, again, other = random_labels(y, 0), random_labels(y, 0), random_labels(y, 1)
    assert torch.equal(first, again)
    assert (first != other).float().mean() > 0.8
    assert first.dtype == torch.int64 and first.shape == y.shape and first.device == y.device
    assert first.min() >= 0 and first.max() <= 9


def test_random_labels_are_roughly_uniform_and_leave_the_global_rng_alone():
    state = torch.get_rng_state()
    labels = random_labels(torch.zeros(100_000, dtype=torch.int64), seed=3)
    assert torch.equal(torch.get_rng_state(), state)
    counts = torch.tensor(class_counts(labels), dtype=torch.float64)
    assert (counts - 10_000).abs().max() < 500  # ~5 binomial standard errors


def test_random_labels_honour_num_classes():
    assert random_labels(torch.zeros(500, dtype=torch.int64), 0, num_classes=3).max() == 2


# --- corrupted labels ----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1000, 1001])
@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
def test_corruption_changes_exactly_round_p_n_labels(fraction, n):
    y = torch.arange(n) % 10
    corrupted = corrupt_labels(y, fraction, seed=7)
    assert int((corrupted != y).sum()) == round(fraction * n)
    assert corrupted.dtype == torch.int64 and corrupted.shape == y.shape
    assert corrupted.min() >= 0 and corrupted.max() <= 9
    assert torch.equal(y, torch.arange(n) % 10)  # the input is untouched


def test_corruption_is_reproducible_per_seed_and_differs_across_seeds():
    y = torch.arange(1000) % 10
    assert torch.equal(corrupt_labels(y, 0.3, seed=1), corrupt_labels(y, 0.3, seed=1))
    assert not torch.equal(corrupt_labels(y, 0.3, seed=1), corrupt_labels(y, 0.3, seed=2))


def test_corrupted_labels_spread_over_the_other_classes():
    y = torch.zeros(20_000, dtype=torch.int64)
    counts = class_counts(corrupt_labels(y, 1.0, seed=0))
    assert counts[0] == 0
    assert min(counts[1:]) > 20_000 / 9 * 0.85


@pytest.mark.parametrize("fraction", [-0.1, 1.1, float("nan")])
def test_corruption_fraction_outside_0_1_is_an_error(fraction):
    with pytest.raises(ValueError, match="fraction"):
        corrupt_labels(torch.zeros(10, dtype=torch.int64), fraction, seed=0)


def test_corruption_refuses_labels_outside_the_classes():
    with pytest.raises(ValueError, match="labels must lie"):
        corrupt_labels(torch.tensor([0, 10]), 0.5, seed=0)
