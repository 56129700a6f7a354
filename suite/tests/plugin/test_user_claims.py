"""A user's experiment and claim, registered in their own test file, reach the terminal table,
claims.json and the report as the homework's do; the plugin is found through its entry point
(no conftest names it). The experiment trains nothing: its runner makes a frame in a blink.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from suite.plugin.options import plainly_without_nvidia
from suite.run.extras import ray_installed

USER_FILE = """
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from suite.plugin.options import plainly_without_nvidia
from suite.run.extras import ray_installed

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
"""


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


DATASET_CONFTEST = '''
from dataclasses import dataclass

import torch

from suite import register_dataset


@dataclass
class Blobs:
    """Three Gaussian blobs in 20 dimensions: a dataset of the user's own."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    checksum: str = "blobs-v1"
    name: str = "blobs"
    classes: int = 3

    @property
    def device(self):
        return self.train_x.device

    def to(self, device):
        return self


def load_blobs(root, device, progress):
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 3, (300,), generator=g)
    x = torch.randn(300, 20, generator=g) + 3 * torch.nn.functional.one_hot(y, 20)
    return Blobs(x[:200], y[:200], x[200:250], y[200:250], x[250:], y[250:])


register_dataset("blobs", load_blobs)
'''

DATASET_USER = USER_FILE.replace(
    "rows = []",
    'assert data.name == "blobs" and data.train_x.shape == (200, 20)\n    rows = []',
)


@pytest.mark.slow
def test_a_users_dataset_is_picked_by_name(pytester: pytest.Pytester):
    pytester.makeini("[pytest]\n")
    pytester.makeconftest(textwrap.dedent(DATASET_CONFTEST))
    pytester.makepyfile(test_mine=textwrap.dedent(DATASET_USER))
    options = ("-p", "no:randomly", "--gen-device=cpu", "--gen-cache-dir=cache")
    result = pytester.runpytest_subprocess(*options, "--gen-dataset=blobs", "--gen-report=none")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert "MNIST" not in result.stdout.str() and "mnist" not in result.stdout.str()
    wrong = pytester.runpytest_subprocess(*options, "--gen-dataset=nope", "--gen-report=none")
    assert wrong.ret != pytest.ExitCode.OK
    wrong.stdout.fnmatch_lines(["*no dataset named 'nope'; registered: mnist, blobs*"])


@pytest.mark.slow
@pytest.mark.skipif(
    not plainly_without_nvidia(), reason="where a GPU may be, torch is asked whether it is"
)
def test_a_project_that_does_not_use_the_plugin_starts_without_torch(pytester: pytest.Pytester):
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_theirs="import sys\n\ndef test_x():\n    assert 'torch' not in sys.modules\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:benchmark")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["generalization: profile=ci*"])  # the plugin was loaded
    assert not (pytester.path / "reports").exists()  # and wrote nothing


def test_the_cpu_engine_chosen_without_torch_is_the_engines_default():
    from suite.plugin.options import _engine
    from suite.train.training import default_engine

    assert _engine("auto", "cpu") == default_engine("cpu") == "eager"


@pytest.mark.slow
@pytest.mark.skipif(not ray_installed(), reason="Ray is not installed (extra 'ray')")
def test_a_users_experiment_trains_on_a_ray_worker(pytester: pytest.Pytester):
    # the worker has no record of "arms": it runs test_mine.py (the job's sources) first
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_mine=textwrap.dedent(USER_FILE))
    result = pytester.runpytest_subprocess(
        "-p",
        "no:randomly",
        "--gen-device=cpu",
        "--gen-cache-dir=cache",
        "--gen-report=report/index.html",
        "--gen-executor=ray",
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["*arms: submitted to Ray*", "*treatment-lowers-gap*SUPPORTED*"])
