"""The four homework figures, redrawn with seaborn from the tidy frames of
:mod:`suite.train.frames`, and the figures of the claims beyond the homework (label corruption,
measures).

Every function takes a DataFrame and returns a :class:`matplotlib.figure.Figure` built without
pyplot, so it works headless (CI), in a notebook and inside the report alike. Each line is the
mean over seeds drawn by ``seaborn.lineplot``; the band around it is one standard deviation over
seeds (``errorbar="sd"``: deterministic, unlike a bootstrap CI). Every mean line carries a ``gid``
naming the frame column it shows (``"train_loss"``, or ``"shared/test_loss"`` in the
interpolation grid), so a test can check the plotted numbers against the CSV the report writes.

:data:`FIGURES` holds the homework's figures, each a :class:`FigureSpec` (function, frame,
caption); an experiment's record (``suite.records``) names its figure, and
:func:`figure_for` finds it there, so a user's experiment brings its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from suite.records import experiment_record, resolve
from suite.report.figures_beyond import label_corruption_figure, measures_figure
from suite.report.measures_table import measures_table
from suite.report.plotting import (
    BAND_WORDS,
    BASE_DPI,
    COLORS,
    INIT_STYLE,
    RC,
    SPLITS,
    finish,
    gap_panel,
    last_epoch,
    mean_line,
    measure_colors,
    new_figure,
)
from suite.stats.grid import AXES, AXIS_LABELS, measures_in
from suite.train.frames import ExperimentResult


def random_labels_figure(epochs: pd.DataFrame) -> Figure:
    """Homework figure 1: train and test loss against epoch when trained on random labels."""
    with sns.axes_style("whitegrid"), sns.plotting_context(rc=RC):
        fig, (ax,) = new_figure(1, 1, 6.4, 3.8)
        for split in SPLITS:
            mean_line(ax, epochs, "epoch", f"{split}_loss", label=split, color=COLORS[split])
        finish(ax, title="", xlabel="epoch", ylabel="cross-entropy loss")
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
    with sns.axes_style("whitegrid"), sns.plotting_context(rc=RC):
        fig, (ax_loss, ax_acc) = new_figure(1, 2, 10.0, 3.8)
        for ax, metric, ylabel in (
            (ax_loss, "loss", "cross-entropy loss"),
            (ax_acc, "acc", "accuracy"),
        ):
            for split in SPLITS:
                mean_line(
                    ax,
                    final,
                    "params",
                    f"{split}_{metric}",
                    label=split,
                    color=COLORS[split],
                    marker="o",
                )
            ax.set_xscale("log")
            finish(
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
    with sns.axes_style("whitegrid"), sns.plotting_context(rc=RC):
        fig = Figure(figsize=(4.6 * len(inits) + 0.6, 6.6), dpi=BASE_DPI, layout="constrained")
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
                    mean_line(
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
                finish(
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


#: How the batch figure titles and labels the built-in measures' panels (another measure: its
#: name for both).
MEASURE_AXES = {
    "sensitivity": (
        "Sensitivity",
        r"mean $\Vert\partial\,\mathrm{softmax}(f(x))/\partial x\Vert_F$",
    ),
    "sharpness": ("Sharpness", "\u03b5-sharpness (% loss increase)"),
}


def batch_figure(final: pd.DataFrame) -> Figure:
    """Homework figure 4: loss, accuracy and sensitivity against batch size (three panels), then
    the generalization gap, loss and error gap side by side, and sharpness (Keskar et al.) and
    every other measure the frame holds (``suite.stats.grid.measures_in``), each in a panel of
    its own when the frame has its columns."""
    measures = measures_in(final)
    lead = [m for m in measures if m == "sensitivity"]  # the homework's third panel
    rest = [m for m in measures if m != "sensitivity"]
    gaps = [c for c in ("gap", "acc_gap") if c in final.columns]
    panels = 2 + len(lead) + bool(gaps) + len(rest)
    colors = measure_colors(measures)
    with sns.axes_style("whitegrid"), sns.plotting_context(rc=RC):
        fig, axes = new_figure(1, panels, 4.3 * panels, 3.8)
        ax_loss, ax_acc = axes[:2]
        for ax, metric, ylabel in (
            (ax_loss, "loss", "cross-entropy loss"),
            (ax_acc, "acc", "accuracy"),
        ):
            for split in SPLITS:
                mean_line(
                    ax,
                    final,
                    "batch_size",
                    f"{split}_{metric}",
                    label=split,
                    color=COLORS[split],
                    marker="o",
                )
            finish(ax, title=ylabel.capitalize(), xlabel="batch size", ylabel=ylabel)
        shown = ["loss", "accuracy"]
        free = iter(axes[2:])
        for m in lead:
            shown.append(_measure_panel(next(free), final, m, colors[m]))
        if gaps:
            ax_gap = next(free)
            gap_panel(ax_gap, final, "batch_size", gaps)
            finish(ax_gap, title="Generalization gap", xlabel="batch size", ylabel="test - train")
            shown.append("generalization gap")
        for m in rest:
            shown.append(_measure_panel(next(free), final, m, colors[m]))
        listed = ", ".join(shown[:-1]) + " and " + shown[-1]
        fig.suptitle(f"Final {listed} against batch size", fontsize=11)
    return fig


def _measure_panel(ax: Axes, final: pd.DataFrame, measure: str, color: str) -> str:
    """One measure against batch size; returns how the suptitle names it."""
    title, ylabel = MEASURE_AXES.get(measure, (measure, measure))
    mean_line(ax, final, "batch_size", measure, label=measure, color=color, marker="o")
    finish(ax, title=title, xlabel="batch size", ylabel=ylabel, legend=False)
    return measure


#: The two generalization gaps: frame column -> how a legend names it.
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


def figure_for(name: str) -> FigureSpec | None:
    """Experiment ``name``'s figure, as its record names it (None: no figure, or no record)."""
    try:
        return resolve(experiment_record(name).figure)
    except LookupError:
        return None


#: The homework's figures, by experiment (their records point here). Captions may use
#: {n_seeds}.
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
        "error, i.e. train - test accuracy); sharpness, and any other measure the runs computed. "
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
        "beside it (test error - train error), sensitivity, sharpness and any other measure the "
        "runs computed along each axis of the "
        "one-at-a-time grid (the other two axes at the base point), each run measured when its "
        "train cross-entropy first reached the stopping criterion (at the epoch cap if never). "
        f"Lines: mean over {{n_seeds}} seeds; {BAND_WORDS}.",
        table=measures_table,
        table_caption="Kendall \u03c4 of each measure with the generalization gap within each "
        "axis (the runs of one seed where only that axis varies, stratified over seeds; p "
        "one-sided, \u03c4 > 0), the granulated \u03c4 (their mean, Jiang et al. 2020) and the "
        "claim's verdict: every axis positive, every run at the stopping criterion.",
        note=stopping_note,
    ),
}
