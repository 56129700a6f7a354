"""Two runs of the claims side by side: which verdicts changed, and which statistics moved
more than their seeds explain (issue 27; pytest-benchmark's ``--benchmark-compare`` with a
real test in place of a percentage).

A comparison is plain data (``compare.json``), made from two lists of claim results and the
two runs' meta; the drift test itself is :mod:`suite.stats.drift`. ``python -m suite compare
OLD NEW`` and the plugin's ``--gen-compare`` both call :func:`compare_runs`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from suite.report.files import COMPARE_FILE, RUN_FILE, read_results
from suite.report.model import normalize_meta
from suite.report.text import bounds, statistic
from suite.stats.drift import ALPHA, drift_test, holm
from suite.stats.jsonable import jsonable, number_or_none
from suite.stats.verdicts import ClaimResult, format_p

FORMAT_VERSION = 1
#: What two runs must share to be compared: their claims answer the same question only then.
MUST_MATCH = ("profile", "seed_base", "device")
#: The run facts a comparison names for each side.
RUN_FACTS = ("commit", "profile", "seed_base", "device", "suite_version", "torch_version", "date")


#: Details that say where a rule measured its per-seed values. Two runs that measured them
#: elsewhere are not compared seed by seed: at ``ci`` random labels stop once every seed of the
#: run fits, so each run's rises are all taken at its own final epoch, a value its seeds share
#: (on 20 disjoint seed sets the rise moved between runs far beyond its seeds' spread).
MEASURED_AT = ("final_epoch",)


class BaselineError(ValueError):
    """A baseline that cannot be compared with (missing, unreadable, or another kind of run)."""


def run_facts(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The facts of a run that a comparison shows and checks (``RUN_FACTS``)."""
    meta = normalize_meta(dict(meta))
    return {k: meta.get(k) for k in RUN_FACTS}


def _device_kind(device: Any) -> str:
    """cpu, cuda, ...: two GPUs of one kind (cuda:0, cuda:1) are the same kind of run."""
    return str(device or "").split(":", 1)[0]


def mismatch(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    """Why runs with metas ``old`` and ``new`` must not be compared, or None.

    Another profile asks other questions; another seed base or device is another draw, whose
    verdicts may differ by chance alone (the drift test would stay valid, but a changed verdict
    would not mean the change moved it).
    """
    old, new = run_facts(old), run_facts(new)
    for key in MUST_MATCH:
        a, b = old.get(key), new.get(key)
        if key == "device":
            a, b = _device_kind(a), _device_kind(b)
        if a is None or b is None or str(a) != str(b):
            name = key.replace("_", " ")
            return f"the baseline's {name} is {a!r}, this run's is {b!r}"
    return None


def load_baseline(path: Path) -> tuple[list[ClaimResult], dict[str, Any]]:
    """The claims and meta of the results directory ``path``; :class:`BaselineError` if it
    holds none."""
    path = Path(path)
    if not (path / "claims.json").is_file():
        raise BaselineError(f"no run at {path} (no claims.json there)")
    if not (path / RUN_FILE).is_file():
        raise BaselineError(
            f"{path} holds no {RUN_FILE}: its profile, seeds and device are unknown"
        )
    try:
        data = read_results(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BaselineError(f"the baseline at {path} cannot be read: {exc}") from None
    return data.claims, data.meta


def _change(old: ClaimResult | None, new: ClaimResult | None) -> dict[str, Any]:
    """One claim's row, before the multiplicity adjustment."""
    c = new if new is not None else old
    assert c is not None
    row: dict[str, Any] = {
        "id": c.claim,
        "experiment": c.experiment,
        "old_verdict": None if old is None else old.verdict.value,
        "new_verdict": None if new is None else new.verdict.value,
        "old_statistic": None if old is None else number_or_none(old.statistic),
        "new_statistic": None if new is None else number_or_none(new.statistic),
        "old_interval": None if old is None else old.interval,
        "new_interval": None if new is None else new.interval,
        "interval_level": c.interval_level,
        "scale": None,
        "method": None,
        "old_mean": None,
        "new_mean": None,
        "n_old": None,
        "n_new": None,
        "p": None,
        "note": "",
    }
    if old is None or new is None:
        row["note"] = "only in the new run" if old is None else "not in the new run"
        return row
    if old.seed_values is None or new.seed_values is None:
        row["note"] = "no per-seed values in " + (
            "the baseline" if old.seed_values is None else "this run"
        )
        return row
    if old.seed_scale != new.seed_scale:
        row["note"] = f"seed values on other scales ({old.seed_scale} vs {new.seed_scale})"
        return row
    for key in MEASURED_AT:
        where = (old.details.get(key), new.details.get(key))
        if None not in where and where[0] != where[1]:
            row["note"] = f"measured at another {key} ({where[0]} vs {where[1]}): not comparable"
            return row
    test = drift_test(old.seed_values, new.seed_values, str(new.seed_scale))
    row.update(
        scale=new.seed_scale,
        method=test.method,
        old_mean=number_or_none(test.old_mean),
        new_mean=number_or_none(test.new_mean),
        n_old=test.n_old,
        n_new=test.n_new,
        p=number_or_none(test.p),
    )
    if row["p"] is None:
        row["note"] = "too few seeds to test"
    return row


def compare_runs(
    old: Iterable[ClaimResult],
    new: Iterable[ClaimResult],
    old_meta: Mapping[str, Any],
    new_meta: Mapping[str, Any],
    *,
    old_label: str = "old",
    new_label: str = "new",
    alpha: float = ALPHA,
) -> dict[str, Any]:
    """The comparison of two runs' claims (the ``compare.json`` object).

    Per claim: the verdicts, statistics and intervals of both runs, the two-sample test of their
    seed values (two-sided) and Holm's adjustment over every claim tested; ``drift`` where the
    adjusted p is below ``alpha``, ``moved`` where the verdict changed or the claim drifted.
    """
    before = {c.claim: c for c in old}
    after = {c.claim: c for c in new}
    ids = [*after, *(k for k in before if k not in after)]
    rows = [_change(before.get(k), after.get(k)) for k in ids]
    adjusted, drift = holm([math.nan if r["p"] is None else r["p"] for r in rows], alpha)
    tested = sum(r["p"] is not None for r in rows)
    for row, p_holm, flagged in zip(rows, adjusted, drift, strict=True):
        row["p_holm"] = number_or_none(p_holm)
        row["drift"] = flagged
        row["verdict_changed"] = (
            row["old_verdict"] is not None
            and row["new_verdict"] is not None
            and row["old_verdict"] != row["new_verdict"]
        )
        row["moved"] = row["verdict_changed"] or flagged
    return {
        "format": FORMAT_VERSION,
        "old": {"label": old_label, **jsonable(run_facts(old_meta))},
        "new": {"label": new_label, **jsonable(run_facts(new_meta))},
        "alpha": alpha,
        "test": "two-sided two-sample test per claim on its per-seed values (Welch t; on logs "
        "for error barriers; Fisher exact for 0/1 outcomes)",
        "correction": f"Holm over the {tested} claims tested (family-wise error rate {alpha:g})",
        "claims_tested": tested,
        "verdict_changes": sum(r["verdict_changed"] for r in rows),
        "drifts": sum(r["drift"] for r in rows),
        "moved": [r["id"] for r in rows if r["moved"]],
        "claims": rows,
    }


def moved_line(comparison: Mapping[str, Any]) -> str:
    """One line: how many claims moved, against what."""
    moved = comparison.get("moved") or []
    old = comparison.get("old") or {}
    what = f"{old.get('label', 'the baseline')}" + (
        f" (commit {str(old['commit'])[:12]})" if old.get("commit") else ""
    )
    return (
        f"compared with {what}: {len(moved)} of {len(comparison.get('claims') or [])} claims "
        f"moved ({comparison.get('verdict_changes', 0)} verdict changes, "
        f"{comparison.get('drifts', 0)} drifts beyond the seeds; {comparison.get('correction')})"
    )


def table_lines(comparison: Mapping[str, Any]) -> list[str]:
    """The terminal's comparison table (claim, verdicts, statistics, intervals, p, flags),
    then the one line of :func:`moved_line` and each untested claim's note."""
    head = ("claim", "verdict old -> new", "statistic old -> new", "interval old", "interval new")
    head += ("test", "p", "p (Holm)", "moved")
    rows = []
    for r in comparison.get("claims") or []:
        flags = [f for f, on in (("verdict", r["verdict_changed"]), ("drift", r["drift"])) if on]
        rows.append(
            (
                r["id"],
                f"{(r['old_verdict'] or '-').upper()} -> {(r['new_verdict'] or '-').upper()}",
                f"{statistic(r['old_statistic'])} -> {statistic(r['new_statistic'])}",
                bounds(r["old_interval"]),
                bounds(r["new_interval"]),
                r["method"] or "-",
                format_p(r["p"]),
                format_p(r["p_holm"]),
                ", ".join(flags) or "no",
            )
        )
    widths = [max(len(x[i]) for x in [head, *rows]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    notes = [
        f"  {r['id']}: not tested: {r['note']}" for r in comparison.get("claims") or [] if r["note"]
    ]
    return [
        fmt.format(*head),
        fmt.format(*("-" * w for w in widths)),
        *(fmt.format(*row) for row in rows),
        *notes,
        moved_line(comparison),
    ]


def write_comparison(comparison: Mapping[str, Any], directory: Path) -> Path:
    """Writes ``compare.json`` into ``directory``; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / COMPARE_FILE
    path.write_text(json.dumps(jsonable(comparison), indent=2, allow_nan=False) + "\n", "utf-8")
    return path


def read_comparison(path: Path) -> dict[str, Any]:
    """A ``compare.json``; a file that is not one is an error naming it."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
        raise ValueError(f"{path} is not a comparison (no 'claims' list)")
    return data
