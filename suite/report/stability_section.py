"""The report's stability section: how often each claim's verdict repeated over disjoint seed
sets (a ``stability.json`` of :mod:`suite.stability`)."""

from __future__ import annotations

from typing import Any

from suite.report import text
from suite.report.markup import esc, html_table, note_paragraph


def _bases(bases: list[Any]) -> str:
    """0, 1, ..., 19 as "0..19"; anything else as a list."""
    ints = len(bases) > 2 and all(isinstance(b, int) for b in bases)
    if ints and bases == list(range(bases[0], bases[0] + len(bases))):
        return f"{bases[0]}..{bases[-1]}"
    return ", ".join(str(b) for b in bases)


def stability_section(summary: dict[str, Any]) -> str:
    """How often each claim's verdict repeated over disjoint seed sets (``suite.stability``)."""
    try:
        return _stability(summary)
    except Exception as exc:  # like a figure, it must never take the whole report down
        body = note_paragraph(
            f"The stability summary could not be shown: {type(exc).__name__}: {exc}"
        )
        return f'<section id="stability"><h2>Stability</h2>{body}</section>'


def _stability(summary: dict[str, Any]) -> str:
    from suite.stability import TARGET, seeds_text, verdict_counts

    target = float(summary.get("target_agreement", TARGET))
    sets = list(summary.get("sets") or [])
    bases = list(summary.get("bases") or [s.get("base") for s in sets])
    passed = sum(s.get("exit_code") == 0 for s in sets)
    lede = (
        f"The claims of profile {summary.get('profile', '?')} run on {len(bases)} disjoint seed "
        f"sets (--gen-seed-base {_bases(bases)}): per claim, how many sets gave each rule outcome "
        "(no verdict is set by anything but the rule), the seeds it used, the share of sets "
        "that decided it, the agreement (share of the most common rule outcome; the target is "
        f"{target:.0%}) and whether it was supported in one set and refuted in another. "
        f"pytest exited 0 in {passed} of {len(sets)} sets."
    )
    head = [
        ("Claim", ""),
        ("Rule outcomes", ""),
        ("Seeds", "num"),
        ("Decided", "num"),
        ("Agreement", "num"),
        (f"\u2265 {target:.0%}", ""),
        ("Flips", ""),
    ]
    rows = [
        "<tr>"
        f'<td class="id">{esc(c.get("id", ""))}</td>'
        f"<td>{esc(verdict_counts(dict(c.get('counts') or {})))}</td>"
        f'<td class="num">{esc(seeds_text(c.get("seeds") or []))}</td>'
        f'<td class="num">{esc(text.number(c.get("decided"), 3))}</td>'
        f'<td class="num">{esc(text.number(c.get("agreement"), 3))}</td>'
        f"<td>{'yes' if float(c.get('agreement') or 0) >= target else '<b>no</b>'}</td>"
        f"<td>{'<b>yes</b>' if c.get('flips') else 'no'}</td>"
        "</tr>"
        for c in summary.get("claims") or []
    ]
    claims = (
        html_table(head, rows, "stability") if rows else note_paragraph("No claim was recorded.")
    )
    set_rows = [
        "<tr>"
        f'<td class="num">{esc(s.get("base"))}</td>'
        f'<td class="num">{esc("?" if s.get("exit_code") is None else s.get("exit_code"))}</td>'
        f'<td class="num">{esc(text.seconds(s.get("seconds")))}</td>'
        f"<td>{esc(verdict_counts(dict(s.get('verdicts') or {})))}</td>"
        "</tr>"
        for s in sets
    ]
    set_head = [("Seed base", "num"), ("pytest exit", "num"), ("Time", "num"), ("Verdicts", "")]
    per_set = html_table(set_head, set_rows, "stability-sets") if set_rows else ""
    summary_line = summary.get("summary")
    closing = f'<p class="lede">{esc(summary_line)}</p>' if summary_line else ""
    return (
        f'<section id="stability"><h2>Stability</h2><p class="lede">{esc(lede)}</p>'
        f"{claims}{closing}{per_set}</section>"
    )
