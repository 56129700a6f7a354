"""The measures experiment's grid, read back from its tidy frame: its axes and base point.

Kept free of torch so that the report (which draws the grid from the CSV) stays light.
"""

from __future__ import annotations

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

#: The hyperparameter axes of the measures grid, as the frame's columns name them.
AXES = ("batch_size", "lr", "corruption")
#: The built-in measures, as the frame's columns name them (``suite.measures.registry`` registers
#: them, and any other; a frame's measures are :func:`measures_in` it).
MEASURES = ("sensitivity", "sharpness")
#: The columns of a generalization frame that are not measures: a run's keys, its grid point,
#: how it stopped, its losses and accuracies and its two gaps. No measure may take these names.
NOT_MEASURES = frozenset(
    {
        "seed",
        "member",
        *AXES,
        "epochs_trained",
        "reached_stop",
        "train_loss",
        "train_acc",
        "test_loss",
        "test_acc",
        "gap",
        "acc_gap",
    }
)
#: How the table and the figure name the axes.
AXIS_LABELS = {"batch_size": "batch size", "lr": "learning rate", "corruption": "label corruption"}


def measures_in(frame: pd.DataFrame) -> tuple[str, ...]:
    """The measures a generalization frame holds, in its column order: its numeric columns that
    are not :data:`NOT_MEASURES`. Read from the frame, so the report (which reads CSVs, without
    torch or the registry) shows whatever measures the run computed."""
    return tuple(
        str(c)
        for c in frame.columns
        if c not in NOT_MEASURES and is_numeric_dtype(frame[c]) and not is_bool_dtype(frame[c])
    )


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
