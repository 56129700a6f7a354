"""The results directory: the files a report is rendered from, and reading them back.

Layout (all beside the HTML file)::

    claims.json                 one object per claim, in recorded order
    <experiment>_<frame>.csv    every frame of every experiment (every number a figure shows)
    run.json                    meta, and per experiment its config, timings and CSV file names
    compare.json                the comparison with a baseline run, when one was given

JSON is strict (no NaN): non-finite numbers inside details, config and meta are written as the
strings "nan", "inf" and "-inf"; a claim's statistic and p are written as null.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from suite.report.model import ReportData, normalize_meta
from suite.stats.jsonable import jsonable, number_or_none
from suite.stats.verdicts import ClaimResult
from suite.train.frames import ExperimentResult

CLAIMS_FILE = "claims.json"
RUN_FILE = "run.json"
STABILITY_FILE = "stability.json"  # shown when present (``python -m suite stability`` writes one)
COMPARE_FILE = "compare.json"  # a comparison with a baseline run (``suite.report.compare``)
FORMAT_VERSION = 1


def csv_name(experiment: str, frame: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{experiment}_{frame}").strip("-.") + ".csv"


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def write_results(data: ReportData, results_dir: Path) -> None:
    """Writes claims.json, one CSV per frame and run.json into ``results_dir``."""
    results_dir.mkdir(parents=True, exist_ok=True)
    _dump(results_dir / CLAIMS_FILE, [c.to_json() for c in data.claims])
    experiments = []
    used: set[str] = set()
    for result in data.experiments:
        files = {}
        for frame, df in result.frames.items():
            name = csv_name(result.name, frame)
            while name in used:  # two experiments of one name: keep both
                name = name[: -len(".csv")] + "_.csv"
            used.add(name)
            df.to_csv(results_dir / name, index=False)
            files[frame] = name
        experiments.append(
            {
                "name": result.name,
                "profile": result.profile,
                "device": result.device,
                "config": jsonable(result.config),
                "seconds": number_or_none(result.seconds),
                "steps": int(result.steps),
                "samples": int(result.samples),
                "extra": jsonable(result.extra),
                "frames": files,
            }
        )
    run = {
        "format": FORMAT_VERSION,
        "meta": jsonable(normalize_meta(data.meta)),
        "claims_file": CLAIMS_FILE,
        "experiments": experiments,
    }
    _dump(results_dir / RUN_FILE, run)
    if data.comparison is not None:
        _dump(results_dir / COMPARE_FILE, jsonable(data.comparison))
    else:  # a comparison left by an earlier run would be shown as this run's
        (results_dir / COMPARE_FILE).unlink(missing_ok=True)


def read_stability(path: Path) -> dict[str, Any]:
    """A stability summary (stability.json); a file that is not one is an error naming it."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
        raise ValueError(f"{path} is not a stability summary (no 'claims' list)")
    return data


def read_results(results_dir: Path, stability: Path | None = None) -> ReportData:
    """The :class:`ReportData` that :func:`write_results` wrote; no training, no torch.

    With the stability summary ``stability``, or the directory's own stability.json if any.
    """
    run_path = results_dir / RUN_FILE
    run = json.loads(run_path.read_text(encoding="utf-8")) if run_path.exists() else {}
    claims_path = results_dir / run.get("claims_file", CLAIMS_FILE)
    claims = [ClaimResult.from_json(d) for d in json.loads(claims_path.read_text(encoding="utf-8"))]
    experiments = []
    for e in run.get("experiments", []):
        frames = {
            frame: pd.read_csv(results_dir / name) for frame, name in e.get("frames", {}).items()
        }
        seconds = e.get("seconds")
        experiments.append(
            ExperimentResult(
                name=e["name"],
                profile=e.get("profile", ""),
                device=e.get("device", ""),
                config=e.get("config") or {},
                frames=frames,
                seconds=math.nan if seconds is None else float(seconds),
                steps=int(e.get("steps") or 0),
                samples=int(e.get("samples") or 0),
                extra=e.get("extra") or {},
            )
        )
    if stability is None and (results_dir / STABILITY_FILE).is_file():
        stability = results_dir / STABILITY_FILE
    compare_path = results_dir / COMPARE_FILE
    return ReportData(
        claims=claims,
        experiments=experiments,
        meta=run.get("meta") or {},
        stability=read_stability(stability) if stability is not None else None,
        comparison=json.loads(compare_path.read_text(encoding="utf-8"))
        if compare_path.is_file()
        else None,
    )
