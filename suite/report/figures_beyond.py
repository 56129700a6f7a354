"""The figures of the claims beyond the homework: label corruption (Zhang et al. 2017) and the
measures grid (Jiang et al. 2020), in the look of :mod:`suite.report.plotting`."""

from __future__ import annotations

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from suite.report.plotting import (
    BASE_DPI,
    COLORS,
    RC,
    finish,
    mean_line,
    measure_colors,
    new_figure,
)
from suite.stats.grid import AXES, AXIS_LABELS, axis_runs, measures_in


def label_corruption_figure(final: pd.DataFrame) -> Figure:
    """Zhang et al.: accuracy (left) and epochs to 100% train accuracy (right) against the
    fraction of wrong training labels."""
    with sns.axes_style("whitegrid"), sns.plotting_context(rc=RC):
        fig, (ax_acc, ax_fit) = new_figure(1, 2, 10.0, 3.8)
        for split, label in (("train", "train (its own labels)"), ("test", "test (true labels)")):
            mean_line(
                ax_acc,
                final,
                "fraction",
                f"{split}_acc",
                label=label,
                color=COLORS[split],
                marker="o",
            )
        finish(
            ax_acc,
            title="Accuracy when the run first fits",
            xlabel="fraction of wrong training labels",
            ylabel="accuracy",
        )
        mean_line(
            ax_fit,
            final,
            "fraction",
            "epochs_to_fit",
            label="epochs to fit",
            color=COLORS["fit"],
            marker="o",
        )
        never = final[~final["fitted"].astype(bool)] if "fitted" in final.columns else final[:0]
        if not never.empty:
            ax_fit.scatter(
                never["fraction"],
                never["epochs_to_fit"],
                marker="x",
                color="0.2",
                zorder=3,
                label="never fitted (drawn at budget + 1)",
            )
        finish(
            ax_fit,
            title="Epochs to 100% train accuracy",
            xlabel="fraction of wrong training labels",
            ylabel="epochs",
            legend=not never.empty,
        )
        fig.suptitle("Fitting partially corrupted labels (Zhang et al. 2017)", fontsize=11)
    return fig


def measures_figure(runs: pd.DataFrame) -> Figure:
    """Jiang et al.: the loss gap, the error gap and every measure the frame holds (rows: the
    built-in sensitivity and sharpness, and any registered one) along each hyperparameter axis
    (columns), the other axes at the base point. A measure that predicts the gap moves with it
    along every axis."""
    rows = [("gap", "loss gap (test - train)", COLORS["gap"])]
    if "acc_gap" in runs.columns:
        rows.append(("acc_gap", "error gap (test - train)", COLORS["error_gap"]))
    colors = measure_colors(measures_in(runs))
    rows += [(m, m, color) for m, color in colors.items()]
    with sns.axes_style("whitegrid"), sns.plotting_context(rc=RC):
        fig = Figure(
            figsize=(4.2 * len(AXES), 2.6 * len(rows) + 0.6), dpi=BASE_DPI, layout="constrained"
        )
        grid = fig.subplots(len(rows), len(AXES), squeeze=False, sharex="col")
        for col, axis in enumerate(AXES):
            part = axis_runs(runs, axis)
            for row, (column, ylabel, color) in enumerate(rows):
                ax = grid[row][col]
                mean_line(
                    ax,
                    part,
                    axis,
                    column,
                    label=column,
                    color=color,
                    gid=f"{axis}/{column}",
                    marker="o",
                )
                finish(
                    ax,
                    title=AXIS_LABELS[axis] if row == 0 else "",
                    xlabel=AXIS_LABELS[axis] if row == len(rows) - 1 else "",
                    ylabel=ylabel if col == 0 else "",
                    legend=False,
                )
            if axis in ("batch_size", "lr"):
                grid[0][col].set_xscale("log")  # after drawing: seaborn aggregates in axis scale
                values = sorted(part[axis].unique())
                grid[-1][col].set_xticks(values, [f"{v:g}" for v in values])
                grid[-1][col].minorticks_off()
        fig.suptitle(
            "Generalization gap and measures along each hyperparameter axis (Jiang et al. 2020)",
            fontsize=11,
        )
    return fig
