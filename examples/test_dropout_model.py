"""Example (b): your own model through the homework's claims: an MLP with dropout.

Any ``nn.Module`` built by a factory ``(hidden, in_features, classes) -> module`` trains as a
stack of seeds through ``torch.func`` (``FuncModel``). The homework's random-labels and
width experiments take it through their settings (``model=``); each gets a record of its own
(``dropout_random_labels``, ``dropout_width_sweep``), and the homework's claims are decided
on it under ids of their own, with the homework's rules, margins and levels.

The looks are this example's (fewer seeds than the homework's, to keep it to a minute or two
on 2 CPU cores): a claim that more seeds would decide can stay INCONCLUSIVE here.

Run: ``pytest examples/test_dropout_model.py -m generalization``.
"""

from dataclasses import replace

import pytest
from torch import nn

from suite import (
    FuncModel,
    experiment_record,
    register_claim,
    register_experiment,
    register_model,
    spec_for,
)


def dropout_mlp(hidden: tuple[int, ...], in_features: int, classes: int) -> nn.Module:
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(in_features, width), nn.ReLU(), nn.Dropout(0.1)]
        in_features = width
    return nn.Sequential(*layers, nn.Linear(in_features, classes))


register_model("dropout-mlp", FuncModel(dropout_mlp, "dropout-mlp"))

CLAIMS = {
    "random_labels": ("random-labels-fit", "random-labels-chance"),
    "width_sweep": ("width-monotone",),
}
LOOKS = {"random_labels": {"ci": (10,)}, "width_sweep": {"ci": (6,)}}

for homework, claim_ids in CLAIMS.items():

    def settings(profile, homework=homework):
        return replace(profile.experiment(homework), model="dropout-mlp")

    mine = register_experiment(
        replace(
            experiment_record(homework),
            name=f"dropout_{homework}",
            settings=settings,
            title=f"{experiment_record(homework).title}, with dropout 0.1",
            looks=LOOKS[homework],
            builtin=False,
        )
    )
    for claim_id in claim_ids:
        register_claim(replace(spec_for(claim_id), id=f"dropout-{claim_id}", experiment=mine.name))


@pytest.mark.generalization("dropout-random-labels-fit")
def test_the_dropout_mlp_fits_random_labels(claim):
    claim.decide()


@pytest.mark.generalization("dropout-random-labels-chance")
def test_its_test_accuracy_stays_at_chance(claim):
    claim.decide()


@pytest.mark.generalization("dropout-width-monotone")
def test_its_test_accuracy_grows_with_width(claim):
    claim.decide()
