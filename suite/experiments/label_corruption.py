"""Zhang et al. 2017: the random-labels model on labels of which a fraction f is wrong.

Every (fraction, seed) run is a member of one stack (same batch size and learning rate, its own
labels). A seed's corruption is nested across fractions: the wrong labels at f = 0.2 are among
those at f = 0.4, with the same wrong values (``corrupt_labels`` draws one permutation and one
shift sequence per seed and takes their first round(f * n)). A seed keeps its initialization
across fractions. Note the f scale: f is the fraction of labels that are *wrong*, so f = 1.0
makes every label wrong, while section 1's uniform random labels leave about 10% right by
chance (Zhang et al.'s corruption probability p relates as f = 0.9 p).

Train accuracy on the (corrupted) training labels is checked every ``fit_every`` epochs. The
first check at 100% is the run's epoch to fit, and the run is measured then (train and test
loss and accuracy, test on the true labels): the model that has just fitted its labels, as in
Zhang et al. Training stops once every run has fitted, since nothing measured comes later. A run
that never fits is measured at the end of the budget and gets epoch to fit ``epochs + 1``
(censored: its true time is later than every observed one, which is all a rank statistic needs)
and ``fitted`` False.
"""

from __future__ import annotations

import pandas as pd
import torch

from suite.data.splits import NUM_CLASSES, MnistSplits, corrupt_labels
from suite.experiments.common import METRICS, EpochProgress, Progress, Tally, measure
from suite.profiles import LabelCorruption
from suite.train.checkpoints import Checkpoints, stage
from suite.train.engine import Member, Params, Subsets, derive_seed, take
from suite.train.evaluation import evaluate
from suite.train.fitting import for_copies
from suite.train.frames import ExperimentResult
from suite.train.seeds import SeedSet
from suite.train.training import train

COLUMNS = [
    "seed",
    "fraction",
    "n_corrupted",
    "fitted",
    "epochs_to_fit",
    *METRICS,
]


def permille(fraction: float) -> int:
    """A fraction as an integer seed part (derive_seed takes ints and strings)."""
    return round(fraction * 1000)


def corrupted_stack(
    y: torch.Tensor, fractions, seeds: SeedSet | int, classes: int = NUM_CLASSES
) -> torch.Tensor:
    """(len(fractions) * seeds, n) labels, fraction-major: row f * seeds + s is (f, seed s).

    ``y`` holds the true labels, (n,) shared by the seeds or (seeds, n), one row per seed (the
    labels of its own training images).
    """
    seeds = SeedSet.of(seeds)
    return torch.stack(
        [
            corrupt_labels(
                y if y.dim() == 1 else y[s],
                f,
                derive_seed("label_corruption/labels", seed_id),
                classes,
            )
            for f in fractions
            for s, seed_id in enumerate(seeds.ids)
        ]
    )


def run_label_corruption(
    cfg: LabelCorruption,
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
    x = data.train_x
    images = seeds.training_images(x.shape[0], cfg.n_train, x.device)
    grid = [(f, s) for f in cfg.fractions for s in range(len(seeds))]
    subsets = Subsets(images, [s for _, s in grid])  # a seed's images at every fraction
    labels = corrupted_stack(data.train_y[images], cfg.fractions, seeds, data.classes)
    members = [
        Member(
            cfg.hidden,
            derive_seed("label_corruption/init", ids[s]),
            derive_seed("label_corruption/data", ids[s], permille(f)),
        )
        for f, s in grid
    ]
    # One row per measured run, in the order they were measured; a checkpoint carries the list,
    # so a resumed run knows who has fitted.
    rows: list[dict] = []
    tick = EpochProgress("label_corruption", cfg.epochs, progress)
    last = {"epoch": 0}

    def record(epoch: int, params: Params) -> set[int]:
        last["epoch"] = epoch
        done = {r["member"] for r in rows}
        pending = [i for i in range(len(members)) if i not in done]
        # only the runs still training are checked (a measured run's row is final)
        perfect = []
        if pending:
            with for_copies(x.device):
                stack, own = take(params, pending), labels[pending]
            _, train_acc = evaluate(stack, x, own, subsets=subsets.select(pending))
            perfect = (train_acc == 1.0).tolist()  # one transfer to the host, not one per run
        fitted = [i for i, fit in zip(pending, perfect, strict=True) if fit]
        final = epoch == cfg.epochs
        measured = pending if final else fitted
        if measured:
            with for_copies(x.device):
                sub = [p.detach()[measured] for p in params]
            keys = [
                {
                    "member": i,
                    "seed": grid[i][1],
                    "fraction": grid[i][0],
                    "n_corrupted": round(grid[i][0] * subsets.n),
                    "fitted": i in fitted,
                    "epochs_to_fit": epoch if i in fitted else cfg.epochs + 1,
                }
                for i in measured
            ]
            what = f"label_corruption (hidden {cfg.hidden}, lr {cfg.lr}, epoch {epoch})"
            train_set = (x, labels[measured])
            test_set = (data.test_x, data.test_y)
            rows.extend(measure(sub, train_set, test_set, keys, what, subsets.select(measured)))
        tick(epoch, f" ({len(done) + len(fitted)}/{len(members)} fitted)")
        # a measured run is finished: it leaves the stack (training ends when all have)
        return {r["member"] for r in rows}

    tally = Tally()
    params = train(
        members,
        x,
        labels,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        epochs=cfg.epochs,
        on_epoch=record,
        eval_every=cfg.fit_every,
        checkpoint=stage(checkpoints, "train"),
        carry=rows,
        subsets=subsets,
        engine=engine,
        classes=data.classes,
    )
    tally.keep("train", params)
    tally.add(last["epoch"], cfg.n_train, cfg.batch_size, len(members))
    frame = pd.DataFrame(rows).sort_values("member")[COLUMNS].reset_index(drop=True)
    return tally.result(
        "label_corruption",
        cfg,
        str(x.device),
        profile,
        {"final": frame},
        params=members[0].n_params,
        budget=cfg.epochs,
        stopped_at_epoch=last["epoch"],
    )
