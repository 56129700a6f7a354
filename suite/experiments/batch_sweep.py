"""Section 4: sensitivity and the generalization gap across batch sizes 500..5000.

Every run also gets its sharpness (Keskar et al. 2017, ``suite.measures.sharpness``): the
training loss on the first ``sharpness_n`` images of its training set, maximized over the box
eps * (|theta_i| + 1); and every other registered measure (``suite.measures.registry``).
"""

from __future__ import annotations

import pandas as pd

from suite.data.splits import MnistSplits
from suite.experiments.common import (
    EpochProgress,
    Progress,
    Tally,
    generalization_columns,
    measure_generalization,
    measures_extra,
    sensitivity_probe,
)
from suite.profiles import BatchSweep
from suite.train.checkpoints import Checkpoints, stage
from suite.train.engine import Member, Subsets, derive_seed
from suite.train.frames import ExperimentResult
from suite.train.seeds import SeedSet
from suite.train.training import train


def run_batch_sweep(
    cfg: BatchSweep,
    data: MnistSplits,
    seeds: SeedSet | int,
    *,
    profile: str = "",
    progress: Progress | None = None,
    checkpoints: Checkpoints | None = None,
    engine: str = "eager",
) -> ExperimentResult:
    """One stack of seeds per batch size; a seed keeps its initialization and its training
    images across batch sizes."""
    seeds = SeedSet.of(seeds)
    x, y = data.train_x, data.train_y
    subsets = Subsets(seeds.training_images(x.shape[0], cfg.n_train, x.device), range(len(seeds)))
    probe = sensitivity_probe(data.test_x, cfg.n_sensitivity)
    tally = Tally()
    rows = []
    for batch in cfg.batch_sizes:
        members = [
            Member(
                cfg.hidden,
                derive_seed("batch_sweep/init", seed_id),
                derive_seed("batch_sweep/data", seed_id, batch),
            )
            for seed_id in seeds.ids
        ]
        tick = EpochProgress(f"batch_sweep[batch {batch}]", cfg.epochs, progress)
        params = train(
            members,
            x,
            y,
            batch_size=batch,
            lr=cfg.lr,
            epochs=cfg.epochs,
            on_epoch=lambda e, _p, t=tick: t(e),
            checkpoint=stage(checkpoints, f"batch{batch}"),
            subsets=subsets,
            engine=engine,
            classes=data.classes,
        )
        tally.add(cfg.epochs, cfg.n_train, batch, len(seeds))
        tally.keep(f"batch{batch}", params)
        keys = [{"seed": s, "batch_size": batch} for s in range(len(seeds))]
        what = f"batch_sweep (batch {batch}, lr {cfg.lr}, hidden {cfg.hidden})"
        rows += measure_generalization(
            params, (x, y), (data.test_x, data.test_y), probe, cfg, keys, what, subsets
        )
    cols = ["seed", "batch_size", *generalization_columns()]
    return tally.result(
        "batch_sweep",
        cfg,
        str(x.device),
        profile,
        {"final": pd.DataFrame(rows)[cols]},
        **measures_extra(),
    )
