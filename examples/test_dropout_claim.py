"""Example (c): a claim of your own, with its own statement, margin and experiment.

"Dropout lowers the generalization gap": each seed trains the same two-hidden-layer MLP twice
on its own 2000 MNIST images, from the same initialization and batch order, once plain and
once with dropout 0.5; the gap is test loss - train loss. The claim holds when, within seeds,
dropout lowers the gap by more than 0.05 nats (the margin, fixed before any run): a one-sided
t across seeds (``rules.seed_difference``) at the claim's level, spent over its looks.

Run: ``pytest examples/test_dropout_claim.py -m generalization``.
"""

from dataclasses import dataclass

import pandas as pd
import pytest
from torch import nn

from suite import (
    ClaimSpec,
    Experiment,
    FuncModel,
    Member,
    SeedSet,
    Subsets,
    Tally,
    derive_seed,
    measure,
    register_claim,
    register_experiment,
    rules,
    train_stack,
)


@dataclass(frozen=True)
class DropoutGap:
    n_train: int = 2000
    hidden: tuple[int, ...] = (128, 128)
    epochs: int = 20
    batch_size: int = 100
    lr: float = 1e-3
    dropout: float = 0.5


def mlp(p: float):
    def build(hidden: tuple[int, ...], in_features: int, classes: int) -> nn.Module:
        layers: list[nn.Module] = []
        for width in hidden:
            layers += [nn.Linear(in_features, width), nn.ReLU(), nn.Dropout(p)]
            in_features = width
        return nn.Sequential(*layers, nn.Linear(in_features, classes))

    return build


def run_dropout_gap(cfg, data, seeds, *, profile="", progress=None, checkpoints=None, **_):
    """Both arms for every seed; one row per (seed, dropout) with loss, accuracy and gap."""
    seeds = SeedSet.of(seeds)
    x, y = data.train_x, data.train_y
    images = seeds.training_images(x.shape[0], cfg.n_train, x.device)
    subsets = Subsets(images, range(len(seeds)))
    tally, rows = Tally(), []
    for p in (0.0, cfg.dropout):
        model = FuncModel(mlp(p), f"mlp-dropout-{p}")
        # the same init and batch order in both arms: the seed is paired with itself
        init, order = "dropout_gap/init", "dropout_gap/data"
        members = [
            Member(cfg.hidden, derive_seed(init, i), derive_seed(order, i)) for i in seeds.ids
        ]
        params = train_stack(
            members,
            x,
            y,
            batch_size=cfg.batch_size,
            lr=cfg.lr,
            epochs=cfg.epochs,
            subsets=subsets,
            model=model,
        )
        keys = [{"seed": s, "dropout": p} for s in range(len(seeds))]
        test = (data.test_x, data.test_y)
        rows += measure(params, (x, y), test, keys, f"dropout {p}", subsets, model=model)
        tally.add(cfg.epochs, cfg.n_train, cfg.batch_size, len(seeds))
        if progress:
            progress(f"dropout_gap: dropout {p} trained")
    frame = pd.DataFrame(rows)
    frame["gap"] = frame["test_loss"] - frame["train_loss"]
    return tally.result("dropout_gap", cfg, str(x.device), profile, {"runs": frame})


register_experiment(
    Experiment(
        name="dropout_gap",
        run=run_dropout_gap,
        settings={"*": DropoutGap()},
        title="Dropout and the generalization gap",
        frames=("runs",),
        looks={"ci": (6,), "*": (10,)},
    )
)


def dropout_lowers_gap(frames, ask):
    """Within seeds, the plain arm's gap minus the dropout arm's, against the margin."""
    runs = frames["runs"]
    return rules.seed_difference(
        runs,
        arm="dropout",
        control=0.0,
        treatment=float(runs["dropout"].max()),  # the settings' rate, as the runs recorded it
        y="gap",
        lowers=True,
        margin=ask.margin,
        alpha=ask.alpha,
    )


register_claim(
    ClaimSpec(
        id="dropout-lowers-gap",
        section=0,
        experiment="dropout_gap",
        frame="runs",
        statement="Dropout 0.5 lowers the generalization gap (test loss - train loss) of a "
        "2x128 MLP trained on 2000 MNIST images by more than 0.05 nats, within seeds.",
        decide=dropout_lowers_gap,
        alpha=0.05,
        margin=0.05,
    )
)


@pytest.mark.generalization("dropout-lowers-gap")
def test_dropout_lowers_the_gap(claim):
    claim.decide()
