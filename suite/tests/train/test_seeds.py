"""Seed sets: each base is a disjoint draw of everything random, and a base repeats exactly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch

from suite.data.splits import MnistSplits
from suite.experiments import run_random_labels
from suite.profiles import RandomLabels
from suite.train.seeds import SeedSet


def synthetic_splits(n_train: int = 400, n_test: int = 1000) -> MnistSplits:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n_train + n_test, 784, generator=g)
    y = torch.randint(0, 10, (n_train + n_test,), generator=g)
    return MnistSplits(
        x[:n_train], y[:n_train], x[:0], y[:0], x[n_train:], y[n_train:], "synthetic", Path(".")
    )


def test_different_bases_give_disjoint_seed_ids():
    sets = [SeedSet(base, 5).ids for base in range(20)]
    every = [i for ids in sets for i in ids]
    assert len(set(every)) == len(every) == 100
    assert SeedSet(7, 5).ids == SeedSet(7, 5).ids
    assert SeedSet(7, 5).ids[:3] == SeedSet(7, 3).ids  # more seeds extend a set, same base


def test_a_plain_count_is_base_zero_and_bad_sets_are_refused():
    assert SeedSet.of(3) == SeedSet(0, 3)
    assert SeedSet.of(SeedSet(4, 2)) == SeedSet(4, 2)
    with pytest.raises(ValueError, match=">= 0"):
        SeedSet(-1, 3)
    with pytest.raises(ValueError, match="at least one"):
        SeedSet(0, 0)
    with pytest.raises(TypeError):
        SeedSet("1", 3)  # type: ignore[arg-type]


def test_each_seed_draws_its_own_training_images():
    images = SeedSet(0, 3).training_images(1000, 100, "cpu")
    assert images.shape == (3, 100)
    for row in images:
        assert len(set(row.tolist())) == 100 and row.min() >= 0 and row.max() < 1000
        assert torch.equal(row, row.sort().values)
    assert not torch.equal(images[0], images[1])
    again = SeedSet(0, 3).training_images(1000, 100, "cpu")
    assert torch.equal(images, again)
    other = SeedSet(1, 3).training_images(1000, 100, "cpu")
    assert not any(torch.equal(a, b) for a in images for b in other)
    # a seed's images at a smaller size are among its images at a larger one
    larger = SeedSet(0, 3).training_images(1000, 300, "cpu")
    for small, large in zip(images, larger, strict=True):
        assert set(small.tolist()) <= set(large.tolist())
    # all images in use: every seed takes them all, in order
    whole = SeedSet(5, 2).training_images(1000, 1000, "cpu")
    assert torch.equal(whole, torch.arange(1000).expand(2, -1))


CFG = RandomLabels(n_train=100, hidden=(8,), epochs=4, batch_size=25, eval_every=2)


def test_two_bases_give_different_numbers_and_the_same_base_the_same():
    data = synthetic_splits()
    first = run_random_labels(CFG, data, SeedSet(0, 2)).frames["epochs"]
    again = run_random_labels(CFG, data, SeedSet(0, 2)).frames["epochs"]
    other = run_random_labels(CFG, data, SeedSet(1, 2)).frames["epochs"]
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    assert list(other["seed"].unique()) == [0, 1]  # frames keep the seed's index
    assert list(other.columns) == list(first.columns)
    for column in ("train_loss", "test_loss"):  # continuous: no value may coincide
        assert not (first[column].to_numpy() == other[column].to_numpy()).any(), column
    assert not first["test_acc"].equals(other["test_acc"])
    # a plain count is base 0
    pd.testing.assert_frame_equal(run_random_labels(CFG, data, 2).frames["epochs"], first)


def _labels_in_source() -> set[str]:
    """Every string literal the suite's code passes first to ``derive_seed``."""
    import ast

    root = Path(__file__).resolve().parents[2]
    found: set[str] = set()
    for path in root.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "derive_seed"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_every_label_the_suite_uses_gives_its_own_seed():
    from suite.train.engine import derive_seed

    labels = _labels_in_source()
    assert {"seed", "interpolation/small", "interpolation/large", "random_labels/labels"} <= labels
    for seed_id in SeedSet(0, 3).ids + SeedSet(7, 2).ids:
        seeds = {derive_seed(label, seed_id) for label in labels}
        assert len(seeds) == len(labels)
    # the pairs the 8-byte prefix once merged
    for a, b in [
        ("interpolation/small", "interpolation/large"),
        ("random_labels/labels", "random_labels/init"),
        ("label_corruption/labels", "label_corruption/init"),
        ("measures/init", "measures/labels"),
    ]:
        assert derive_seed(a, 5) != derive_seed(b, 5)


def test_seed_parts_enter_whole_and_unambiguously():
    from suite.train.engine import derive_seed

    assert derive_seed("ab", "c") != derive_seed("a", "bc") != derive_seed("abc")
    assert derive_seed("a") != derive_seed("a\0")
    assert derive_seed(1, 2) != derive_seed(2**32 + 1) != derive_seed("\x01")
    assert derive_seed(2**32) != derive_seed(0, 1)
    assert derive_seed("x", 3) == derive_seed("x", 3)
    with pytest.raises(ValueError, match="seed part"):
        derive_seed(-1)


def test_rounds_extend_a_seed_set_by_prefix():
    whole = SeedSet(4, 10)
    rounds = whole.rounds((3, 6))
    assert [(r.start, r.count) for r in rounds] == [(0, 3), (3, 3), (6, 4)]
    assert sum((r.ids for r in rounds), ()) == whole.ids
    assert [i for r in rounds for i in r.indices] == list(range(10))
    assert whole.rounds((20,)) == [whole]
    with pytest.raises(ValueError, match="first seed index"):
        SeedSet(0, 2, -1)
