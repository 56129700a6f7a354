"""Verdict stability: the claims run once per disjoint seed set, and how often each verdict repeats.

``python -m suite stability --profile ci --sets 20`` runs ``pytest suite/ -m generalization
--gen-seed-base b`` for each base b of the sets, one subprocess each (all sharing the run cache,
so a killed measurement resumes where it stopped), and then counts, per claim, each verdict it
got. A set whose results directory already holds claims.json of the same profile and base is
not run again. The aggregation works on plain claims.json records, so it is tested without
running pytest.

Layout of the output directory::

    base-<b>/          one set: its report (index.html, claims.json, CSVs), pytest.log, set.json
    stability.json     per claim: verdict counts, agreement, flips; per set: base, pytest exit code
    stability.csv      the per-claim part as a table
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from suite.stats.prediction import statistic_spread

STABILITY_JSON = "stability.json"
STABILITY_CSV = "stability.csv"
SET_FILE = "set.json"  # written beside a set's report once its pytest run has ended
CLAIMS_FILE = "claims.json"
MISSING = "missing"  # the verdict of a claim a set did not record (its run crashed)
TARGET = 0.95  # DESIGN.md: the same verdict in >= 95% of disjoint seed sets
PROJECT_ROOT = Path(__file__).resolve().parent.parent

Command = Callable[[str, int, Path], list[str]]  # (profile, base, report html) -> argv


@dataclass(frozen=True)
class SetResult:
    """One seed set's run: its base, pytest's exit code (None: unknown) and each claim's verdict."""

    base: int
    exit_code: int | None
    seconds: float
    verdicts: dict[str, str] = field(default_factory=dict)
    reused: bool = False  # found finished on disk, not run now
    seeds: dict[str, int] = field(default_factory=dict)  # claim -> the seeds its verdict used
    statistics: dict[str, float] = field(default_factory=dict)  # claim -> its statistic

    @classmethod
    def from_claims(
        cls, base: int, exit_code: int | None, seconds: float, claims: Iterable[dict[str, Any]]
    ) -> SetResult:
        """From the records of a claims.json: each record's ``id``, ``verdict`` (the rule's
        outcome: no record sets one) and ``n_seeds``."""
        claims = list(claims)
        return cls(
            base,
            exit_code,
            seconds,
            {str(r["id"]): str(r["verdict"]) for r in claims},
            seeds={str(r["id"]): int(r.get("n_seeds") or 0) for r in claims},
            statistics={
                str(r["id"]): float(r["statistic"])
                for r in claims
                if r.get("statistic") is not None and math.isfinite(float(r["statistic"]))
            },
        )


def is_supported(verdict: str) -> bool:
    return verdict == "supported"


def is_refuted(verdict: str) -> bool:
    """Any refutation: "refuted", and "expected refutation" where a verdict still says so."""
    return "refut" in verdict


def aggregate(sets: Sequence[SetResult], profile: str) -> dict[str, Any]:
    """The stability summary (what stability.json holds) of finished sets, any verdict strings.

    Per claim: the count of each verdict over the sets (a set that did not record the claim
    counts as "missing"), the agreement (share of the most common verdict), the most common
    verdict, and ``flips``: supported in one set and refuted in another.
    """
    ordered = sorted(sets, key=lambda s: s.base)
    n = len(ordered)
    ids = sorted({claim for s in ordered for claim in s.verdicts})
    claims = []
    for claim in ids:
        got = [s.verdicts.get(claim, MISSING) for s in ordered]
        counts = Counter(got)
        majority, top = max(counts.items(), key=lambda kv: (kv[1], -got.index(kv[0])))
        claims.append(
            {
                "id": claim,
                "counts": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
                "agreement": top / n,
                "majority": majority,
                "flips": any(map(is_supported, got)) and any(map(is_refuted, got)),
                "decided": sum(is_supported(v) or is_refuted(v) for v in got) / n,
                "verdicts": got,
                "seeds": [s.seeds.get(claim, 0) for s in ordered],
                **statistic_spread([s.statistics[claim] for s in ordered if claim in s.statistics]),
            }
        )
    passed = sum(s.exit_code == 0 for s in ordered)
    walls = sorted(s.seconds for s in ordered if s.seconds > 0)
    return {
        "profile": profile,
        "n_sets": n,
        "bases": [s.base for s in ordered],
        "passed_sets": passed,
        "target_agreement": TARGET,
        "median_seconds": _median(walls),
        "max_seconds": walls[-1] if walls else None,
        "sets": [
            {
                "base": s.base,
                "exit_code": s.exit_code,
                "seconds": round(s.seconds, 2),
                "verdicts": dict(Counter(s.verdicts.values())),
                "seeds": s.seeds,
            }
            for s in ordered
        ],
        "claims": claims,
        "summary": summary_line(profile, passed, n, claims),
    }


def _median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    v, k = sorted(values), len(values) // 2
    return v[k] if len(v) % 2 else (v[k - 1] + v[k]) / 2


def summary_line(profile: str, passed: int, n: int, claims: Sequence[dict[str, Any]]) -> str:
    stable = sum(c["agreement"] >= TARGET for c in claims)
    decided = sum(c.get("decided", 0) >= TARGET for c in claims)
    flips = [c["id"] for c in claims if c["flips"]]
    return (
        f"{passed} of {n} sets exited 0 at profile {profile}; {stable} of {len(claims)} claims "
        f"give the same rule outcome in >= {TARGET:.0%} of the sets, {decided} are decided "
        f"(supported or refuted) in >= {TARGET:.0%}; "
        + (f"flips (supported and refuted): {', '.join(flips)}" if flips else "no flips")
    )


def verdict_counts(counts: dict[str, int]) -> str:
    """``{"refuted": 1, "supported": 19}`` as ``19 supported, 1 refuted`` (most common first)."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{count} {verdict}" for verdict, count in ordered)


def csv_text(summary: dict[str, Any]) -> str:
    """One row per claim: counts of every verdict seen (one column each), agreement, flips, and
    the verdict of each set (columns ``base_<b>``)."""
    verdicts = sorted({v for c in summary["claims"] for v in c["counts"]})
    bases = summary["bases"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["claim", "n_sets", "agreement", "majority", "flips", *verdicts]
        + [f"base_{b}" for b in bases]
    )
    for c in summary["claims"]:
        writer.writerow(
            [c["id"], summary["n_sets"], f"{c['agreement']:.4g}", c["majority"], c["flips"]]
            + [c["counts"].get(v, 0) for v in verdicts]
            + c["verdicts"]
        )
    return out.getvalue()


def seeds_text(seeds: Sequence[int]) -> str:
    """The seeds a claim used over the sets: ``6`` when always the same, else ``3-6 (median 3)``."""
    used = [n for n in seeds if n]
    if not used:
        return "-"
    lo, hi = min(used), max(used)
    return str(lo) if lo == hi else f"{lo}-{hi} (median {_median(used):g})"


def spread_text(claim: dict[str, Any]) -> str:
    """``-0.56 .. -0.26 (-0.7, -0.1)``: the statistic's range over the sets, and the prediction
    interval of one more set."""
    if "statistic_min" not in claim:
        return "-"
    text = f"{claim['statistic_min']:.3g} .. {claim['statistic_max']:.3g}"
    if "prediction" in claim:
        lo, hi = claim["prediction"]
        text += f" ({lo:.3g}, {hi:.3g})"
    return text


def table_lines(summary: dict[str, Any]) -> list[str]:
    """The terminal table: claim, agreement, flips, seeds used, rule-outcome counts; then each
    set's exit code and wall time."""
    rows = [
        (
            c["id"],
            f"{c['agreement']:.2f}",
            "yes" if c["flips"] else "no",
            seeds_text(c.get("seeds", [])),
            spread_text(c),
            verdict_counts(c["counts"]),
        )
        for c in summary["claims"]
    ]
    header = ("claim", "agreement", "flips", "seeds", "statistic (99% prediction)")
    header += ("rule outcomes",)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
    exits = ", ".join(
        f"{s['base']}: {_exit(s['exit_code'])} ({s['seconds']:.0f} s)" for s in summary["sets"]
    )
    walls = ""
    if summary.get("median_seconds") is not None:
        walls = (
            f"wall time per set: median {summary['median_seconds']:.0f} s, "
            f"max {summary['max_seconds']:.0f} s"
        )
    return [
        fmt.format(*header),
        *(fmt.format(*r) for r in rows),
        f"pytest exit code (wall time) by base: {exits}",
        *([walls] if walls else []),
        summary["summary"],
    ]


def _exit(code: int | None) -> str:
    return "?" if code is None else str(code)


def write_summary(summary: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = out / STABILITY_JSON, out / STABILITY_CSV
    json_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    csv_path.write_text(csv_text(summary), encoding="utf-8")
    return json_path, csv_path


# --- running the sets -------------------------------------------------------------------------


def set_dir(out: Path, base: int) -> Path:
    return out / f"base-{base}"


def pytest_command(profile: str, base: int, report: Path, extra: Sequence[str] = ()) -> list[str]:
    """The claims of ``profile`` on seed set ``base``, as a user runs them (same Python)."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "suite/",
        "-m",
        "generalization",
        "--gen-profile",
        profile,
        "--gen-seed-base",
        str(base),
        "--gen-report",
        str(report),
        "-p",
        "no:cacheprovider",
        *extra,
    ]


def executor_args(executor: str, ray_address: str = "") -> list[str]:
    """The pytest options that send a set's experiments to ``executor`` ("local": none)."""
    if executor == "local":
        return []
    return ["--gen-executor", executor] + (
        ["--gen-ray-address", ray_address] if ray_address else []
    )


def finished_set(out: Path, base: int, profile: str) -> SetResult | None:
    """The set's result if its claims.json holds this profile's claims for this base, else None."""
    directory = set_dir(out, base)
    try:
        claims = json.loads((directory / CLAIMS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not claims or any(
        r.get("profile") != profile or r.get("seed_base", base) != base for r in claims
    ):
        return None
    try:
        done = json.loads((directory / SET_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        done = {}
    exit_code = done.get("exit_code") if done.get("profile") == profile else None
    seconds = float(done.get("seconds") or 0.0)
    return replace(SetResult.from_claims(base, exit_code, seconds, claims), reused=True)


def run_set(
    out: Path, base: int, profile: str, command: Command, threads: int, cwd: Path = PROJECT_ROOT
) -> SetResult:
    """Run one set's claims in a subprocess (output in its pytest.log) and read its verdicts."""
    directory = set_dir(out, base)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in (CLAIMS_FILE, SET_FILE):  # a failed run must not leave an older set's verdicts
        (directory / stale).unlink(missing_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    started = time.perf_counter()
    with open(directory / "pytest.log", "w", encoding="utf-8") as log:
        code = subprocess.call(
            command(profile, base, directory / "index.html"),
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    seconds = time.perf_counter() - started
    record = {"base": base, "profile": profile, "exit_code": code, "seconds": round(seconds, 2)}
    (directory / SET_FILE).write_text(json.dumps(record) + "\n", encoding="utf-8")
    try:
        claims = json.loads((directory / CLAIMS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        claims = []  # the run recorded no claim: every claim counts as missing in this set
    return SetResult.from_claims(base, code, seconds, claims)


def run_stability(
    profile: str,
    sets: int,
    out: Path,
    *,
    first_base: int = 0,
    workers: int = 1,
    command: Command | None = None,
    progress: Callable[[str], None] = print,
    cwd: Path = PROJECT_ROOT,
) -> dict[str, Any]:
    """Run (or reuse) the sets ``first_base .. first_base + sets - 1``; write and return the
    summary. ``workers`` sets run at once, each with an equal share of the CPU cores."""
    if sets < 1 or first_base < 0 or workers < 1:
        raise ValueError(
            f"need sets >= 1, first base >= 0, workers >= 1; got {sets}, {first_base}, {workers}"
        )
    command = command or pytest_command
    threads = max(1, _cores() // workers)
    bases = list(range(first_base, first_base + sets))
    results: list[SetResult] = []
    todo = []
    for base in bases:
        done = finished_set(out, base, profile)
        if done is None:
            todo.append(base)
        else:
            results.append(done)
            progress(_line(done, len(results), sets, "already done"))
    if todo:
        progress(
            f"running {len(todo)} set(s) of profile {profile}, {workers} at a time, "
            f"{threads} thread(s) each; output in {out}"
        )
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_set, out, b, profile, command, threads, cwd) for b in todo]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            progress(_line(result, len(results), sets))
    summary = aggregate(results, profile)
    write_summary(summary, out)
    return summary


def _cores() -> int:
    """The cores this process may use (a container's share, where the OS says)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _line(result: SetResult, done: int, total: int, note: str = "") -> str:
    counts = verdict_counts(dict(Counter(result.verdicts.values()))) or "no claims recorded"
    when = note or f"{result.seconds:.0f} s"
    return (
        f"set {done}/{total}: base {result.base}, exit {_exit(result.exit_code)}, {when}: {counts}"
    )
