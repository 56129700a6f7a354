"""The claims of DESIGN.md section 2 and of issue 7 (sections 5-8, beyond the homework): one
record per claim, the single source of their wording.

Claim tests name their id in the marker (``@pytest.mark.generalization("width-monotone")``);
everything else (statement, experiment, report placement) is looked up here.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClaimSpec:
    """One claim: its wording, its margin and where it is decided.

    ``margin`` is the claim's smallest effect of interest, fixed before the verdicts were read
    (DESIGN.md section 2): an effect shown smaller than it refutes the claim. None where the
    claim is refuted only by the opposite effect. ``undecided_at`` names the profiles at which
    the claim cannot reach a stable verdict within the profile's budget (measured over
    disjoint seed sets, README "How stable are the verdicts"), with why: there the verdict is
    INCONCLUSIVE by design and the data are still shown; it is decided at the other profiles.
    """

    id: str
    section: int
    experiment: str
    statement: str
    margin: float | None = None
    undecided_at: dict[str, str] = field(default_factory=dict)
    # The same for one parametrized case of the claim (the id's "[case]" suffix): case ->
    # {profile: why}; the other cases stay decided there.
    undecided_cases: dict[str, dict[str, str]] = field(default_factory=dict)

    def undecided(self, claim_id: str, profile: str) -> str | None:
        """Why ``claim_id`` (this claim, or one case of it) is undecided at ``profile``; None
        where the rule decides."""
        case = claim_id.partition("[")[2].removesuffix("]")
        return self.undecided_cases.get(case, {}).get(profile) or self.undecided_at.get(profile)


CLAIMS: dict[str, ClaimSpec] = {
    c.id: c
    for c in (
        ClaimSpec(
            "random-labels-fit",
            1,
            "random_labels",
            "An MLP with ~16,750 parameters reaches 100% train accuracy on 1000 MNIST images "
            "whose labels were replaced by uniform random labels.",
            undecided_at={
                "ci": "refuted in 3 of 20 seed sets of 10 seeds (3 of 200 seeds ended at 998-999 "
                "of 1000 after the full 5000 epochs): a stable verdict either way needs ~185 "
                "seeds (refuted in >= 95% of draws), beyond ci's budget"
            },
        ),
        ClaimSpec(
            "random-labels-chance",
            1,
            "random_labels",
            "The same model's accuracy on the true test labels stays at chance: within 0.02 of the "
            "accuracy its own random labels give by chance (about 10%).",
            margin=0.02,  # test accuracy within +-0.02 of the seed's chance reference
        ),
        ClaimSpec(
            "random-labels-overfit",
            1,
            "random_labels",
            "On random labels, test loss rises (by more than 0.1 nats above its minimum) while "
            "train loss falls.",
            margin=0.1,  # nats: the smallest rise of the test loss above its minimum of interest
        ),
        ClaimSpec(
            "width-monotone",
            2,
            "width_sweep",
            "Test accuracy does not fall as width grows (3 hidden layers of 5, 10, 20, ..., 90 "
            "units): it rises with width, and no width is worse than the next narrower one by "
            "more than 0.005.",
            margin=0.005,  # test accuracy: no width worse than the previous one by more
        ),
        ClaimSpec(
            "interpolation-peak",
            3,
            "interpolation",
            "On theta(a) = (1-a) theta1 + a theta2 between a small-batch/low-lr and a "
            "large-batch/high-lr solution, train and test loss peak near a = 0.5, with an error "
            "barrier of more than 2 points (the solutions are not linearly connected).",
            margin=2.0,  # points of error barrier: below it the two solutions are connected
            undecided_cases={
                "shared": {
                    "ci": "its error barrier sits at the claim's 2-point margin (mean 2.1, "
                    "median 1.8, sd 1.1 points over 20 seed sets of 3 seeds): at the margin "
                    "either side's test rejects in some draws whatever the seed count (refuted "
                    "in 2 of 21 sets, inconclusive in the rest)"
                }
            },
        ),
        ClaimSpec(
            "sensitivity-gap",
            4,
            "batch_sweep",
            "Sensitivity (softmax Jacobian norm) correlates with the generalization gap "
            "(test loss - train loss) across batch sizes 500..5000.",
        ),
        ClaimSpec(
            "sensitivity-accuracy",
            4,
            "batch_sweep",
            "Sensitivity is larger where test accuracy is smaller.",
        ),
        # Beyond the homework (issue 7): the sharper statements of the papers behind it.
        ClaimSpec(
            "corruption-fit",
            5,
            "label_corruption",
            "The random-labels MLP reaches 100% train accuracy within the training budget for "
            "every fraction f in {0, 0.2, ..., 1.0} of wrong training labels (Zhang et al. 2017).",
        ),
        ClaimSpec(
            "corruption-test-monotone",
            5,
            "label_corruption",
            "Test accuracy falls as the fraction of wrong training labels grows.",
        ),
        ClaimSpec(
            "fit-time-grows",
            5,
            "label_corruption",
            "The number of epochs needed to reach 100% train accuracy grows with the fraction "
            "of wrong training labels.",
        ),
        ClaimSpec(
            "sharpness-batch",
            6,
            "batch_sweep",
            "Epsilon-sharpness (Keskar et al. 2017) grows with the batch size across batch "
            "sizes 500..5000.",
            undecided_at={
                "ci": "simulated power at 3 seeds 0.12 for the effect measured (tau ~0.1-0.2; "
                "~85 seeds for 0.9, ci trains 6), and the verdict changed across seed sets "
                "(inconclusive, supported, refuted)"
            },
        ),
        ClaimSpec(
            "sharpness-gap",
            6,
            "batch_sweep",
            "Epsilon-sharpness correlates with the generalization gap (test loss - train loss) "
            "across batch sizes 500..5000.",
            undecided_at={
                "ci": "simulated power at 3 seeds 0.12 for the effect measured (tau ~0.1-0.2; "
                "~85 seeds for 0.9, ci trains 6), and the verdict changed across seed sets "
                "(inconclusive, supported, refuted)"
            },
        ),
        ClaimSpec(
            "shared-init-lower-barrier",
            7,
            "interpolation",
            "The error barrier on the line between the small-batch and the large-batch solution "
            "is lower when both start from the same initialization than from independent ones "
            "(linear mode connectivity, Frankle et al. 2020).",
        ),
        ClaimSpec(
            "sensitivity-granulated",
            8,
            "measures",
            "Sensitivity ranks runs by their generalization gap within each hyperparameter axis "
            "(batch size, learning rate, label corruption; Jiang et al. 2020): its Kendall tau "
            "with the gap is positive along every axis.",
        ),
        ClaimSpec(
            "sharpness-granulated",
            8,
            "measures",
            "Sharpness ranks runs by their generalization gap within each hyperparameter axis "
            "(batch size, learning rate, label corruption): its Kendall tau with the gap is "
            "positive along every axis.",
        ),
    )
}


def spec_for(claim_id: str) -> ClaimSpec:
    """The spec of ``claim_id``, ignoring a parametrize suffix such as ``[shared]``."""
    return CLAIMS[claim_id.split("[", 1)[0]]
