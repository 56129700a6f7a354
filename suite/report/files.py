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

import dataclasses
import enum
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from suite.report.model import ReportData, normalize_meta
from suite.stats.seed_values import seed_values
from suite.stats.verdicts import ClaimResult, Verdict
from suite.train.frames import ExperimentResult

CLAIMS_FILE = "claims.json"
RUN_FILE = "run.json"
STABILITY_FILE = "stability.json"  # shown when present (``python -m suite stability`` writes one)
COMPARE_FILE = "compare.json"  # a comparison with a baseline run (``suite.report.compare``)
FORMAT_VERSION = 1


def jsonable(x: Any) -> Any:
    """``x`` as plain JSON data; anything unknown becomes its ``str``."""
    if x is None or isinstance(x, (bool, str, int)):
        return x
    if isinstance(x, float):
        if math.isfinite(x):
            return x
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, enum.Enum):
        return jsonable(x.value)
    if isinstance(x, np.generic):
        return jsonable(x.item())
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, (set, frozenset)):
        return [jsonable(v) for v in sorted(x, key=str)]
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return jsonable(dataclasses.asdict(x))
    if isinstance(x, (pd.Timestamp, Path)):
        return str(x)
    return str(x)


def _number_or_none(x: Any) -> float | None:
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def claim_to_json(c: ClaimResult) -> dict[str, Any]:
    return {
        "id": c.claim,
        "statement": c.statement,
        "statistic": _number_or_none(c.statistic),
        "threshold": c.threshold,
        "p": _number_or_none(c.p_value),
        "verdict": Verdict(c.verdict).value,
        "expected_refutation": bool(c.expected),
        "reason": c.reason,
        "n_runs": int(c.n_runs),
        "n_seeds": int(c.n_seeds),
        "seed_base": int(c.seed_base),
        "profile": c.profile,
        "device": c.device,
        "seconds": _number_or_none(c.seconds),
        "experiment": c.experiment,
        "nodeid": c.nodeid,
        "interval": None if c.interval is None else [_number_or_none(v) for v in c.interval],
        "interval_level": _number_or_none(c.interval_level),
        "margin": _number_or_none(c.margin),
        "seeds_needed": c.seeds_needed,
        "premise_unmet": c.premise_unmet,
        "looks": jsonable(c.looks),
        "details": jsonable(c.details),
        "seed_values": jsonable(c.seed_values),
        "seed_scale": c.seed_scale,
    }


def claim_from_json(d: dict[str, Any]) -> ClaimResult:
    """Reads :func:`claim_to_json` objects (and :meth:`ClaimResult.to_dict` ones)."""
    statistic = d.get("statistic")
    p = d.get("p", d.get("p_value"))
    seconds = d.get("seconds")
    verdict_text = d.get("verdict", Verdict.INCONCLUSIVE.value)
    expected = verdict_text == "expected refutation"  # claims.json written before issue 10
    verdict = Verdict.REFUTED if expected else Verdict(verdict_text)
    return ClaimResult(
        claim=str(d.get("id", d.get("claim", ""))),
        statement=str(d.get("statement", "")),
        statistic=math.nan if statistic is None else float(statistic),
        threshold=str(d.get("threshold", "")),
        p_value=None if p is None else float(p),
        verdict=verdict,
        expected=bool(d.get("expected_refutation", d.get("expected", expected))),
        reason=str(d.get("reason", "")),
        n_runs=int(d.get("n_runs", 0)),
        n_seeds=int(d.get("n_seeds", 0)),
        seed_base=int(d.get("seed_base", 0)),
        profile=str(d.get("profile", "")),
        device=str(d.get("device", "")),
        seconds=math.nan if seconds is None else float(seconds),
        experiment=str(d.get("experiment", "")),
        nodeid=str(d.get("nodeid", "")),
        details=d.get("details") or {},
        interval=_interval(d.get("interval")),
        interval_level=_number_or_none(d.get("interval_level")),
        margin=_number_or_none(d.get("margin")),
        seeds_needed=None if d.get("seeds_needed") is None else int(d["seeds_needed"]),
        premise_unmet=d.get("premise_unmet"),
        looks=d.get("looks") or {},
        **_seed_values(d),
    )


def _seed_values(d: dict[str, Any]) -> dict[str, Any]:
    """The claim's per-seed values; read from its details where a file predates them."""
    values, scale = d.get("seed_values"), d.get("seed_scale")
    if values is None:
        details = d.get("details") or {}
        found = seed_values(str(details.get("rule", "")), details)
        if found is not None:
            values, scale = list(found.values), found.scale
    if values is None:
        return {"seed_values": None, "seed_scale": None}
    return {"seed_values": [float(v) for v in values], "seed_scale": scale}


def _interval(v: Any) -> list[float] | None:
    if not v or len(v) != 2 or any(_number_or_none(x) is None for x in v):
        return None
    return [float(v[0]), float(v[1])]


def csv_name(experiment: str, frame: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{experiment}_{frame}").strip("-.") + ".csv"


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def write_results(data: ReportData, results_dir: Path) -> None:
    """Writes claims.json, one CSV per frame and run.json into ``results_dir``."""
    results_dir.mkdir(parents=True, exist_ok=True)
    _dump(results_dir / CLAIMS_FILE, [claim_to_json(c) for c in data.claims])
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
                "seconds": _number_or_none(result.seconds),
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
    claims = [claim_from_json(d) for d in json.loads(claims_path.read_text(encoding="utf-8"))]
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
