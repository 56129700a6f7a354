"""The experiments beyond the homework (label corruption, measures) at toy sizes on synthetic data.

Their verdicts mean nothing here; what is checked is the bookkeeping: which labels are wrong,
when a run counts as fitted, which runs the one-at-a-time grid trains.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch

from suite.checkpoints import Checkpoints
from suite.experiments.label_corruption import COLUMNS, corrupted_stack, run_label_corruption
from suite.experiments.measures import grid_points, run_measures
from suite.profiles import CI, PAPER, LabelCorruption, Measures
from suite.splits import MnistSplits


def synthetic_splits(n_train: int = 300, n_test: int = 1000, seed: int = 0) -> MnistSplits:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n_train + n_test, 784, generator=g)
    y = torch.randint(0, 10, (n_train + n_test,), generator=g)
    return MnistSplits(
        x[:n_train], y[:n_train], x[:0], y[:0], x[n_train:], y[n_train:], "synthetic", Path(".")
    )


def test_each_fraction_corrupts_exactly_round_f_n_labels_nested_across_fractions():
    y = torch.randint(0, 10, (1000,), generator=torch.Generator().manual_seed(3))
    fractions = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    stack = corrupted_stack(y, fractions, seeds=3)
    assert stack.shape == (18, 1000)
    for k, f in enumerate(fractions):
        for s in range(3):
            wrong = stack[k * 3 + s] != y
            assert int(wrong.sum()) == round(f * 1000)
            if k:  # the wrong labels at a smaller fraction stay wrong, with the same values
                before = stack[(k - 1) * 3 + s] != y
                assert torch.all(wrong[before])
                assert torch.equal(stack[k * 3 + s][before], stack[(k - 1) * 3 + s][before])
    assert not torch.equal(stack[3], stack[4])  # seeds corrupt differently


TINY_CORRUPTION = LabelCorruption(
    n_train=60, hidden=(32,), fractions=(0.0, 0.5, 1.0), epochs=100, batch_size=20, lr=1e-2
)


def test_label_corruption_records_the_first_fitting_epoch_and_stops_when_all_fit():
    data = synthetic_splits(n_train=60)
    cfg = TINY_CORRUPTION
    result = run_label_corruption(cfg, data, seeds=2)
    runs = result.frames["final"]
    assert list(runs.columns) == COLUMNS and len(runs) == 6
    assert runs["fitted"].all() and (runs["train_acc"] == 1.0).all()
    assert (runs["epochs_to_fit"] >= 1).all() and (runs["epochs_to_fit"] <= cfg.epochs).all()
    assert result.extra["stopped_at_epoch"] == runs["epochs_to_fit"].max() < cfg.epochs
    assert list(runs["n_corrupted"]) == [0, 0, 30, 30, 60, 60]


class Interrupted(Exception):
    pass


def test_an_interrupted_run_resumes_from_its_checkpoint_with_the_same_result(tmp_path):
    data = synthetic_splits(n_train=60)
    whole = run_label_corruption(TINY_CORRUPTION, data, seeds=2)
    assert whole.extra["stopped_at_epoch"] > 20  # checkpoints every 5 epochs, progress every 10

    def interrupt(message: str) -> None:
        if "epoch 20/" in message:
            raise Interrupted(message)

    checkpoints = Checkpoints(tmp_path / "ckpt")
    with pytest.raises(Interrupted):
        run_label_corruption(
            TINY_CORRUPTION, data, seeds=2, progress=interrupt, checkpoints=checkpoints
        )
    assert any(checkpoints.root.iterdir())
    resumed = run_label_corruption(TINY_CORRUPTION, data, seeds=2, checkpoints=checkpoints)
    pd.testing.assert_frame_equal(resumed.frames["final"], whole.frames["final"])


def test_a_run_that_never_fits_is_censored_at_budget_plus_one():
    data = synthetic_splits(n_train=200)
    cfg = LabelCorruption(n_train=200, hidden=(4,), fractions=(0.0, 1.0), epochs=2)
    runs = run_label_corruption(cfg, data, seeds=2).frames["final"]
    assert not runs["fitted"].any()
    assert (runs["epochs_to_fit"] == cfg.epochs + 1).all()
    assert (runs["train_acc"] < 1.0).all()


def test_the_one_at_a_time_grid_trains_the_base_point_once():
    for cfg in (CI.measures, PAPER.measures):
        points = grid_points(cfg)
        axes = (cfg.batch_sizes, cfg.lrs, cfg.corruptions)
        assert len(points) == len(set(points)) == 1 + sum(len(v) - 1 for v in axes)
        base = points[0]
        for p in points[1:]:
            assert sum(a != b for a, b in zip(p, base, strict=True)) == 1
    with pytest.raises(ValueError, match="base"):
        grid_points(Measures(base_batch=333))


def test_measures_gives_every_run_its_gap_sensitivity_and_sharpness():
    data = synthetic_splits(n_train=200)
    cfg = Measures(
        n_train=200,
        hidden=(8, 8),
        epochs=1,
        base_batch=100,
        batch_sizes=(50, 100),
        lrs=(1e-3, 3e-3),
        corruptions=(0.0, 0.5),
        sharpness_steps=3,
        sharpness_n=100,
    )
    runs = run_measures(cfg, data, seeds=2).frames["runs"]
    assert len(runs) == 2 * len(grid_points(cfg))
    assert runs[["sensitivity", "sharpness"]].notna().all().all()
    assert (runs["sharpness"] >= 0).all() and (runs["sensitivity"] > 0).all()
    assert (runs["gap"] == runs["test_loss"] - runs["train_loss"]).all()
    corrupted = runs[runs["corruption"] == 0.5]
    assert len(corrupted) == 2 and (corrupted["batch_size"] == 100).all()
