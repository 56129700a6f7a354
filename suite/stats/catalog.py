"""The claims (DESIGN.md section 2, and beyond the homework sections 5-8): one record per claim.

Each record holds the claim's wording, its margin and level, the experiment it is decided on
and its one decision: the rule call from the experiment's frames to a
:class:`~suite.stats.verdicts.Decision`. The claim test, the sequential looks that decide how
many seeds an experiment trains, the rules' simulation and the stability command all call
that same function (``ClaimSpec.decision``), so a claim is decided one way everywhere.
Claim tests name their id in the marker (``@pytest.mark.generalization("width-monotone")``).

No record sets a verdict: at every profile the verdict is the rule's outcome on the data. A
user's claims join these through :func:`register_claim`.

Long because it holds the homework's sixteen records, each with its wording and decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

import pandas as pd

from suite.stats import rules
from suite.stats.grid import AXES
from suite.stats.rules.premises import stopped_by_cap, under_premise, unfitted
from suite.stats.verdicts import Decision

Frames = Mapping[str, pd.DataFrame]


@dataclass(frozen=True)
class Ask:
    """What one decision is asked with: the claim's record, the level at this look, the case."""

    spec: ClaimSpec
    alpha: float
    case: str | None = None

    @property
    def margin(self) -> float:
        if self.spec.margin is None:
            raise LookupError(f"claim {self.spec.id!r} has no margin in its record")
        return self.spec.margin


Decide = Callable[[Frames, Ask], Decision]


@dataclass(frozen=True)
class ClaimSpec:
    """One claim: its wording, margin, level, experiment, frame and decision.

    ``margin`` is the claim's smallest effect of interest, fixed before the verdicts were read:
    an effect shown smaller than it refutes the claim (None where only the opposite effect
    refutes). ``share`` is the P of a proportion claim ("fits in at least P of the seeds").
    ``alpha`` is the claim's overall level; the sequential looks spend it over the looks.
    ``cases`` are the parametrized cases of the claim test (its id's "[case]" suffix).
    """

    id: str
    section: int
    experiment: str
    frame: str
    statement: str
    decide: Decide
    alpha: float
    margin: float | None = None
    share: float | None = None
    cases: tuple[str, ...] = ()

    def decision(
        self, frames: Frames, alpha: float | None = None, case: str | None = None
    ) -> Decision:
        """The claim's decision on an experiment's frames, at ``alpha`` (default: its own)."""
        if self.cases and case not in self.cases:
            raise ValueError(f"claim {self.id} is decided per case {self.cases}, got {case!r}")
        return self.decide(frames, Ask(self, self.alpha if alpha is None else alpha, case))

    @property
    def ids(self) -> tuple[str, ...]:
        """The ids this record is reported under: ``id[case]`` for each case, or ``id``."""
        return tuple(f"{self.id}[{c}]" for c in self.cases) or (self.id,)


def last_epoch(df: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    """The last evaluated epoch of every ``by`` group (the table itself if it has no epochs)."""
    if "epoch" not in df:
        return df
    last = df.groupby(list(by))["epoch"].transform("max")
    return df[df["epoch"] == last].reset_index(drop=True)


# -- the decisions, one per claim ------------------------------------------------------------


def _share(a: Ask) -> float:
    if a.spec.share is None:
        raise LookupError(f"claim {a.spec.id!r} has no share in its record")
    return a.spec.share


def _random_labels_fit(f: Frames, a: Ask) -> Decision:
    final = last_epoch(f["epochs"], ("seed",))
    return rules.seeds_at_full_accuracy(final, acc="train_acc", share=_share(a), alpha=a.alpha)


def _random_labels_chance(f: Frames, a: Ask) -> Decision:
    final = last_epoch(f["epochs"], ("seed",))
    return rules.at_chance(
        final, acc="test_acc", reference="chance_ref", margin=a.margin, alpha=a.alpha
    )


def _random_labels_overfit(f: Frames, a: Ask) -> Decision:
    return rules.overfits(
        f["epochs"], x="epoch", test="test_loss", train="train_loss", margin=a.margin, alpha=a.alpha
    )


def _width_monotone(f: Frames, a: Ask) -> Decision:
    runs = last_epoch(f["epochs"], ("width", "seed"))  # one row per (width, seed)
    return rules.monotone_in_width(
        runs, x="params", y="test_acc", group="width", alpha=a.alpha, margin=a.margin
    )


def _interpolation_peak(f: Frames, a: Ask) -> Decision:
    curve = f["curve"]
    if a.case is not None:
        curve = curve[curve["init"] == a.case]
        if curve.empty:
            raise ValueError(f"the profile trains no {a.case}-init pair")
    return rules.interpolation_peak(
        curve,
        losses=("train_loss", "test_loss"),
        accs=("train_acc", "test_acc"),
        window=(0.3, 0.7),
        margin=a.margin,
        alpha=a.alpha,
    )


def _shared_init_lower_barrier(f: Frames, a: Ask) -> Decision:
    return rules.lower_barrier(
        f["curve"],
        group="init",
        lower="shared",
        higher="independent",
        accs=("train_acc", "test_acc"),
        alpha=a.alpha,
    )


def _batch_trend(x: str, y: str, direction: str, fitted: bool) -> Decide:
    """A within-seed trend across the batch sizes; ``fitted``: a claim about fitted networks."""

    def decide(f: Frames, a: Ask) -> Decision:
        runs = f["final"]  # one row per (batch size, seed)
        decision = rules.within_seed_trend(
            runs, x=x, y=y, direction=direction, alpha=a.alpha, keys=("batch_size",)
        )
        return under_premise(decision, unfitted(runs) if fitted else None)

    return decide


def _corruption_fit(f: Frames, a: Ask) -> Decision:
    return rules.seeds_fitting_every_group(
        f["final"], fitted="fitted", group="fraction", share=_share(a), alpha=a.alpha
    )


def _corruption_test_monotone(f: Frames, a: Ask) -> Decision:
    return rules.within_seed_trend(
        f["final"], x="fraction", y="test_acc", direction="decreasing", alpha=a.alpha
    )


def _fit_time_grows(f: Frames, a: Ask) -> Decision:
    return rules.censored_trend(
        f["final"], x="fraction", y="epochs_to_fit", direction="increasing", alpha=a.alpha
    )


@cache
def _granulated(measure: str) -> Decide:
    def decide(f: Frames, a: Ask) -> Decision:
        runs = f["runs"]  # one row per (grid point, seed)
        decision = rules.within_each_axis(
            runs, measure=measure, target="gap", axes=AXES, alpha=a.alpha
        )
        return under_premise(decision, stopped_by_cap(runs))

    return decide


def granulated_claim(
    measure: str,
    id: str | None = None,
    statement: str | None = None,
    *,
    alpha: float = 0.05,
    margin: float | None = None,
    section: int = 8,
) -> ClaimSpec:
    """The claim "``measure`` ranks runs by their gap within each axis" (Jiang et al. 2020's
    granulated Kendall tau, ``rules.within_each_axis``, every run at the stopping criterion) on
    the ``measures`` grid, for any registered measure; the built-in two are such lines. ``id``
    defaults to ``<measure>-granulated``, under which the report's measures table finds it;
    ``margin`` is recorded, not used (the rule refutes on the opposite sign alone). The same
    arguments give equal records (one decision function per measure), so registering one twice
    (``register_claim``) is not an error."""
    return ClaimSpec(
        id or f"{measure}-granulated",
        section,
        "measures",
        "runs",
        statement
        or f"{measure.capitalize()} ranks runs by their generalization gap within each "
        "hyperparameter axis (batch size, learning rate, label corruption), every run measured "
        "at the common stopping criterion: its Kendall tau with the gap is positive along every "
        "axis.",
        _granulated(measure),
        alpha=alpha,
        margin=margin,
    )


#: "A network reaches 100% train accuracy" speaks of what training typically does: the median
#: run fits, i.e. at least half the seeds do. Fixed for that reading, before any verdict and
#: not from a measured rate; a universal "every seed" could only ever be refuted.
FIT_SHARE = 0.5

CLAIMS: dict[str, ClaimSpec] = {
    c.id: c
    for c in (
        ClaimSpec(
            "random-labels-fit",
            1,
            "random_labels",
            "epochs",
            "An MLP with ~16,750 parameters reaches 100% train accuracy on 1000 MNIST images "
            "whose labels were replaced by uniform random labels, in at least half of the "
            "seeds (the typical run fits).",
            _random_labels_fit,
            alpha=0.05,
            share=FIT_SHARE,
        ),
        ClaimSpec(
            "random-labels-chance",
            1,
            "random_labels",
            "epochs",
            "The same model's accuracy on the true test labels stays at chance: within 0.02 of the "
            "accuracy its own random labels give by chance (about 10%).",
            _random_labels_chance,
            alpha=0.05,
            margin=0.02,  # test accuracy within +-0.02 of the seed's chance reference
        ),
        ClaimSpec(
            "random-labels-overfit",
            1,
            "random_labels",
            "epochs",
            "On random labels, test loss rises (by more than 0.1 nats above its minimum) while "
            "train loss falls.",
            _random_labels_overfit,
            alpha=0.01,
            margin=0.1,  # nats: the smallest rise of the test loss above its minimum of interest
        ),
        ClaimSpec(
            "width-monotone",
            2,
            "width_sweep",
            "epochs",
            "Test accuracy does not fall as width grows (3 hidden layers of 5, 10, 20, ..., 90 "
            "units): it rises with width, and no width is worse than a narrower one by more "
            "than 0.005.",
            _width_monotone,
            alpha=0.01,
            margin=0.005,  # test accuracy: no width worse than a narrower one by more
        ),
        ClaimSpec(
            "interpolation-peak",
            3,
            "interpolation",
            "curve",
            "On theta(a) = (1-a) theta1 + a theta2 between a small-batch/low-lr and a "
            "large-batch/high-lr solution, train and test loss peak near a = 0.5, with an error "
            "barrier of more than 2 points (the solutions are not linearly connected).",
            _interpolation_peak,
            alpha=0.05,
            margin=2.0,  # points of error barrier: below it the two solutions are connected
            cases=("independent", "shared"),
        ),
        ClaimSpec(
            "sensitivity-gap",
            4,
            "batch_sweep",
            "final",
            "Sensitivity (softmax Jacobian norm) correlates with the generalization gap "
            "(test loss - train loss) across batch sizes 500..5000, for networks that have "
            "fitted their training set (at most 1% train error).",
            _batch_trend("sensitivity", "gap", "increasing", fitted=True),
            alpha=0.05,
        ),
        ClaimSpec(
            "sensitivity-accuracy",
            4,
            "batch_sweep",
            "final",
            "Sensitivity is larger where test accuracy is smaller.",
            _batch_trend("sensitivity", "test_acc", "decreasing", fitted=False),
            alpha=0.05,
        ),
        # Beyond the homework (issue 7): the sharper statements of the papers behind it.
        ClaimSpec(
            "corruption-fit",
            5,
            "label_corruption",
            "final",
            "The random-labels MLP reaches 100% train accuracy within the training budget for "
            "every fraction f in {0, 0.2, ..., 1.0} of wrong training labels, in at least half "
            "of the seeds (Zhang et al. 2017).",
            _corruption_fit,
            alpha=0.05,
            share=FIT_SHARE,
        ),
        ClaimSpec(
            "corruption-test-monotone",
            5,
            "label_corruption",
            "final",
            "Test accuracy falls as the fraction of wrong training labels grows.",
            _corruption_test_monotone,
            alpha=0.01,
        ),
        ClaimSpec(
            "fit-time-grows",
            5,
            "label_corruption",
            "final",
            "The number of epochs needed to reach 100% train accuracy grows with the fraction "
            "of wrong training labels.",
            _fit_time_grows,
            alpha=0.01,
        ),
        ClaimSpec(
            "sharpness-batch",
            6,
            "batch_sweep",
            "final",
            "Epsilon-sharpness (Keskar et al. 2017) of the minima training reaches grows with "
            "the batch size across batch sizes 500..5000, for networks that have fitted their "
            "training set (at most 1% train error).",
            # Keskar et al. compare minimizers: away from one, the ascent's first-order term
            # (the gradient) dominates epsilon-sharpness, so an unfitted run is "sharp" for
            # being unfitted, as the gap of an unfitted run measures under-fitting.
            _batch_trend("batch_size", "sharpness", "increasing", fitted=True),
            alpha=0.05,
        ),
        ClaimSpec(
            "sharpness-gap",
            6,
            "batch_sweep",
            "final",
            "Epsilon-sharpness correlates with the generalization gap (test loss - train loss) "
            "across batch sizes 500..5000, for networks that have fitted their training set.",
            _batch_trend("sharpness", "gap", "increasing", fitted=True),
            alpha=0.05,
        ),
        ClaimSpec(
            "shared-init-lower-barrier",
            7,
            "interpolation",
            "curve",
            "The error barrier on the line between the small-batch and the large-batch solution "
            "is lower when both start from the same initialization than from independent ones "
            "(linear mode connectivity, Frankle et al. 2020).",
            _shared_init_lower_barrier,
            alpha=0.05,
        ),
        granulated_claim(
            "sensitivity",
            statement="Sensitivity ranks runs by their generalization gap within each "
            "hyperparameter axis (batch size, learning rate, label corruption; Jiang et al. "
            "2020), every run measured at the common stopping criterion: its Kendall tau with "
            "the gap is positive along every axis.",
        ),
        granulated_claim("sharpness"),
    )
}


def spec_for(claim_id: str) -> ClaimSpec:
    """The record of ``claim_id``, ignoring a parametrize suffix such as ``[shared]``."""
    return CLAIMS[claim_id.split("[", 1)[0]]


def case_of(claim_id: str) -> str | None:
    """The parametrized case of ``claim_id`` (``shared`` of ``interpolation-peak[shared]``)."""
    case = claim_id.partition("[")[2].removesuffix("]")
    return case or None


def claims_on(experiment: str) -> list[ClaimSpec]:
    """The records of every claim decided on ``experiment``, in catalog order."""
    return [c for c in CLAIMS.values() if c.experiment == experiment]


#: The homework's claims: registered above, never replaced or removed.
BUILTIN_CLAIMS = frozenset(CLAIMS)


def register_claim(spec: ClaimSpec) -> ClaimSpec:
    """Add a claim of your own beside the homework's (once per id: the same id twice is an error
    unless it is the same record). Its test names it in ``@pytest.mark.generalization(id)``,
    and its verdict reaches the terminal table, claims.json and the report as theirs do."""
    if "[" in spec.id or not spec.id:
        raise ValueError(f"a claim id has no '[case]' suffix (cases go in ``cases``): {spec.id!r}")
    known = CLAIMS.get(spec.id)
    if known is not None and known != spec:
        raise ValueError(f"a claim {spec.id!r} is registered already")
    CLAIMS[spec.id] = spec
    return spec


def unregister_claim(claim_id: str) -> None:
    """Remove a user's claim (tests use it); the homework's stay."""
    if claim_id in BUILTIN_CLAIMS:
        raise ValueError(f"{claim_id!r} is one of the homework's claims")
    CLAIMS.pop(claim_id, None)
