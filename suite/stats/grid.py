"""The measures experiment's grid, read back from its tidy frame: its axes and base point.

Kept free of torch so that the report (which draws the grid from the CSV) stays light.
"""

from __future__ import annotations

import pandas as pd

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
