"""The four homework figures, redrawn with seaborn from the tidy frames of :mod:`suite.frames`,
and the figures of the claims beyond the homework (label corruption, measures).

Every function takes a DataFrame and returns a :class:`matplotlib.figure.Figure` built without
pyplot, so it works headless (CI), in a notebook and inside the report alike. Each line is the
mean over seeds drawn by ``seaborn.lineplot``; the band around it is one standard deviation over
seeds (``errorbar="sd"``: deterministic, unlike a bootstrap CI). Every mean line carries a ``gid``
naming the frame column it shows (``"train_loss"``, or ``"shared/test_loss"`` in the
interpolation grid), so a test can check the plotted numbers against the CSV the report writes.

:data:`FIGURES` maps an experiment name to its figure function and frame; adding an experiment's
figure to the report is one line there.
"""

from __future__ import annotations

import base64
import io
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from suite.frames import ExperimentResult
from suite.measure_table import AXES, AXIS_LABELS, MEASURES, axis_runs, measures_table

#: seaborn's errorbar argument for every band, and the words the captions use for it.
BAND = "sd"
BAND_WORDS = "band: \u00b11 standard deviation over seeds"

#: Okabe-Ito colours (colour-blind safe), one per quantity, the same in every figure.
COLORS = {
    "train": "#0072B2",
    "test": "#D55E00",
    "sensitivity": "#009E73",
    "sharpness": "#CC79A7",
    "fit": "#E69F00",
    "gap": "#D55E00",  # the loss gap (test - train loss), in the test colour
    "error_gap": "#56B4E9",  # the error gap (test - train error = train - test accuracy)
}
INIT_STYLE = {"independent": "-", "shared": "--"}
SPLITS = ("train", "test")

_BASE_DPI = 96
_RC = {
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.35,
    "grid.linewidth": 0.6,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
}


def _new_figure(nrows: int, ncols: int, width: float, height: float) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(width, height), dpi=_BASE_DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, list(axes.flat)


def _mean_line(
    ax: Axes,
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    label: str,
    color: str,
    gid: str | None = None,
    linestyle: str = "-",
    marker: str | None = None,
) -> None:
    """Mean of ``y`` over seeds at every ``x``, with the seed band; tags the line with ``gid``."""
    n_before = len(ax.lines)
    sns.lineplot(
        data=df,
        x=x,
        y=y,
        ax=ax,
        errorbar=BAND,
        label=label,
        color=color,
        linestyle=linestyle,
        marker=marker,
        markersize=4,
        linewidth=1.6,
    )
    for line in ax.lines[n_before:]:
        line.set_gid(gid or y)


def _finish(ax: Axes, *, title: str, xlabel: str, ylabel: str, legend: bool = True) -> None:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if legend:
        ax.legend(frameon=False)
    elif ax.get_legend() is not None:
        ax.get_legend().remove()


def last_epoch(df: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The last-epoch row of every ``by`` group; ``df`` unchanged when it has no epoch column."""
    if "epoch" not in df.columns:
        return df
    last = df.groupby(list(by))["epoch"].transform("max")
    return df[df["epoch"] == last].reset_index(drop=True)


def random_labels_figure(epochs: pd.DataFrame) -> Figure:
    """Homework figure 1: train and test loss against epoch when trained on random labels."""
    with sns.axes_style("whitegrid"), sns.plotting_context(rc=_RC):
        fig, (ax,) = _new_figure(1, 1, 6.4, 3.8)
        for split in SPLITS:
            _mean_line(ax, epochs, "epoch", f"{split}_loss", label=split, color=COLORS[split])
        _finish(ax, title="", xlabel="epoch", ylabel="cross-entropy loss")
        fig.suptitle(
            "Loss when training on random labels (test loss on the true labels)", fontsize=11
        )
    return fig


def width_figure(final: pd.DataFrame) -> Figure:
    """Homework figure 2: train/test loss and accuracy against parameter count (log x).

    Accepts the ``final`` frame or the full ``epochs`` frame, whose last epoch per (width, seed)
    it takes.
    """
    final = last_epoch(final, ("width", "seed"))
    with sns.axes_style("whitegrid"), sns.plotting_context(rc=_RC):
        fig, (ax_loss, ax_acc) = _new_figure(1, 2, 10.0, 3.8)
        for ax, metric, ylabel in (
            (ax_loss, "loss", "cross-entropy loss"),
            (ax_acc, "acc", "accuracy"),
        ):
            for split in SPLITS:
                _mean_line(
                    ax,
                    final,
                    "params",
                    f"{split}_{metric}",
                    label=split,
                    color=COLORS[split],
                    marker="o",
                )
            ax.set_xscale("log")
            _finish(
                ax,
                title=ylabel.capitalize(),
                xlabel="number of parameters (log scale)",
                ylabel=ylabel,
            )
        fig.suptitle("Final loss and accuracy against model size", fontsize=11)
    return fig


def interpolation_figure(curve: pd.DataFrame) -> Figure:
    """Homework figure 3: loss (log y) and accuracy along theta(a) = (1-a) theta1 + a theta2.

    A 2 x 2 grid: rows loss and accuracy, columns the initialization (independent, shared), with
    dotted lines at the endpoints a = 0 and a = 1. Rows share their y axis so the two
    initializations compare at a glance.
    """
    if "init" not in curve.columns:  # a run of one initialization only
        curve = curve.assign(init="independent")
    present = set(curve["init"])
    inits = [i for i in INIT_STYLE if i in present] + sorted(present - set(INIT_STYLE), key=str)
    with sns.axes_style("whitegrid"), sns.plotting_context(rc=_RC):
        fig = Figure(figsize=(4.6 * len(inits) + 0.6, 6.6), dpi=_BASE_DPI, layout="constrained")
        grid = fig.subplots(2, len(inits), squeeze=False, sharex=True, sharey="row")
        for col, init in enumerate(inits):
            part = curve[curve["init"] == init]
            for row, (metric, ylabel) in enumerate(
                (("loss", "cross-entropy loss"), ("acc", "accuracy"))
            ):
                ax = grid[row][col]
                for alpha in (0.0, 1.0):
                    ax.axvline(alpha, color="0.45", linestyle=":", linewidth=1.0, zorder=0)
                for split in SPLITS:
                    column = f"{split}_{metric}"
                    _mean_line(
                        ax,
                        part,
                        "alpha",
                        column,
                        label=split,
                        color=COLORS[split],
                        gid=f"{init}/{column}",
                        linestyle=INIT_STYLE.get(init, "-"),
                    )
                if metric == "loss":
                    ylabel += " (log scale)"
                title = f"{init} initialization" if row == 0 else ""
                _finish(
                    ax,
                    title=title,
                    xlabel="\u03b1" if row == 1 else "",
                    ylabel=ylabel if col == 0 else "",
                )
                ax.tick_params(labelleft=True)
        # Only now: seaborn aggregates in the axis' scale, so a log axis during drawing would
        # make the lines geometric means.
        grid[0][0].set_yscale("log")
        for ax in grid[0]:
            trans = ax.get_xaxis_transform()
            ax.text(
                0.0,
                1.0,
                " \u03b8\u2081",
                transform=trans,
                va="top",
                ha="left",
                fontsize=9,
                color="0.3",
            )
            ax.text(
                1.0,
                1.0,
                " \u03b8\u2082",
                transform=trans,
                va="top",
                ha="left",
                fontsize=9,
                color="0.3",
            )
        fig.suptitle(
            "Linear interpolation \u03b8(\u03b1) = (1-\u03b1)\u00b7\u03b8\u2081 + "
            "\u03b1\u00b7\u03b8\u2082 between a small-batch and a large-batch solution",
            fontsize=11,
        )
    return fig


def batch_figure(final: pd.DataFrame) -> Figure:
    """Homework figure 4: loss, accuracy and sensitivity against batch size (three panels), then
    the generalization gap, loss and error gap side by side, and sharpness (Keskar et al.), each
    in a panel of its own when the frame has its columns."""
    sharp = "sharpness" in final.columns
    gaps = [c for c in ("gap", "acc_gap") if c in final.columns]
    panels = 3 + bool(gaps) + sharp
    with sns.axes_style("whitegrid"), sns.plotting_context(rc=_RC):
        fig, axes = _new_figure(1, panels, 4.3 * panels, 3.8)
        ax_loss, ax_acc, ax_sens = axes[:3]
        for ax, metric, ylabel in (
            (ax_loss, "loss", "cross-entropy loss"),
            (ax_acc, "acc", "accuracy"),
        ):
            for split in SPLITS:
                _mean_line(
                    ax,
                    final,
                    "batch_size",
                    f"{split}_{metric}",
                    label=split,
                    color=COLORS[split],
                    marker="o",
                )
            _finish(ax, title=ylabel.capitalize(), xlabel="batch size", ylabel=ylabel)
        _mean_line(
            ax_sens,
            final,
            "batch_size",
            "sensitivity",
            label="sensitivity",
            color=COLORS["sensitivity"],
            marker="o",
        )
        _finish(
            ax_sens,
            title="Sensitivity",
            xlabel="batch size",
            ylabel=r"mean $\Vert\partial\,\mathrm{softmax}(f(x))/\partial x\Vert_F$",
            legend=False,
        )
        shown = ["loss", "accuracy", "sensitivity"]
        if gaps:
            _gap_panel(axes[3], final, "batch_size", gaps)
            _finish(axes[3], title="Generalization gap", xlabel="batch size", ylabel="test - train")
            shown.append("generalization gap")
        if sharp:
            _mean_line(
                axes[-1],
                final,
                "batch_size",
                "sharpness",
                label="sharpness",
                color=COLORS["sharpness"],
                marker="o",
            )
            _finish(
                axes[-1],
                title="Sharpness",
                xlabel="batch size",
                ylabel="\u03b5-sharpness (% loss increase)",
                legend=False,
            )
            shown.append("sharpness")
        listed = ", ".join(shown[:-1]) + " and " + shown[-1]
        fig.suptitle(f"Final {listed} against batch size", fontsize=11)
    return fig


#: The two generalization gaps: frame column -> how a legend names it.
GAP_LABELS = {"gap": "loss gap (cross-entropy)", "acc_gap": "error gap (error rate)"}


def _gap_panel(ax: Axes, df: pd.DataFrame, x: str, columns: Sequence[str]) -> None:
    """The loss gap and the error gap (train - test accuracy) as two lines on one axis."""
    for column in columns:
        color = COLORS["gap" if column == "gap" else "error_gap"]
        _mean_line(ax, df, x, column, label=GAP_LABELS[column], color=color, marker="o")
    ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=0)


def label_corruption_figure(final: pd.DataFrame) -> Figure:
    """Zhang et al.: accuracy (left) and epochs to 100% train accuracy (right) against the
    fraction of wrong training labels."""
    with sns.axes_style("whitegrid"), sns.plotting_context(rc=_RC):
        fig, (ax_acc, ax_fit) = _new_figure(1, 2, 10.0, 3.8)
        for split, label in (("train", "train (its own labels)"), ("test", "test (true labels)")):
            _mean_line(
                ax_acc,
                final,
                "fraction",
                f"{split}_acc",
                label=label,
                color=COLORS[split],
                marker="o",
            )
        _finish(
            ax_acc,
            title="Accuracy when the run first fits",
            xlabel="fraction of wrong training labels",
            ylabel="accuracy",
        )
        _mean_line(
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
        _finish(
            ax_fit,
            title="Epochs to 100% train accuracy",
            xlabel="fraction of wrong training labels",
            ylabel="epochs",
            legend=not never.empty,
        )
        fig.suptitle("Fitting partially corrupted labels (Zhang et al. 2017)", fontsize=11)
    return fig


def measures_figure(runs: pd.DataFrame) -> Figure:
    """Jiang et al.: the loss gap, the error gap, sensitivity and sharpness (rows) along each
    hyperparameter axis (columns), the other axes at the base point. A measure that predicts the
    gap moves with it along every axis."""
    rows = [("gap", "loss gap (test - train)", COLORS["gap"])]
    if "acc_gap" in runs.columns:
        rows.append(("acc_gap", "error gap (test - train)", COLORS["error_gap"]))
    rows += [(m, m, COLORS[m]) for m in MEASURES if m in runs.columns]
    with sns.axes_style("whitegrid"), sns.plotting_context(rc=_RC):
        fig = Figure(
            figsize=(4.2 * len(AXES), 2.6 * len(rows) + 0.6), dpi=_BASE_DPI, layout="constrained"
        )
        grid = fig.subplots(len(rows), len(AXES), squeeze=False, sharex="col")
        for col, axis in enumerate(AXES):
            part = axis_runs(runs, axis)
            for row, (column, ylabel, color) in enumerate(rows):
                ax = grid[row][col]
                _mean_line(
                    ax,
                    part,
                    axis,
                    column,
                    label=column,
                    color=color,
                    gid=f"{axis}/{column}",
                    marker="o",
                )
                _finish(
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


def figure_to_png_base64(fig: Figure, dpi: int = 2 * _BASE_DPI) -> str:
    """The figure as base64 PNG text (2x the 96-dpi layout by default); the figure is closed."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    finally:
        close_figure(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def display_width(fig: Figure) -> int:
    """The CSS width in pixels at which a figure shows at its intended size."""
    return round(fig.get_figwidth() * _BASE_DPI)


def close_figure(fig: Figure) -> None:
    """Release a figure; drops it from pyplot's registry only if pyplot is in use."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
    fig.clear()


@dataclass(frozen=True)
class FigureSpec:
    """How the report draws one experiment: the function, the frame it reads, and the caption."""

    draw: Callable[[pd.DataFrame], Figure]
    frame: str
    caption: str
    #: An optional table drawn from the same frame, shown under the figure (cells as text).
    table: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    table_caption: str = ""
    #: An optional line about the whole result shown under the figure ("" for none).
    note: Callable[[ExperimentResult], str] | None = None


def stopping_note(result: ExperimentResult) -> str:
    """How many runs of the measures grid hit the epoch cap before the stopping criterion, and
    where; and how long the others took. "" when the result has no stopping columns."""
    runs = result.frames.get("runs")
    if runs is None or runs.empty or "reached_stop" not in runs.columns:
        return ""
    cap, stop = result.config.get("epochs"), result.config.get("stop_loss")
    reached = runs["reached_stop"].astype(bool)
    hits = int(result.extra.get("cap_hits", (~reached).sum()))
    line = f"{hits} of {len(runs)} runs hit the {cap}-epoch cap before train CE <= {stop:g}"
    if hits:
        where = runs[~reached].groupby(list(AXES)).size()
        line += (
            " ("
            + "; ".join(
                ", ".join(f"{AXIS_LABELS[a]} {v:g}" for a, v in zip(AXES, point, strict=True))
                + f": {n}"
                for point, n in where.items()
            )
            + ")"
        )
    if reached.any():
        took = runs.loc[reached, "epochs_trained"]
        line += (
            f"; the others met it after {took.min()}-{took.max()} epochs (median {took.median():g})"
        )
    return line + "."


#: experiment name -> figure. Captions may use {n_seeds}.
FIGURES: dict[str, FigureSpec] = {
    "random_labels": FigureSpec(
        random_labels_figure,
        "epochs",
        "Train loss (on the random labels) and test loss (on the true labels) against epoch. "
        f"Lines: mean over {{n_seeds}} seeds; {BAND_WORDS}.",
    ),
    "width_sweep": FigureSpec(
        width_figure,
        "epochs",
        "Final-epoch train and test loss (left) and accuracy (right) against the number of "
        f"parameters of the 3-hidden-layer MLP. Lines: mean over {{n_seeds}} seeds; {BAND_WORDS}.",
    ),
    "interpolation": FigureSpec(
        interpolation_figure,
        "curve",
        "Train and test loss (top, log scale) and accuracy (bottom) along the line from the "
        "small-batch solution \u03b8\u2081 (\u03b1 = 0) to the large-batch solution \u03b8\u2082 "
        "(\u03b1 = 1), for independent and shared initialization; dotted lines mark the endpoints. "
        f"Lines: mean over {{n_seeds}} seeds; {BAND_WORDS}.",
    ),
    "batch_sweep": FigureSpec(
        batch_figure,
        "final",
        "Final train and test loss, accuracy, and sensitivity (mean Frobenius norm of the Jacobian "
        "of the softmax output with respect to the input) against batch size; the generalization "
        "gap as the loss gap (test - train cross-entropy) beside the error gap (test - train "
        "error, i.e. train - test accuracy); sharpness. "
        f"Lines: mean over {{n_seeds}} seeds; {BAND_WORDS}.",
    ),
    "label_corruption": FigureSpec(
        label_corruption_figure,
        "final",
        "Left: train accuracy (on each run's own, partly wrong labels) and test accuracy (on the "
        "true labels) at the first epoch with 100% train accuracy (at the end of the budget for a "
        "run that never got there), against the fraction of wrong training labels. Right: that "
        "epoch (train accuracy checked every fit_every epochs); a run that never fitted is drawn "
        "at budget + 1 and marked. "
        f"Lines: mean over {{n_seeds}} seeds; {BAND_WORDS}.",
    ),
    "measures": FigureSpec(
        measures_figure,
        "runs",
        "Generalization gap (test loss - train loss on each run's own labels), the error gap "
        "beside it (test error - train error), sensitivity and sharpness along each axis of the "
        "one-at-a-time grid (the other two axes at the base point), each run measured when its "
        "train cross-entropy first reached the stopping criterion (at the epoch cap if never). "
        f"Lines: mean over {{n_seeds}} seeds; {BAND_WORDS}.",
        table=measures_table,
        table_caption="Kendall \u03c4 of each measure with the generalization gap within each "
        "axis (the runs of one seed where only that axis varies, stratified over seeds; p "
        "one-sided, \u03c4 > 0), the granulated \u03c4 (their mean, Jiang et al. 2020) and the "
        "verdict of the rule, which asks every axis to be positive.",
        note=stopping_note,
    ),
}
