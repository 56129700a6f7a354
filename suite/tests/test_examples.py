"""The worked examples (``examples/``) run against the package as a user gets it: installed
with ``pip install .`` (not editable) into a fresh venv, from a folder outside the repository,
with no conftest: the plugin comes from the entry point. Their verdicts must reach that run's
claims.json and report.

Minutes, not seconds (a venv, torch from the local wheels, three small experiments): slow.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
#: Every claim the three examples declare.
CLAIMS = {
    "path_norm-granulated",
    "dropout-random-labels-fit",
    "dropout-random-labels-chance",
    "dropout-width-monotone",
    "dropout-lowers-gap",
}
VERDICTS = {"supported", "refuted", "inconclusive"}


def _run(*command: str | Path, cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    return subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
@pytest.mark.skipif(not (REPO / "pyproject.toml").is_file(), reason="needs the source tree")
def test_the_examples_run_from_an_installed_package_outside_the_repository(tmp_path):
    env_dir, work = tmp_path / "venv", tmp_path / "project"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    # installed from a copy of what the package is built from: the build writes nothing here
    source = tmp_path / "source"
    shutil.copytree(REPO / "suite", source / "suite", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source)
    pip = _run(python, "-m", "pip", "install", "-q", source, cwd=tmp_path, timeout=900)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    where = _run(python, "-c", "import suite; print(suite.__file__)", cwd=tmp_path, timeout=60)
    assert "site-packages" in where.stdout, where.stdout + where.stderr  # not the checkout

    work.mkdir()
    for example in EXAMPLES.glob("test_*.py"):
        shutil.copy(example, work)
    run = _run(
        python,
        "-m",
        "pytest",
        "-m",
        "generalization",
        "-p",
        "no:cacheprovider",
        "--gen-device=cpu",
        "--gen-cache-dir=cache",
        "--gen-report=report/index.html",
        cwd=work,
        timeout=1200,
    )
    output = run.stdout + run.stderr
    # 0: all passed or skipped (inconclusive); 1: a claim refuted. Anything else is an error.
    assert run.returncode in (0, 1), output
    assert "error" not in output.splitlines()[-1].lower(), output
    claims = {c["id"]: c for c in json.loads((work / "report/claims.json").read_text())}
    assert set(claims) == CLAIMS, output
    assert all(c["verdict"] in VERDICTS and "error" not in c["details"] for c in claims.values())
    html = (work / "report/index.html").read_text()
    assert all(claim in html for claim in CLAIMS)
