"""Section 3: the loss along the straight line between a small-batch and a large-batch solution.

Per seed three runs: theta1 (small batch) from init A; theta2 (large batch) from init A (shared
initialization, linear mode connectivity) and from an independent init B (the homework). Both
curves share theta1. Runs with the same batch size and learning rate train as one stack.
"""

from __future__ import annotations

import pandas as pd
import torch

from suite.data.splits import MnistSplits
from suite.experiments.common import METRICS, EpochProgress, Progress, Tally, scored
from suite.profiles import Interpolation
from suite.train.checkpoints import Checkpoints, stage
from suite.train.engine import Member, Subsets, derive_seed
from suite.train.frames import ExperimentResult
from suite.train.lines import evaluate_line
from suite.train.seeds import SeedSet
from suite.train.training import train


def alphas(cfg: Interpolation) -> torch.Tensor:
    return torch.tensor(cfg.alpha_grid(), dtype=torch.float64)


def run_interpolation(
    cfg: Interpolation,
    data: MnistSplits,
    seeds: SeedSet | int,
    *,
    profile: str = "",
    progress: Progress | None = None,
    checkpoints: Checkpoints | None = None,
    engine: str = "eager",
) -> ExperimentResult:
    seeds = SeedSet.of(seeds)
    ids, n_seeds = seeds.ids, len(seeds)
    x, y = data.train_x, data.train_y
    # Every run of a seed, both endpoints and the line between them, on that seed's images.
    images = seeds.training_images(x.shape[0], cfg.n_train, x.device)
    init = {
        (s, k): derive_seed("interpolation/init", ids[s], k) for s in range(n_seeds) for k in (0, 1)
    }
    small = [
        Member(cfg.hidden, init[s, 0], derive_seed("interpolation/small", ids[s]))
        for s in range(n_seeds)
    ]
    shared_init = {"shared": 0, "independent": 1}
    large = [
        Member(cfg.hidden, init[s, shared_init[name]], derive_seed("interpolation/large", ids[s]))
        for name in cfg.inits
        for s in range(n_seeds)
    ]
    subsets = {
        "small": Subsets(images, range(n_seeds)),
        "large": Subsets(images, [s for _ in cfg.inits for s in range(n_seeds)]),
    }
    tally = Tally()
    solutions = {}
    for label, stack, (batch, lr) in (("small", small, cfg.small), ("large", large, cfg.large)):
        tick = EpochProgress(f"interpolation[{label} batch {batch}]", cfg.epochs, progress)
        solutions[label] = train(
            stack,
            x,
            y,
            batch_size=batch,
            lr=lr,
            epochs=cfg.epochs,
            on_epoch=lambda e, _p, t=tick: t(e),
            checkpoint=stage(checkpoints, label),
            subsets=subsets[label],
            engine=engine,
            classes=data.classes,
        )
        tally.add(cfg.epochs, cfg.n_train, batch, len(stack))
        tally.keep(label, solutions[label])

    grid = alphas(cfg)
    rows = []
    for j, name in enumerate(cfg.inits):
        theta2 = [p[j * n_seeds : (j + 1) * n_seeds] for p in solutions["large"]]
        keys = [
            {"init": name, "seed": s, "alpha": round(float(a), 10)}
            for a in grid
            for s in range(n_seeds)
        ]
        what = f"interpolation[{name}] (hidden {cfg.hidden}, small {cfg.small}, large {cfg.large})"
        # alpha-major: (a0 s0, a0 s1, ...); each line on its seed's images
        ends = solutions["small"], theta2, grid
        on_train = evaluate_line(*ends, x, y, subsets["small"])
        rows += scored(keys, on_train, evaluate_line(*ends, data.test_x, data.test_y), what)
    cols = ["init", "seed", "alpha", *METRICS]
    frame = pd.DataFrame(rows)[cols].sort_values(["init", "seed", "alpha"], ignore_index=True)
    return tally.result("interpolation", cfg, str(x.device), profile, {"curve": frame})
