"""The experiments beyond the homework (label corruption, measures) at toy sizes on synthetic data.

Their verdicts mean nothing here; what is checked is the bookkeeping: which labels are wrong,
when a run counts as fitted, which runs the one-at-a-time grid trains.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import torch

from suite.data.splits import MnistSplits
from suite.experiments.common import EpochProgress
from suite.experiments.label_corruption import COLUMNS, corrupted_stack, run_label_corruption
from suite.experiments.measures import grid_points, run_measures, train_to_stop
from suite.profiles import CI, PAPER, LabelCorruption, Measures
from suite.train.checkpoints import Checkpoints
from suite.train.engine import Member
from suite.train.evaluation import evaluate
from suite.train.training import train


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
    n_train=60, hidden=(32,), fractions=(0.0, 0.5, 1.0), epochs=300, batch_size=20, lr=1e-2
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
    assert whole.extra["stopped_at_epoch"] > 30  # checkpoints every 15 epochs, progress every 30

    def interrupt(message: str) -> None:
        if "epoch 30/" in message:
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
    # a tiny net can die in one epoch (every ReLU off: a constant output, sensitivity 0)
    assert (runs["sharpness"] >= 0).all() and (runs["sensitivity"] >= 0).all()
    assert (runs["sensitivity"] > 0).sum() >= len(runs) - 1
    assert (runs["gap"] == runs["test_loss"] - runs["train_loss"]).all()
    corrupted = runs[runs["corruption"] == 0.5]
    assert len(corrupted) == 2 and (corrupted["batch_size"] == 100).all()
    # one epoch cannot reach train loss 0.01: every run is measured at the cap
    assert (runs["epochs_trained"] == 1).all() and not runs["reached_stop"].any()


def learnable_splits(n_train: int = 300, n_test: int = 1000, seed: int = 0) -> MnistSplits:
    """Images that carry their label (class c brightens pixels 78c..78c+77): fit in a few
    epochs, while wrong labels are not."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n_train + n_test,), generator=g)
    x = 0.5 * torch.rand(n_train + n_test, 784, generator=g)
    x[:, :780] += torch.nn.functional.one_hot(y, 10).float().repeat_interleave(78, 1)
    return MnistSplits(
        x[:n_train], y[:n_train], x[:0], y[:0], x[n_train:], y[n_train:], "synthetic", Path(".")
    )


#: A loose stop_loss the clean runs meet within a few epochs; fully corrupted labels cannot.
TINY_MEASURES = Measures(
    n_train=300,
    hidden=(16,),
    epochs=6,
    stop_loss=0.5,
    base_batch=50,
    base_lr=1e-2,
    batch_sizes=(50,),
    lrs=(1e-2,),
    corruptions=(0.0, 1.0),
    sharpness_steps=2,
    sharpness_n=100,
)


def test_train_to_stop_measures_each_member_at_its_first_check_below_stop_loss():
    data = learnable_splits()
    x, y = data.train_x, data.train_y
    cfg = replace(TINY_MEASURES, epochs=20)
    members = [Member((16,), 1, 1), Member((16,), 2, 2), Member((16,), 3, 3)]
    curves: list[torch.Tensor] = []  # the same stack trained to the cap, its loss every epoch
    train(
        members,
        x,
        y,
        batch_size=50,
        lr=1e-2,
        epochs=cfg.epochs,
        on_epoch=lambda _e, p: curves.append(evaluate(p, x, y)[0]),
    )
    first = [
        next(e for e in range(1, cfg.epochs + 1) if curves[e][i] <= cfg.stop_loss)
        for i in range(len(members))
    ]
    assert len(set(first)) > 1, "the members should stop at different epochs"

    def measure(sub, idx):
        return [{"train_loss": v} for v in evaluate(sub, x, y)[0].tolist()]

    rows, params = train_to_stop(
        cfg,
        members,
        x,
        y,
        measure,
        batch_size=50,
        lr=1e-2,
        tick=EpochProgress("stop", cfg.epochs, None),
    )
    rows = sorted(rows, key=lambda r: r["member"])
    assert [r["epochs_trained"] for r in rows] == first
    assert all(r["reached_stop"] and r["train_loss"] <= cfg.stop_loss + 1e-6 for r in rows)
    # each member ends with the parameters it stopped with (it left the stack then)
    final = evaluate(params, x, y)[0]
    for i, epoch in enumerate(first):
        torch.testing.assert_close(final[i], curves[epoch][i])


def test_runs_that_never_reach_stop_loss_are_measured_at_the_cap_and_counted():
    cfg = TINY_MEASURES
    result = run_measures(cfg, learnable_splits(), seeds=2)
    runs = result.frames["runs"]
    assert runs["epochs_trained"].dtype.kind == "i" and runs["reached_stop"].dtype == bool
    clean, wrong = runs[runs["corruption"] == 0.0], runs[runs["corruption"] == 1.0]
    assert clean["reached_stop"].all() and (clean["epochs_trained"] < cfg.epochs).all()
    assert (clean["train_loss"] <= cfg.stop_loss + 1e-6).all()
    assert not wrong["reached_stop"].any() and (wrong["epochs_trained"] == cfg.epochs).all()
    assert (wrong["train_loss"] > cfg.stop_loss).all()
    assert result.extra["cap_hits"] == 2


def test_an_interrupted_measures_run_resumes_with_the_same_rows(tmp_path):
    # two stacks: lr 1e-2 stops within a few epochs, lr 1e-3 later; the first resumes after it
    # stopped (its rows come back from the checkpoint), the second part-way
    cfg = replace(TINY_MEASURES, lrs=(1e-3, 1e-2), corruptions=(0.0,), epochs=20)
    data = learnable_splits()
    whole = run_measures(cfg, data, seeds=2)
    runs = whole.frames["runs"]
    assert runs["reached_stop"].all() and (runs["epochs_trained"] < 5).sum() == 2

    def interrupt(message: str) -> None:
        if "lr 0.001" in message and "epoch 6/" in message:
            raise Interrupted(message)

    checkpoints = Checkpoints(tmp_path / "ckpt")
    with pytest.raises(Interrupted):
        run_measures(cfg, data, seeds=2, progress=interrupt, checkpoints=checkpoints)
    resumed = run_measures(cfg, data, seeds=2, checkpoints=checkpoints)
    pd.testing.assert_frame_equal(resumed.frames["runs"], runs)
