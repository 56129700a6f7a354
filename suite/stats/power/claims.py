"""The rules, called exactly as the claim tests call them (``suite/claims/*.py``)."""

from __future__ import annotations

from collections.abc import Callable

from suite.profiles import CI, Profile
from suite.stats import rules
from suite.stats.catalog import CLAIMS
from suite.stats.grid import AXES
from suite.stats.power.shared import Table
from suite.stats.verdicts import Decision


def claim_margin(claim: str) -> float:
    margin = CLAIMS[claim].margin
    assert margin is not None, claim
    return margin


def _decide_fit(t: Table) -> Decision:
    return rules.all_reach(t["train_acc"], target=1.0)


def _decide_chance(t: Table) -> Decision:
    return rules.at_chance(
        t, acc="test_acc", reference="chance_ref", margin=claim_margin("random-labels-chance")
    )


def _decide_overfit(t: Table) -> Decision:
    return rules.overfits(
        t,
        x="epoch",
        test="test_loss",
        train="train_loss",
        margin=claim_margin("random-labels-overfit"),
        alpha=0.01,
    )


def _decide_width(t: Table) -> Decision:
    return rules.monotone_in_width(
        t,
        x="params",
        y="test_acc",
        group="width",
        alpha=0.01,
        margin=claim_margin("width-monotone"),
    )


def _decide_peak(t: Table) -> Decision:
    return rules.interpolation_peak(
        t,
        losses=("train_loss", "test_loss"),
        accs=("train_acc", "test_acc"),
        window=(0.3, 0.7),
        margin=claim_margin("interpolation-peak"),
        alpha=0.05,
    )


def _decide_lower_barrier(t: Table) -> Decision:
    return rules.lower_barrier(
        t,
        group="init",
        lower="shared",
        higher="independent",
        accs=("train_acc", "test_acc"),
        alpha=0.05,
    )


def _trend(x: str, y: str, direction: str, alpha: float) -> Callable[[Table], Decision]:
    def decide(t: Table) -> Decision:
        return rules.within_seed_trend(t, x=x, y=y, direction=direction, alpha=alpha)

    return decide


def _decide_corruption_fit(t: Table) -> Decision:
    return rules.every_run_fits(t, fitted="fitted", group="fraction")


def _decide_fit_time(t: Table) -> Decision:
    return rules.censored_trend(
        t, x="fraction", y="epochs_to_fit", direction="increasing", alpha=0.01
    )


def _decide_granulated(t: Table) -> Decision:
    return rules.within_each_axis(t, measure="sensitivity", target="gap", axes=AXES, alpha=0.05)


#: claim id -> (rule name, experiment, the call of its claim test)
CALLS: dict[str, tuple[str, str, Callable[[Table], Decision]]] = {
    "random-labels-fit": ("all_reach", "random_labels", _decide_fit),
    "random-labels-chance": ("at_chance", "random_labels", _decide_chance),
    "random-labels-overfit": ("overfits", "random_labels", _decide_overfit),
    "width-monotone": ("monotone_in_width", "width_sweep", _decide_width),
    "interpolation-peak": ("interpolation_peak", "interpolation", _decide_peak),
    "shared-init-lower-barrier": ("lower_barrier", "interpolation", _decide_lower_barrier),
    "sensitivity-gap": (
        "within_seed_trend",
        "batch_sweep",
        _trend("sensitivity", "gap", "increasing", 0.05),
    ),
    "sensitivity-accuracy": (
        "within_seed_trend",
        "batch_sweep",
        _trend("sensitivity", "test_acc", "decreasing", 0.05),
    ),
    "sharpness-batch": (
        "within_seed_trend",
        "batch_sweep",
        _trend("batch_size", "sharpness", "increasing", 0.05),
    ),
    "corruption-fit": ("every_run_fits", "label_corruption", _decide_corruption_fit),
    "corruption-test-monotone": (
        "within_seed_trend",
        "label_corruption",
        _trend("fraction", "test_acc", "decreasing", 0.01),
    ),
    "fit-time-grows": ("censored_trend", "label_corruption", _decide_fit_time),
    # sharpness-granulated is the same call with measure = sharpness
    "sensitivity-granulated": ("within_each_axis", "measures", _decide_granulated),
}


def profile_seeds(experiment: str, profile: Profile = CI) -> int:
    """How many seeds ``profile`` trains for ``experiment`` (read at run time)."""
    seeds_for = getattr(profile, "seeds_for", None)
    return int(seeds_for(experiment)) if seeds_for is not None else int(profile.seeds)
