"""Jiang et al. 2020: measures of a trained net compared by how they rank runs by their gap.

A one-at-a-time grid around a base point: the batch-size axis varies the batch size with the
learning rate and label corruption at the base, and likewise for the learning-rate and the
label-corruption axes; the base point belongs to every axis and is trained once. Every run gets
its generalization gap (test loss on the true labels - train loss on its own training labels,
corrupted or not) and every registered measure (``suite.measures.registry``): the built-ins are
its sensitivity (``suite.measures.sensitivity``) and its sharpness (``suite.measures.sharpness``:
the training loss, on the first ``sharpness_n`` training images with the labels the run was
trained on).

Every run trains to a common stopping criterion, as in Jiang et al.: train cross-entropy (eval
mode, the full training set, the run's own labels) <= ``stop_loss`` (0.01), checked every
``check_every`` epochs, with ``epochs`` as the cap. A run is measured at the first check that
meets the criterion (``reached_stop`` True, ``epochs_trained`` that epoch); a stack trains on
until all its runs have stopped; a run that never meets it is measured at the cap
(``reached_stop`` False) and counted in the result's ``cap_hits``, which the report shows.

Runs sharing a batch size and learning rate train as one stack (the corruption axis rides in the
base stack, each member with its own labels). A seed keeps its initialization across the grid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import torch
from torch import Tensor

from suite.data.splits import NUM_CLASSES, MnistSplits, corrupt_labels
from suite.experiments.common import (
    EpochProgress,
    Progress,
    Tally,
    generalization_columns,
    measure_generalization,
    measures_extra,
    sensitivity_probe,
)
from suite.profiles import Measures
from suite.stats.grid import AXES
from suite.train.checkpoints import Checkpoint, Checkpoints, stage
from suite.train.engine import Member, Params, Subsets, derive_seed
from suite.train.evaluation import evaluate
from suite.train.frames import ExperimentResult
from suite.train.seeds import SeedSet
from suite.train.training import train


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


#: What a run's row holds besides its grid point and its generalization columns.
STOPPING = ["epochs_trained", "reached_stop"]

#: measure(params of some members, their indices in the stack) -> one row per member.
Measure = Callable[[Params, list[int]], list[dict[str, Any]]]


def train_to_stop(
    cfg: Measures,
    members: Sequence[Member],
    x: Tensor,
    labels: Tensor,
    measure: Measure,
    *,
    batch_size: int,
    lr: float,
    tick: EpochProgress,
    checkpoint: Checkpoint | None = None,
    subsets: Subsets | None = None,
    engine: str = "eager",
    classes: int = NUM_CLASSES,
) -> tuple[list[dict[str, Any]], Params]:
    """Train a stack until every member's train loss is <= ``cfg.stop_loss`` or the cap.

    Every ``cfg.check_every`` epochs (and at the cap ``cfg.epochs``) the loss of the members
    still running on their full training set (their own, with ``subsets``) and their own
    ``labels`` is compared with ``stop_loss`` in one tensor operation and read back once (a
    check costs about 0.4 of an epoch on a CPU, hence ``check_every``). A member that meets it
    for the first time, and every member still running at the cap, is measured then by
    ``measure``, its row given ``member``, ``epochs_trained`` and ``reached_stop``. Returns the
    rows (in the order measured) and the final parameters, a stopped member's as it stopped (it
    leaves the stack: :func:`suite.train.training.train`). The checkpoint carries the rows, so
    a resumed stack knows who has stopped.
    """
    rows: list[dict[str, Any]] = []

    def check(epoch: int, params: Params) -> bool | set[int]:
        done = {r["member"] for r in rows}
        if len(done) == len(members):  # resumed after every member had stopped
            return True
        if epoch == 0:  # the initialization: nothing has trained yet
            return False
        running = [i for i in range(len(members)) if i not in done]
        loss, _ = evaluate(
            [p.detach()[running] for p in params] if done else params,
            x,
            labels[running] if labels.dim() == 2 else labels,
            subsets=subsets.select(running) if subsets is not None else None,
        )
        reached = (loss <= cfg.stop_loss).tolist()  # one comparison, one transfer
        at_cap = epoch >= cfg.epochs
        stop = [i for i, hit in zip(running, reached, strict=True) if hit or at_cap]
        if stop:
            new = measure([p.detach()[stop] for p in params], stop)
            hits = dict(zip(running, reached, strict=True))
            for i, row in zip(stop, new, strict=True):
                row.update(member=i, epochs_trained=epoch, reached_stop=bool(hits[i]))
            rows.extend(new)
        tick(epoch, f" ({len(rows)}/{len(members)} stopped)")
        return {r["member"] for r in rows}  # stopped runs leave the stack (all: training ends)

    params = train(
        members,
        x,
        labels,
        batch_size=batch_size,
        lr=lr,
        epochs=cfg.epochs,
        on_epoch=check,
        eval_every=cfg.check_every,
        checkpoint=checkpoint,
        carry=rows,
        subsets=subsets,
        engine=engine,
        classes=classes,
    )
    return rows, params


def run_measures(
    cfg: Measures,
    data: MnistSplits,
    seeds: SeedSet | int,
    *,
    profile: str = "",
    progress: Progress | None = None,
    checkpoints: Checkpoints | None = None,
    engine: str = "eager",
) -> ExperimentResult:
    seeds = SeedSet.of(seeds)
    ids = seeds.ids
    x, y = data.train_x, data.train_y
    images = seeds.training_images(x.shape[0], cfg.n_train, x.device)  # a seed's, grid-wide
    probe = sensitivity_probe(data.test_x, cfg.n_sensitivity)
    stacks: dict[tuple[int, float], list[float]] = {}
    for batch, lr, corruption in grid_points(cfg):
        stacks.setdefault((batch, lr), []).append(corruption)

    tally = Tally()
    rows = []
    for (batch, lr), corruptions in stacks.items():
        runs = [(c, s) for c in corruptions for s in range(len(seeds))]
        subsets = Subsets(images, [s for _, s in runs])
        members = [
            Member(
                cfg.hidden,
                derive_seed("measures/init", ids[s]),
                derive_seed("measures/data", ids[s], batch, _lr_part(lr)),
            )
            for _, s in runs
        ]
        labels = (  # per run, for its own images; else the true labels of every image
            torch.stack(
                [
                    corrupt_labels(
                        y[images[s]], c, derive_seed("measures/labels", ids[s]), data.classes
                    )
                    for c, s in runs
                ]
            )
            if any(c > 0 for c in corruptions)
            else y
        )
        keys = [{"seed": s, "batch_size": batch, "lr": lr, "corruption": c} for c, s in runs]
        what = f"measures (batch {batch}, lr {lr}, hidden {cfg.hidden})"

        def measure(
            sub: Params, idx: list[int], labels=labels, keys=keys, what=what, subsets=subsets
        ) -> list:
            own = labels[idx] if labels.dim() == 2 else labels
            test = (data.test_x, data.test_y)
            picked = [keys[i] for i in idx]
            own_images = subsets.select(idx)
            return measure_generalization(sub, (x, own), test, probe, cfg, picked, what, own_images)

        name = f"measures[batch {batch}, lr {lr:g}]"
        stack_rows, params = train_to_stop(
            cfg,
            members,
            x,
            labels,
            measure,
            batch_size=batch,
            lr=lr,
            tick=EpochProgress(name, cfg.epochs, progress),
            checkpoint=stage(checkpoints, f"batch{batch}-lr{_lr_part(lr)}"),
            subsets=subsets,
            engine=engine,
            classes=data.classes,
        )
        trained = max(r["epochs_trained"] for r in stack_rows)
        tally.add(trained, cfg.n_train, batch, len(members))
        tally.keep(f"batch{batch}-lr{_lr_part(lr)}", params)
        rows += stack_rows
    cols = ["seed", *AXES, *STOPPING, *generalization_columns()]
    frame = pd.DataFrame(rows)[cols].sort_values([*AXES, "seed"], ignore_index=True)
    frame = frame.astype({"epochs_trained": int, "reached_stop": bool})
    base = {"batch_size": cfg.base_batch, "lr": cfg.base_lr, "corruption": cfg.base_corruption}
    cap_hits = int((~frame["reached_stop"]).sum())
    return tally.result(
        "measures",
        cfg,
        str(x.device),
        profile,
        {"runs": frame},
        base=base,
        cap_hits=cap_hits,
        **measures_extra(),
    )
