"""A user's experiment and claim, registered in their own test file, reach the terminal table,
claims.json and the report as the homework's do; the plugin is found through its entry point
(no conftest names it). The experiment trains nothing: its runner makes a frame in a blink.
"""

from __future__ import annotations

import json
import textwrap

import pytest

USER_FILE = '''
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from suite import ClaimSpec, Experiment, Tally, SeedSet, register_claim, register_experiment, rules


@dataclass(frozen=True)
class Arms:
    effect: float = 0.3


def run_arms(cfg, data, seeds, *, profile="", progress=None, checkpoints=None, engine="eager"):
    seeds = SeedSet.of(seeds)
    rng = np.random.default_rng(list(seeds.ids))
    rows = []
    for s in range(len(seeds)):
        base = rng.normal(1.0, 0.2)
        rows.append({"seed": s, "arm": "plain", "gap": base + cfg.effect + rng.normal(0, 0.02)})
        rows.append({"seed": s, "arm": "treated", "gap": base})
    return Tally().result("arms", cfg, "cpu", profile, {"runs": pd.DataFrame(rows)})


register_experiment(
    Experiment(
        name="arms",
        run=run_arms,
        settings={"*": Arms()},
        title="A user's two arms",
        looks={"ci": (4,)},
    )
)
register_claim(
    ClaimSpec(
        id="treatment-lowers-gap",
        section=0,
        experiment="arms",
        frame="runs",
        statement="The treatment lowers the gap by more than 0.1.",
        decide=lambda f, a: rules.seed_difference(
            f["runs"], arm="arm", control="plain", treatment="treated", y="gap",
            lowers=True, margin=a.margin, alpha=a.alpha,
        ),
        alpha=0.05,
        margin=0.1,
    )
)


@pytest.mark.generalization("treatment-lowers-gap")
def test_treatment_lowers_the_gap(claim):
    claim.decide()
'''


@pytest.mark.slow
def test_a_users_claim_is_decided_and_reported_like_the_homeworks(pytester: pytest.Pytester):
    pytester.makeini("[pytest]\n")  # no conftest: the entry point loads the plugin
    pytester.makepyfile(test_mine=textwrap.dedent(USER_FILE))
    result = pytester.runpytest_subprocess(
        "-p",
        "no:randomly",
        "-m",
        "generalization",
        "--gen-device=cpu",
        "--gen-cache-dir=cache",
        "--gen-report=report/index.html",
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["*treatment-lowers-gap*SUPPORTED*"])
    claims = {c["id"]: c for c in json.loads((pytester.path / "report/claims.json").read_text())}
    mine = claims["treatment-lowers-gap"]
    assert mine["verdict"] == "supported" and mine["experiment"] == "arms"
    assert mine["n_seeds"] == 4  # the record's looks at ci
    assert len(claims) == 1  # the homework's claims are not collected in a user's project
    html = (pytester.path / "report/index.html").read_text()
    assert "A user&#x27;s two arms" in html or "A user's two arms" in html
    assert "treatment-lowers-gap" in html
