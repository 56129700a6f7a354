"""Jiang et al. 2020: measures of a trained net compared by how they rank runs by their gap.

A one-at-a-time grid around a base point: the batch-size axis varies the batch size with the
learning rate and label corruption at the base, and likewise for the learning-rate and the
label-corruption axes; the base point belongs to every axis and is trained once. Every run gets
its generalization gap (test loss on the true labels - train loss on its own training labels,
corrupted or not), its sensitivity (``suite.sensitivity``) and its sharpness
(``suite.sharpness``: the training loss, on the first ``sharpness_n`` training images with
the labels the run was trained on).

Runs sharing a batch size and learning rate train as one stack (the corruption axis rides in the
base stack, each member with its own labels). A seed keeps its initialization across the grid.
"""

from __future__ import annotations

import pandas as pd
import torch

from suite.checkpoints import Checkpoints, stage
from suite.engine import Member, derive_seed, train
from suite.experiments.common import (
    GENERALIZATION,
    EpochProgress,
    Progress,
    Tally,
    measure_generalization,
    sensitivity_probe,
)
from suite.frames import ExperimentResult
from suite.measure_table import AXES
from suite.profiles import Measures
from suite.splits import MnistSplits, corrupt_labels


def grid_points(cfg: Measures) -> list[tuple[int, float, float]]:
    """(batch size, lr, corruption) of every distinct run of the one-at-a-time grid, base first."""
    base = (cfg.base_batch, cfg.base_lr, cfg.base_corruption)
    points = [base]
    for axis, values in enumerate((cfg.batch_sizes, cfg.lrs, cfg.corruptions)):
        if base[axis] not in values:
            raise ValueError(f"the base {AXES[axis]} {base[axis]} is not among {values}")
        for v in values:
            point = tuple(v if k == axis else base[k] for k in range(3))
            if point not in points:
                points.append(point)
    return points


def _lr_part(lr: float) -> int:
    return round(lr * 1e9)


def run_measures(
    cfg: Measures,
    data: MnistSplits,
    seeds: int,
    *,
    profile: str = "",
    progress: Progress | None = None,
    checkpoints: Checkpoints | None = None,
) -> ExperimentResult:
    x, y = data.train_x[: cfg.n_train], data.train_y[: cfg.n_train]
    probe = sensitivity_probe(data.test_x, cfg.n_sensitivity)
    stacks: dict[tuple[int, float], list[float]] = {}
    for batch, lr, corruption in grid_points(cfg):
        stacks.setdefault((batch, lr), []).append(corruption)

    tally = Tally()
    rows = []
    for (batch, lr), corruptions in stacks.items():
        runs = [(c, s) for c in corruptions for s in range(seeds)]
        members = [
            Member(
                cfg.hidden,
                derive_seed("measures/init", s),
                derive_seed("measures/data", s, batch, _lr_part(lr)),
            )
            for _, s in runs
        ]
        labels = (
            torch.stack([corrupt_labels(y, c, derive_seed("measures/labels", s)) for c, s in runs])
            if any(c > 0 for c in corruptions)
            else y
        )
        name = f"measures[batch {batch}, lr {lr:g}]"
        tick = EpochProgress(name, cfg.epochs, progress)
        params = train(
            members,
            x,
            labels,
            batch_size=batch,
            lr=lr,
            epochs=cfg.epochs,
            on_epoch=lambda e, _p, t=tick: t(e),
            checkpoint=stage(checkpoints, f"batch{batch}-lr{_lr_part(lr)}"),
        )
        tally.add(cfg.epochs, cfg.n_train, batch, len(members))
        tally.keep(f"batch{batch}-lr{_lr_part(lr)}", params)
        keys = [{"seed": s, "batch_size": batch, "lr": lr, "corruption": c} for c, s in runs]
        what = f"measures (batch {batch}, lr {lr}, hidden {cfg.hidden})"
        rows += measure_generalization(
            params, (x, labels), (data.test_x, data.test_y), probe, cfg, keys, what
        )
    cols = ["seed", *AXES, *GENERALIZATION]
    frame = pd.DataFrame(rows)[cols].sort_values([*AXES, "seed"], ignore_index=True)
    base = {"batch_size": cfg.base_batch, "lr": cfg.base_lr, "corruption": cfg.base_corruption}
    return tally.result("measures", cfg, str(x.device), profile, {"runs": frame}, base=base)
