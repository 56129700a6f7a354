"""The measures x axes table under the measures figure: the numbers the granulated claims decide
on, from the claims' own decisions (``suite.stats.catalog``), so table and verdict agree."""

from __future__ import annotations

import pandas as pd

from suite.stats.catalog import CLAIMS
from suite.stats.grid import AXES, AXIS_LABELS, MEASURES
from suite.stats.verdicts import format_p

#: The claim that decides each measure's row.
CLAIM_OF = {"sensitivity": "sensitivity-granulated", "sharpness": "sharpness-granulated"}


def measures_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per measure: the within-seed Kendall tau with the gap (and its one-sided p) per
    axis, the granulated tau (mean over axes) and the claim's verdict (with its premise)."""
    rows = []
    for measure in MEASURES:
        if measure not in runs.columns:
            continue
        row = {"measure": measure}
        try:
            d = CLAIMS[CLAIM_OF[measure]].decision({"runs": runs})
        except ValueError as exc:
            row["granulated"] = f"undefined: {exc}"
            rows.append(row)
            continue
        for axis in AXES:
            a = d.details["axes"][axis]
            row[AXIS_LABELS[axis]] = _cell(a["tau"], a["p_positive"], a["runs"])
        row["granulated (mean over axes)"] = f"\u03c4 = {d.statistic:+.3f}"
        row["verdict"] = d.verdict.value + (" (premise unmet)" if d.premise_unmet else "")
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(tau: float, p: float, n: int | None = None) -> str:
    runs = "" if n is None else f", {n} runs"
    return f"\u03c4 = {tau:+.3f} (p = {format_p(p)}{runs})"
