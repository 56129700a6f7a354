"""Section 2: test accuracy against width, every (width, seed) model trained in one stack."""

from __future__ import annotations

import pandas as pd

from suite.data.splits import MnistSplits
from suite.experiments.common import METRICS, EpochProgress, Progress, Tally, measure
from suite.profiles import WidthSweep
from suite.train.checkpoints import Checkpoints, stage
from suite.train.engine import Member, Subsets, derive_seed
from suite.train.frames import ExperimentResult
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
    """All widths and seeds share batch size and learning rate, so they train as one stack."""
    seeds = SeedSet.of(seeds)
    ids = seeds.ids
    x, y = data.train_x, data.train_y
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
    keys = [
        {"seed": s, "width": w, "params": m.n_params}
        for (w, s), m in zip(grid, members, strict=True)
    ]
    rows: list[dict] = []
    tick = EpochProgress("width_sweep", cfg.epochs, progress)

    def record(epoch: int, params) -> None:
        what = f"width_sweep (widths {cfg.widths}, epoch {epoch}, lr {cfg.lr})"
        rows.extend(
            {**r, "epoch": epoch}
            for r in measure(params, (x, y), (data.test_x, data.test_y), keys, what, subsets)
        )
        tick(epoch)

    tally = Tally()
    params = train(
        members,
        x,
        y,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        epochs=cfg.epochs,
        on_epoch=record,
        eval_every=cfg.eval_every,
        checkpoint=stage(checkpoints, "train"),
        carry=rows,
        subsets=subsets,
        engine=engine,
    )
    tally.keep("train", params)
    tally.add(cfg.epochs, cfg.n_train, cfg.batch_size, len(members))
    cols = ["seed", "width", "params", "epoch", *METRICS]
    return tally.result(
        "width_sweep", cfg, str(x.device), profile, {"epochs": pd.DataFrame(rows)[cols]}
    )
