"""Section 1: can a small MLP memorize 1000 images whose labels are uniform noise?"""

from __future__ import annotations

import pandas as pd
import torch

from suite.checkpoints import Checkpoints, stage
from suite.engine import Member, derive_seed, train
from suite.experiments.common import METRICS, EpochProgress, Progress, Tally, measure
from suite.frames import ExperimentResult
from suite.profiles import RandomLabels
from suite.splits import MnistSplits, random_labels


def run_random_labels(
    cfg: RandomLabels,
    data: MnistSplits,
    seeds: int,
    *,
    profile: str = "",
    progress: Progress | None = None,
    checkpoints: Checkpoints | None = None,
) -> ExperimentResult:
    """Train one model per seed, each on its own random relabelling; curves every ``eval_every``."""
    x = data.train_x[: cfg.n_train]
    y = torch.stack(
        [
            random_labels(data.train_y[: cfg.n_train], derive_seed("random_labels", s))
            for s in range(seeds)
        ]
    )
    members = [
        Member(
            cfg.hidden, derive_seed("random_labels/init", s), derive_seed("random_labels/data", s)
        )
        for s in range(seeds)
    ]
    keys = [{"seed": s} for s in range(seeds)]
    rows: list[dict] = []
    tick = EpochProgress("random_labels", cfg.epochs, progress)

    def record(epoch: int, params) -> None:
        what = f"random_labels (hidden {cfg.hidden}, epoch {epoch})"
        rows.extend(
            {**r, "epoch": epoch}
            for r in measure(params, (x, y), (data.test_x, data.test_y), keys, what)
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
    )
    tally.keep("train", params)
    tally.add(cfg.epochs, cfg.n_train, cfg.batch_size, seeds)
    frame = pd.DataFrame(rows)[["seed", "epoch", *METRICS]]
    return tally.result(
        "random_labels",
        cfg,
        str(x.device),
        profile,
        {"epochs": frame},
        params=members[0].n_params,
        n_test=int(data.test_y.shape[0]),
    )
