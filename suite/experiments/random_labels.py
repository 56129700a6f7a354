"""Section 1: can a small MLP memorize 1000 images whose labels are uniform noise?"""

from __future__ import annotations

import pandas as pd
import torch

from suite.data.splits import MnistSplits, chance_reference, random_labels
from suite.experiments.common import METRICS, EpochProgress, Progress, Tally, measure
from suite.profiles import RandomLabels
from suite.train.checkpoints import Checkpoints, stage
from suite.train.engine import Member, Subsets, derive_seed
from suite.train.frames import ExperimentResult
from suite.train.models import model_named
from suite.train.seeds import SeedSet
from suite.train.training import train


def run_random_labels(
    cfg: RandomLabels,
    data: MnistSplits,
    seeds: SeedSet | int,
    *,
    profile: str = "",
    progress: Progress | None = None,
    checkpoints: Checkpoints | None = None,
    engine: str = "eager",
) -> ExperimentResult:
    """Train one model per seed, each on its own images and random relabelling of them; curves
    every ``eval_every``."""
    seeds = SeedSet.of(seeds)
    model = model_named(cfg.model)
    x = data.train_x
    images = seeds.training_images(x.shape[0], cfg.n_train, x.device)
    subsets = Subsets(images, range(len(seeds)))
    y = torch.stack(
        [
            random_labels(
                data.train_y[images[s]],
                derive_seed("random_labels/labels", seed_id),
                data.classes,
            )
            for s, seed_id in enumerate(seeds.ids)
        ]
    )
    members = [
        Member(
            cfg.hidden,
            derive_seed("random_labels/init", seed_id),
            derive_seed("random_labels/data", seed_id),
        )
        for seed_id in seeds.ids
    ]
    keys = [{"seed": s} for s in range(len(seeds))]
    rows: list[dict] = []
    last = {"epoch": 0}
    tick = EpochProgress("random_labels", cfg.epochs, progress)

    def record(epoch: int, params) -> bool:
        what = f"random_labels (hidden {cfg.hidden}, epoch {epoch})"
        now = measure(params, (x, y), (data.test_x, data.test_y), keys, what, subsets, model)
        rows.extend({**r, "epoch": epoch} for r in now)
        tick(epoch)
        last["epoch"] = epoch
        # With stop_when_fitted, training ends at the first evaluation at which every seed is
        # at 100% train accuracy (the budget is then an upper bound, not the run length).
        return cfg.stop_when_fitted and all(r["train_acc"] == 1.0 for r in now)

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
        model=model,
        classes=data.classes,
    )
    tally.keep("train", params)
    tally.add(last["epoch"], cfg.n_train, cfg.batch_size, len(seeds))
    frame = pd.DataFrame(rows)[["seed", "epoch", *METRICS]]
    reference = [
        chance_reference(data.train_y[images[s]], y[s], data.test_y, data.classes)
        for s in range(len(seeds))
    ]
    frame["chance_ref"] = frame["seed"].map(dict(enumerate(reference)))
    return tally.result(
        "random_labels",
        cfg,
        str(x.device),
        profile,
        {"epochs": frame},
        params=model.n_params(members[0], in_features=x.shape[-1], classes=data.classes),
        n_test=int(data.test_y.shape[0]),
    )
