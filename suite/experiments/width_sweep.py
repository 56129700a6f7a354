"""Section 2: test accuracy against width, every (width, seed) model trained in one stack."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from suite.data.splits import MnistSplits
from suite.experiments.common import METRICS, EpochProgress, Progress, Tally, measure
from suite.profiles import WidthSweep
from suite.train.checkpoints import Checkpoint, Checkpoints, stage
from suite.train.engine import Member, Params, Subsets, derive_seed
from suite.train.frames import ExperimentResult
from suite.train.models import Model, model_named
from suite.train.seeds import SeedSet
from suite.train.training import train


def run_width_sweep(
    cfg: WidthSweep,
    data: MnistSplits,
    seeds: SeedSet | int,
    *,
    profile: str = "",
    progress: Progress | None = None,
    checkpoints: Checkpoints | None = None,
    engine: str = "eager",
) -> ExperimentResult:
    """All widths and seeds share batch size and learning rate, so they train as one stack
    (the MLP's; a model whose members cannot share a stack across widths, one per width)."""
    seeds = SeedSet.of(seeds)
    ids = seeds.ids
    x, k = data.train_x, data.classes
    # One batch order and one set of training images per seed, shared by all widths of that
    # seed (a paired comparison across widths), laid out seed-major so the engine gathers one
    # batch per seed and runs each layer of all widths as one wide matmul (about 5x faster than
    # one batch per model).
    grid = [(w, s) for s in range(len(seeds)) for w in cfg.widths]
    subsets = Subsets(
        seeds.training_images(x.shape[0], cfg.n_train, x.device), [s for _, s in grid]
    )
    members = [
        Member(
            (w,) * cfg.depth,
            derive_seed("width_sweep/init", ids[s], w),
            derive_seed("width_sweep/data", ids[s]),
        )
        for w, s in grid
    ]
    model = model_named(cfg.model)
    keys = [
        {"seed": s, "width": w, "params": model.n_params(m, in_features=x.shape[-1], classes=k)}
        for (w, s), m in zip(grid, members, strict=True)
    ]
    rows: list[dict] = []
    tick = EpochProgress("width_sweep", cfg.epochs, progress)
    tally = Tally()
    # The MLP trains every width in one (padded) stack; a generic model one stack per width,
    # whose rows are put back in member order at the end.
    stacks = model.stacks(members)
    for group in stacks:
        alone = len(stacks) == 1
        name = "train" if alone else "train-" + "x".join(map(str, members[group[0]].hidden))
        stack = Stack(
            model,
            [members[i] for i in group],
            subsets if alone else subsets.select(group),
            [keys[i] if alone else {**keys[i], "member": i} for i in group],
        )
        params = _train_stack(cfg, data, stack, rows, tick, stage(checkpoints, name), engine)
        tally.keep(name, params)
        tally.add(cfg.epochs, cfg.n_train, cfg.batch_size, len(group))
    if len(stacks) > 1:
        rows.sort(key=lambda r: (r["epoch"], r["member"]))
    cols = ["seed", "width", "params", "epoch", *METRICS]
    return tally.result(
        "width_sweep", cfg, str(x.device), profile, {"epochs": pd.DataFrame(rows)[cols]}
    )


@dataclass(frozen=True)
class Stack:
    """Members that train as one stack, their training sets and their rows' keys (with
    ``member``, their index in the sweep, when the sweep trains several stacks)."""

    model: Model
    members: list[Member]
    subsets: Subsets
    keys: list[dict]


def _train_stack(
    cfg: WidthSweep,
    data: MnistSplits,
    stack: Stack,
    rows: list[dict],
    tick: EpochProgress,
    checkpoint: Checkpoint | None,
    engine: str,
) -> Params:
    """Train one stack, its rows recorded into ``rows`` every ``eval_every`` epochs."""
    x, y = data.train_x, data.train_y

    def record(epoch: int, params) -> None:
        what = f"width_sweep (widths {cfg.widths}, epoch {epoch}, lr {cfg.lr})"
        test = (data.test_x, data.test_y)
        now = measure(params, (x, y), test, stack.keys, what, stack.subsets, stack.model)
        rows.extend({**r, "epoch": epoch} for r in now)
        tick(epoch)

    return train(
        stack.members,
        x,
        y,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        epochs=cfg.epochs,
        on_epoch=record,
        eval_every=cfg.eval_every,
        checkpoint=checkpoint,
        carry=rows,
        subsets=stack.subsets,
        engine=engine,
        model=stack.model,
        classes=data.classes,
    )
