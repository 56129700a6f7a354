"""The report draws and tabulates whatever measures a frame holds (a registered third one
included), from the frame alone: no hard-coded pair, a colour cycled for an unknown measure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from suite.report import figures, figures_beyond, plotting
from suite.report.measures_table import NO_CLAIM, measures_table
from suite.stats.grid import measures_in
from suite.tests import fake_results


def with_third_measure(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame plus ``frob_product``, a measure that grows with the gap (and a little noise)."""
    noise = np.random.default_rng(7).standard_normal(len(frame))
    return frame.assign(frob_product=2.0 * frame["gap"] + 1e-3 * noise)


def test_the_measures_of_a_frame_are_its_columns_beyond_keys_metrics_and_gaps():
    runs = fake_results.measures().frames["runs"]
    assert measures_in(runs) == ("sensitivity", "sharpness")
    assert measures_in(with_third_measure(runs)) == ("sensitivity", "sharpness", "frob_product")
    final = fake_results.batch_sweep().frames["final"]
    assert measures_in(final) == ("sensitivity", "sharpness")


def test_the_measures_table_has_a_row_for_a_third_measure_without_a_claim():
    table = measures_table(with_third_measure(fake_results.measures().frames["runs"]))
    assert table["measure"].tolist() == ["sensitivity", "sharpness", "frob_product"]
    third = table.iloc[2]
    assert third["verdict"] == NO_CLAIM
    assert all(
        "\u03c4 = +" in third[a] for a in ("batch size", "learning rate", "label corruption")
    )
    assert table.iloc[0]["verdict"] != NO_CLAIM  # the built-ins keep their claims' verdicts


def test_the_measures_figure_draws_a_row_per_measure_along_every_axis():
    runs = with_third_measure(fake_results.measures().frames["runs"])
    fig = figures_beyond.measures_figure(runs)
    gids = {line.get_gid() for ax in fig.axes for line in ax.lines if line.get_gid()}
    assert {g.split("/")[1] for g in gids} == {
        "gap",
        "acc_gap",
        "sensitivity",
        "sharpness",
        "frob_product",
    }
    assert len(gids) == 5 * 3
    colors = {
        line.get_gid(): line.get_color() for ax in fig.axes for line in ax.lines if line.get_gid()
    }
    assert colors["lr/frob_product"] == plotting.MEASURE_PALETTE[0]
    assert colors["lr/sharpness"] == plotting.COLORS["sharpness"]
    plotting.close_figure(fig)


def test_the_batch_figure_gives_a_third_measure_a_panel_of_its_own():
    final = fake_results.batch_sweep().frames["final"]
    before = figures.batch_figure(final)
    after = figures.batch_figure(with_third_measure(final))
    assert len(after.axes) == len(before.axes) + 1
    assert after.axes[-1].get_title() == "frob_product"
    assert [ax.get_title() for ax in after.axes[:-1]] == [ax.get_title() for ax in before.axes]
    assert after.get_suptitle().endswith("sharpness and frob_product against batch size")
    for fig in (before, after):
        plotting.close_figure(fig)


def test_colours_cycle_for_unknown_measures_and_keep_the_built_ins():
    names = ["sharpness", *(f"m{i}" for i in range(len(plotting.MEASURE_PALETTE) + 1))]
    colors = plotting.measure_colors(names)
    assert colors["sharpness"] == plotting.COLORS["sharpness"]
    assert colors["m0"] == colors[f"m{len(plotting.MEASURE_PALETTE)}"] != colors["m1"]
