"""A claim's result has one JSON schema (``ClaimResult.to_json`` / ``from_json``): claims.json, a
baseline and an xdist worker's report carry the same object, and files of earlier versions
still read."""

from __future__ import annotations

import json
import math

from suite.stats.verdicts import ClaimResult, Decision, Verdict


def result() -> ClaimResult:
    decision = Decision(
        "within_seed_trend",
        -0.4,
        "tau < 0",
        0.004,
        Verdict.SUPPORTED,
        60,
        6,
        details={"per_seed_tau": [-0.2, -0.6, float("nan")], "seeds": [0, 1, 2]},
        interval=(-0.7, -0.1),
        interval_level=0.95,
    )
    return ClaimResult.of(
        decision,
        claim="sensitivity-accuracy",
        statement="s",
        profile="ci",
        device="cpu",
        seconds=1.5,
        experiment="batch_sweep",
        looks={"planned": [6, 10]},
    )


def test_a_claim_survives_strict_json_and_back():
    c = result()
    text = json.dumps(c.to_json(), allow_nan=False)  # strict JSON: no NaN anywhere
    back = ClaimResult.from_json(json.loads(text))
    assert back.to_json() == c.to_json()
    assert back.verdict is Verdict.SUPPORTED and back.interval == [-0.7, -0.1]
    assert back.seed_values == [-0.2, -0.6] and back.seed_scale == "mean"


def test_files_of_earlier_versions_still_read():
    old = {  # before issue 10 (a verdict "expected refutation"), 23 (no interval) and 27
        "id": "sharpness-granulated",
        "statistic": None,
        "p": 0.99,
        "verdict": "expected refutation",
        "details": {"rule": "within_seed_trend", "per_seed_tau": [0.1, "nan", 0.3]},
    }
    c = ClaimResult.from_json(old)
    assert c.verdict is Verdict.REFUTED and c.expected
    assert math.isnan(c.statistic) and c.interval is None and c.looks == {}
    assert c.seed_values == [0.1, 0.3]  # read from the rule's details
