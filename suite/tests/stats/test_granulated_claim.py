"""``catalog.granulated_claim``: one line declares "measure X ranks runs by gap within each axis";
the built-in granulated claims are such lines and decide as the factory's record does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from suite.stats.catalog import CLAIMS, granulated_claim, register_claim, unregister_claim
from suite.tests import fake_results


def runs(seed: int) -> pd.DataFrame:
    frame = fake_results.measures().frames["runs"]
    noise = np.random.default_rng(seed).standard_normal(len(frame))
    return frame.assign(
        frob_product=frame["gap"] + 0.02 * noise, reversed=-frame["gap"] + 0.01 * noise
    )


@pytest.mark.parametrize("measure", ["sensitivity", "sharpness"])
def test_the_built_in_claims_are_the_factorys_records(measure):
    built_in = CLAIMS[f"{measure}-granulated"]
    made = granulated_claim(measure, statement=built_in.statement)
    assert (made.id, made.section, made.experiment, made.frame) == (
        built_in.id,
        built_in.section,
        built_in.experiment,
        built_in.frame,
    )
    assert (made.alpha, made.margin, made.statement) == (
        built_in.alpha,
        built_in.margin,
        built_in.statement,
    )
    for seed in range(3):
        frames = {"runs": runs(seed)}
        a, b = built_in.decision(frames), made.decision(frames)
        assert (a.verdict, a.statistic, a.premise_unmet) == (
            b.verdict,
            b.statistic,
            b.premise_unmet,
        )
        assert a.details == b.details


def test_a_claim_on_any_measure_is_one_line():
    frames = {"runs": runs(0).assign(reached_stop=True)}  # every run at the criterion
    claim = granulated_claim("frob_product")
    assert claim.id == "frob_product-granulated" and claim.experiment == "measures"
    assert "Frob_product ranks runs" in claim.statement
    ranks = claim.decision(frames)
    assert ranks.statistic > 0.5
    opposite = granulated_claim("reversed", id="reversed-ranks", alpha=0.01).decision(frames)
    assert opposite.statistic < -0.5 and opposite.verdict.value == "refuted"


def test_the_same_claim_declared_twice_is_one_record():
    made = granulated_claim("frob_product")
    assert made == granulated_claim("frob_product") != granulated_claim("other")
    try:
        register_claim(made)
        register_claim(granulated_claim("frob_product"))  # e.g. a module imported twice
        assert CLAIMS["frob_product-granulated"] == made
    finally:
        unregister_claim("frob_product-granulated")
