"""The look every report figure shares (colours, line styles, the seed band, rc settings), the
helpers that draw a mean line with its band, and the PNG encoding the report embeds.

Figures are built without pyplot, so they work headless (CI), in a notebook and inside the
report alike. The band is one standard deviation over seeds (``errorbar="sd"``: deterministic,
unlike a bootstrap CI).
"""

from __future__ import annotations

import base64
import io
import sys
from collections.abc import Sequence

import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

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
#: Colours for measures without one of their own (a registered measure the report does not know),
#: cycled in the order a frame lists them: the Okabe-Ito colours the built-in measures leave.
MEASURE_PALETTE = ("#0072B2", "#E69F00", "#000000", "#56B4E9", "#D55E00", "#F0E442")
INIT_STYLE = {"independent": "-", "shared": "--"}
SPLITS = ("train", "test")

BASE_DPI = 96
RC = {
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


def measure_colors(measures: Sequence[str]) -> dict[str, str]:
    """A colour per measure: its own in :data:`COLORS`, else the next of :data:`MEASURE_PALETTE`."""
    others = [m for m in measures if m not in COLORS]
    cycled = {m: MEASURE_PALETTE[i % len(MEASURE_PALETTE)] for i, m in enumerate(others)}
    return {m: COLORS.get(m) or cycled[m] for m in measures}


def new_figure(nrows: int, ncols: int, width: float, height: float) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(width, height), dpi=BASE_DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, list(axes.flat)


def mean_line(
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


def finish(ax: Axes, *, title: str, xlabel: str, ylabel: str, legend: bool = True) -> None:
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


GAP_LABELS = {"gap": "loss gap (cross-entropy)", "acc_gap": "error gap (error rate)"}


def gap_panel(ax: Axes, df: pd.DataFrame, x: str, columns: Sequence[str]) -> None:
    """The loss gap and the error gap (train - test accuracy) as two lines on one axis."""
    for column in columns:
        color = COLORS["gap" if column == "gap" else "error_gap"]
        mean_line(ax, df, x, column, label=GAP_LABELS[column], color=color, marker="o")
    ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=0)


def figure_to_png_base64(fig: Figure, dpi: int = 2 * BASE_DPI) -> str:
    """The figure as base64 PNG text (2x the 96-dpi layout by default); the figure is closed."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    finally:
        close_figure(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def display_width(fig: Figure) -> int:
    """The CSS width in pixels at which a figure shows at its intended size."""
    return round(fig.get_figwidth() * BASE_DPI)


def close_figure(fig: Figure) -> None:
    """Release a figure; drops it from pyplot's registry only if pyplot is in use."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
    fig.clear()
