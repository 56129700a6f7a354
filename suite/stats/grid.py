"""The measures experiment's grid, read back from its tidy frame, and its measures x axes table.

Kept free of torch so that the report (which draws the table from the CSV) stays light.
"""

from __future__ import annotations

import pandas as pd

from suite.stats import rules
from suite.stats.verdicts import format_p

#: The hyperparameter axes of the measures grid, as the frame's columns name them.
AXES = ("batch_size", "lr", "corruption")
#: The measures every run of the grid gets, as the frame's columns name them.
MEASURES = ("sensitivity", "sharpness")
#: How the table and the figure name the axes.
AXIS_LABELS = {"batch_size": "batch size", "lr": "learning rate", "corruption": "label corruption"}


def base_point(runs: pd.DataFrame, axes: tuple[str, ...] = AXES) -> dict[str, float]:
    """The base of a one-at-a-time grid: on every axis the value most runs share."""
    return {a: runs[a].mode().iloc[0] for a in axes}


def axis_runs(runs: pd.DataFrame, axis: str, axes: tuple[str, ...] = AXES) -> pd.DataFrame:
    """The runs in which only ``axis`` varies: every other axis at the base point."""
    base = base_point(runs, axes)
    keep = pd.Series(True, index=runs.index)
    for other in axes:
        if other != axis:
            keep &= runs[other] == base[other]
    return runs[keep]


def measures_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per measure: the within-seed Kendall tau with the gap (and its one-sided p) per
    axis and the granulated tau (mean over axes): the numbers the claims decide on
    (``rules.within_each_axis``)."""
    from suite.stats.catalog import CLAIMS  # here: the catalog imports this module

    alpha = CLAIMS["sensitivity-granulated"].alpha
    rows = []
    for measure in MEASURES:
        if measure not in runs.columns:
            continue
        row = {"measure": measure}
        try:
            d = rules.within_each_axis(runs, measure=measure, target="gap", axes=AXES, alpha=alpha)
        except ValueError as exc:
            row["granulated"] = f"undefined: {exc}"
            rows.append(row)
            continue
        for axis in AXES:
            a = d.details["axes"][axis]
            row[AXIS_LABELS[axis]] = _cell(a["tau"], a["p_positive"], a["runs"])
        row["granulated (mean over axes)"] = f"\u03c4 = {d.statistic:+.3f}"
        row["verdict"] = d.verdict.value
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(tau: float, p: float, n: int | None = None) -> str:
    runs = "" if n is None else f", {n} runs"
    return f"\u03c4 = {tau:+.3f} (p = {format_p(p)}{runs})"
