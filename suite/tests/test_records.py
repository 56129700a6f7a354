"""``suite.records``: one record per experiment, read by the profile, the plan and the report."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from suite.profiles import CI, PAPER
from suite.records import (
    Experiment,
    experiment_names,
    experiment_record,
    register_experiment,
    resolve,
    unregister_experiment,
)
from suite.run.plan import chain_steps, plan_for


@dataclass(frozen=True)
class Toy:
    n_train: int = 100
    epochs: int = 3
    batch_size: int = 10


def _toy_run(cfg, data, seeds, **options):
    raise AssertionError("not trained in these tests")


@pytest.fixture
def toy():
    record = register_experiment(
        Experiment(
            name="toy",
            run=_toy_run,
            settings={"ci": Toy(epochs=2), "*": Toy()},
            title="A toy",
            looks={"ci": (4, 8)},
        )
    )
    yield record
    unregister_experiment("toy")


def test_a_registered_experiment_joins_the_profiles_plan_and_report_order(toy):
    assert experiment_names()[-1] == "toy"
    assert CI.experiment("toy") == Toy(epochs=2) and PAPER.experiment("toy") == Toy()
    assert CI.looks_for("toy") == (4, 8) and CI.seeds_for("toy") == 8
    assert PAPER.looks_for("toy") == (PAPER.seeds,)  # no looks for paper: one at its seeds
    assert CI.with_seeds(5).looks_for("toy") == (5,)  # --gen-seeds overrides every look
    assert chain_steps("toy", CI.experiment("toy")) == 2 * 10
    assert plan_for(["toy", "random_labels"], CI).names == ["random_labels", "toy"]
    from suite.report.model import Section

    assert Section("toy").title == "A toy"


def test_a_name_is_registered_once_and_the_homework_stays(toy):
    register_experiment(toy)  # the same record again: fine
    with pytest.raises(ValueError, match="registered already"):
        register_experiment(Experiment(name="toy", run=_toy_run, settings={"*": Toy()}))
    with pytest.raises(ValueError, match="built-in"):
        unregister_experiment("random_labels")
    with pytest.raises(ValueError, match="identifier"):
        Experiment(name="two words", run=_toy_run, settings={})
    with pytest.raises(ValueError, match="must rise"):
        Experiment(name="toy2", run=_toy_run, settings={}, looks={"ci": (6, 3)})


def test_settings_missing_for_a_profile_say_which_it_has():
    record = Experiment(name="only_paper", run=_toy_run, settings={"paper": Toy()})
    with pytest.raises(LookupError, match=r"no settings for profile 'ci'.*paper"):
        record.settings_at(CI)


def test_an_unknown_experiment_names_the_registered_ones():
    with pytest.raises(LookupError, match="random_labels"):
        experiment_record("nope")


def test_references_resolve_lazily_through_modules_attributes_and_keys():
    assert resolve("suite.profiles:CI") is CI
    assert resolve("suite.report.figures:FIGURES.width_sweep").frame == "epochs"
    assert resolve(len) is len
    with pytest.raises(ValueError, match="module:attribute"):
        resolve("suite.profiles")


def test_a_record_without_settings_at_the_profile_fails_alone_not_the_plan():
    register_experiment(Experiment(name="paper_only", run=_toy_run, settings={"paper": Toy()}))
    try:
        plan = plan_for(["paper_only", "random_labels"], CI)
        assert plan.names == ["random_labels", "paper_only"]  # its steps unknown: 0, last
        with pytest.raises(LookupError, match="no settings for profile 'ci'"):
            CI.experiment("paper_only")  # what obtaining it raises, for its own claims
    finally:
        unregister_experiment("paper_only")
