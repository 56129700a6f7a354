"""The report's comparison section: this run against a baseline (a ``compare.json`` of
:mod:`suite.report.compare`): which claims moved, and a figure of both runs' statistics with
their intervals, one small panel per claim (the claims' statistics have different units)."""

from __future__ import annotations

import math
from typing import Any

from matplotlib.figure import Figure

from suite.report import plotting
from suite.report.markup import esc, html_table, note_paragraph
from suite.report.text import DASH, bounds, number
from suite.stats.verdicts import format_p

OLD_COLOR, NEW_COLOR = "#999999", "#0072B2"
COLUMNS = 4


def comparison_section(comparison: dict[str, Any]) -> str:
    """The section; like a figure, it never takes the whole report down."""
    try:
        body = _body(comparison)
    except Exception as exc:
        body = note_paragraph(f"The comparison could not be shown: {type(exc).__name__}: {exc}")
    return f'<section id="comparison"><h2>Comparison with the baseline</h2>{body}</section>'


def _run(side: dict[str, Any]) -> str:
    commit = side.get("commit")
    parts = [str(side.get("label") or "?")]
    parts += [f"commit {str(commit)[:12]}"] if commit else []
    parts += [f"{side.get('date')}"] if side.get("date") else []
    return ", ".join(parts)


def _body(c: dict[str, Any]) -> str:
    old = c.get("old") or {}
    moved = c.get("moved") or []
    lede = (
        f"This run against {_run(old)} (profile {old.get('profile')}, seed base "
        f"{old.get('seed_base')}, device {old.get('device')}). {len(moved)} of "
        f"{len(c.get('claims') or [])} claims moved: {c.get('verdict_changes', 0)} changed "
        f"verdict, {c.get('drifts', 0)} drifted more than their seeds explain. Drift test: "
        f"{c.get('test')}; {c.get('correction')}. A claim is flagged where its Holm-adjusted p "
        f"is below {c.get('alpha')}."
    )
    head = [
        ("Claim", ""),
        ("Verdict (baseline \u2192 this run)", ""),
        ("Statistic", "num"),
        ("Interval", "num"),
        ("Test", ""),
        ("p", "num"),
        ("p (Holm)", "num"),
        ("Moved", ""),
    ]
    rows = []
    for r in c.get("claims") or []:
        flags = [
            f for f, on in (("verdict", r.get("verdict_changed")), ("drift", r.get("drift"))) if on
        ]
        moved_cell = f"<b>{esc(', '.join(flags))}</b>" if flags else "no"
        note = f" ({esc(r['note'])})" if r.get("note") else ""
        rows.append(
            "<tr>"
            f'<td class="id">{esc(r["id"])}</td>'
            f"<td>{esc((r.get('old_verdict') or '-').upper())} \u2192 "
            f"{esc((r.get('new_verdict') or '-').upper())}</td>"
            f'<td class="num">{number(r.get("old_statistic"))} \u2192 '
            f"{number(r.get('new_statistic'))}</td>"
            f'<td class="num">{bounds(r.get("old_interval"), DASH)} \u2192 '
            f"{bounds(r.get('new_interval'), DASH)}</td>"
            f"<td>{esc(r.get('method') or DASH)}{note}</td>"
            f'<td class="num">{format_p(r.get("p"))}</td>'
            f'<td class="num">{format_p(r.get("p_holm"))}</td>'
            f"<td>{moved_cell}</td>"
            "</tr>"
        )
    table = html_table(head, rows, "comparison") if rows else note_paragraph("No claims.")
    return f'<p class="lede">{esc(lede)}</p>{table}{_figure(c)}'


def _figure(c: dict[str, Any]) -> str:
    try:
        fig = comparison_figure(c)
    except Exception as exc:
        return note_paragraph(f"The figure could not be drawn: {type(exc).__name__}: {exc}")
    if fig is None:
        return ""
    width = plotting.display_width(fig)
    png = plotting.figure_to_png_base64(fig)
    caption = (
        "Each claim's statistic in the baseline (grey) and in this run (blue), with the "
        "interval each run reports; a red panel title marks a claim that moved."
    )
    return (
        f'<figure><img src="data:image/png;base64,{png}" width="{width}" '
        f'alt="comparison figure"><figcaption>{esc(caption)}</figcaption></figure>'
    )


def _finite(x: Any) -> bool:
    return x is not None and math.isfinite(float(x))


def comparison_figure(c: dict[str, Any]) -> Figure | None:
    """One panel per claim with a statistic in both runs: the two statistics as points with
    their intervals as bars (baseline above, this run below)."""
    rows = [
        r
        for r in c.get("claims") or []
        if _finite(r.get("old_statistic")) and _finite(r.get("new_statistic"))
    ]
    if not rows:
        return None
    ncols = min(COLUMNS, len(rows))
    nrows = math.ceil(len(rows) / ncols)
    fig, axes = plotting.new_figure(nrows, ncols, 2.6 * ncols, 1.35 * nrows + 0.3)
    for ax, r in zip(axes, rows, strict=False):
        for y, side, color in ((1, "old", OLD_COLOR), (0, "new", NEW_COLOR)):
            stat = float(r[f"{side}_statistic"])
            interval = r.get(f"{side}_interval")
            if interval:
                lo, hi = float(interval[0]), float(interval[1])
                ax.plot([lo, hi], [y, y], color=color, linewidth=2.2, solid_capstyle="butt")
            ax.plot([stat], [y], "o", color=color, markersize=5, gid=f"{r['id']}-{side}")
        ax.set_yticks([0, 1], ["this run", "baseline"])
        ax.set_ylim(-0.6, 1.6)
        ax.margins(x=0.08)
        ax.set_title(r["id"], fontsize=8, color="#C0392B" if r.get("moved") else "black")
        ax.tick_params(labelsize=7)
    for ax in axes[len(rows) :]:
        ax.set_visible(False)
    return fig
