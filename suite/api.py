"""What a user of the suite imports: ``from suite import Experiment, ClaimSpec, ...``.

Everything needed to check a claim of one's own beside the homework's, in one test file:

- an experiment: :class:`Experiment` and :func:`register_experiment` (its runner trains with
  :func:`train_stack`, measures with :func:`measure` / :func:`measure_generalization`, and returns
  ``Tally.result``), seeded through :class:`SeedSet` and :func:`derive_seed`;
- a claim: :class:`ClaimSpec` and :func:`register_claim`, its decision a rule of
  :mod:`suite.stats.rules` asked through :class:`Ask`; the test marks it with
  ``@pytest.mark.generalization(id)`` and calls ``claim.decide()``;
- a model: :class:`FuncModel` wraps any ``nn.Module`` factory (through ``torch.func``),
  :func:`register_model` names it, and an experiment's settings pick it (``model=``);
- a dataset: :func:`register_dataset` (``--gen-dataset NAME``; MNIST is the built-in);
- a measure: a function of a :class:`MeasureInput` giving one value per member, registered
  with :func:`register_measure` (every generalization run then gets it as a column) and
  judged by the claim :func:`granulated_claim` makes;
- the settings: the profiles :data:`CI` and :data:`PAPER`.

``suite/__init__`` re-exports these names on first use, so ``import suite`` stays cheap.
"""

from __future__ import annotations

from suite.data.datasets import Dataset, register_dataset
from suite.data.splits import MnistSplits
from suite.experiments.common import (
    EpochProgress,
    Tally,
    measure,
    measure_generalization,
    sensitivity_probe,
)
from suite.measures.registry import MeasureInput, register_measure
from suite.plugin.claim import Claim, refuted_at
from suite.profiles import CI, PAPER, Profile, get_profile
from suite.records import Experiment, experiment_record, register_experiment
from suite.stats import rules
from suite.stats.catalog import (
    Ask,
    ClaimSpec,
    granulated_claim,
    last_epoch,
    register_claim,
    spec_for,
)
from suite.stats.verdicts import ClaimResult, Decision, Verdict
from suite.train.engine import Member, Subsets, derive_seed
from suite.train.evaluation import evaluate
from suite.train.frames import ExperimentResult
from suite.train.models import FuncModel, Model, model_named, register_model
from suite.train.seeds import SeedSet
from suite.train.training import train as train_stack

__all__ = [
    "CI",
    "PAPER",
    "Ask",
    "Claim",
    "ClaimResult",
    "ClaimSpec",
    "Dataset",
    "Decision",
    "EpochProgress",
    "Experiment",
    "ExperimentResult",
    "FuncModel",
    "MeasureInput",
    "Member",
    "MnistSplits",
    "Model",
    "Profile",
    "SeedSet",
    "Subsets",
    "Tally",
    "Verdict",
    "derive_seed",
    "evaluate",
    "experiment_record",
    "get_profile",
    "granulated_claim",
    "last_epoch",
    "measure",
    "measure_generalization",
    "model_named",
    "refuted_at",
    "register_claim",
    "register_dataset",
    "register_experiment",
    "register_measure",
    "register_model",
    "rules",
    "sensitivity_probe",
    "spec_for",
    "train_stack",
]
