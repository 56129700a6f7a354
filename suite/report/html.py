"""Renders :class:`~suite.report.model.ReportData` as one self-contained HTML page.

No script, font or image is fetched: figures are PNG data URIs, the stylesheet is inline, and a
Content-Security-Policy forbids everything else. Every string from the data goes through
:func:`esc` (``html.escape``) exactly once, at the point where it meets markup.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from suite.report import figures, plotting, text
from suite.report.compare_section import comparison_section
from suite.report.markup import (
    badge,
    claim_anchors,
    claim_badge,
    claim_class,
    common_value,
    esc,
    html_table,
    kv_table,
    note_paragraph,
    slug,
)
from suite.report.model import META_FIELDS, ReportData, Section, normalize_meta
from suite.report.stability_section import stability_section
from suite.report.style import CSS
from suite.report.text import interval_text, looks_sentence, looks_text
from suite.stats.verdicts import ClaimResult, Verdict, format_p
from suite.train.frames import ExperimentResult

KEY_VALUE = [("Key", ""), ("Value", "")]
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
TITLE = "Generalization claims"
LEDE = (
    'The claims of the "HW 1-3 Generalization" homework (MNIST, small MLPs) as statistical tests: '
    "each claim is a statistic decided by a rule fixed in advance, over independently trained "
    "seeds."
)


def _header(data: ReportData, meta: dict[str, Any]) -> str:
    profile = meta.get("profile") or common_value(c.profile for c in data.claims)
    device = meta.get("device") or common_value(c.device for c in data.claims)
    facts = [
        ("Profile", profile),
        ("Seed base", meta.get("seed_base")),
        ("Device", device),
        ("PyTorch", meta.get("torch_version")),
        ("Suite", meta.get("suite_version")),
        ("Date", text.date(meta["date"]) if meta.get("date") else None),
        ("Wall time", text.seconds(meta["wall_seconds"]) if "wall_seconds" in meta else None),
    ]
    facts_html = "".join(
        f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts if v not in (None, "")
    )
    counts = Counter(Verdict(c.verdict) for c in data.claims)
    summary = "".join(badge(v, f"{counts[v]} {v.value}") for v in Verdict if counts[v])
    return (
        f'<header><h1>{esc(TITLE)}</h1><p class="lede">{esc(LEDE)}</p>'
        f'<dl class="facts">{facts_html}</dl>'
        f'<div class="summary" aria-label="verdicts">{summary}</div></header>'
    )


def _toc(sections: list[Section], stability: bool = False, comparison: bool = False) -> str:
    links = [("claims", "Claims")]
    links += [("comparison", "Comparison")] if comparison else []
    links += [("stability", "Stability")] if stability else []
    links += [("exp-" + slug(s.name), s.title) for s in sections]
    links += [
        ("configuration", "Configuration"),
        ("timings", "Timings"),
        ("environment", "Environment"),
    ]
    return (
        '<nav class="toc">'
        + "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t in links)
        + "</nav>"
    )


# --- claims -----------------------------------------------------------------------------------


def claims_table(claims: list[ClaimResult]) -> str:
    """The claims table: one ``<tr class="claim-row">`` per claim, in recorded order."""
    head = [
        ("Claim", ""),
        ("Statement", ""),
        ("Statistic", "num"),
        ("Interval", "num"),
        ("Margin", "num"),
        ("Threshold", ""),
        ("p", "num p"),
        ("Verdict", ""),
        ("Seeds", "num"),
        ("Looks", "num"),
        ("Time", "num"),
    ]
    rows = []
    for c, anchor in zip(claims, claim_anchors(claims), strict=True):
        rows.append(
            f'<tr class="claim-row">'
            f'<td class="id"><a href="#{esc(anchor)}">{esc(c.claim)}</a></td>'
            f'<td class="statement">{esc(c.statement)}</td>'
            f'<td class="num">{esc(text.statistic(c.statistic))}</td>'
            f'<td class="num">{esc(interval_text(c))}</td>'
            f'<td class="num">{esc("-" if c.margin is None else f"{c.margin:g}")}</td>'
            f'<td class="threshold">{esc(c.threshold)}</td>'
            f'<td class="num">{esc(format_p(c.p_value))}</td>'
            f"<td>{claim_badge(c)}</td>"
            f'<td class="num">{esc(c.n_seeds or c.n_runs)}</td>'
            f'<td class="num">{esc(looks_text(c))}</td>'
            f'<td class="num">{esc(text.seconds(c.seconds))}</td>'
            "</tr>"
        )
    if not rows:
        rows.append('<tr><td colspan="11">No claim was recorded in this run.</td></tr>')
    return html_table(head, rows, cls="claims")


def _claim_card(c: ClaimResult, anchor: str) -> str:
    p = "" if c.p_value is None else f" \u00b7 p = <b>{esc(format_p(c.p_value))}</b>"
    margin = "" if c.margin is None else f" \u00b7 margin <b>{esc(f'{c.margin:g}')}</b>"
    rule = (
        f"statistic <b>{esc(text.statistic(c.statistic))}</b> \u00b7 interval "
        f"<b>{esc(interval_text(c))}</b>{margin} \u00b7 threshold "
        f"<b>{esc(c.threshold)}</b>{p} \u00b7 {esc(c.n_seeds)} seeds, {esc(c.n_runs)} runs \u00b7 "
        f"{esc(text.seconds(c.seconds))}"
    )
    looks = f'<p class="note">{esc(looks_sentence(c))}</p>' if c.looks else ""
    details = c.details if isinstance(c.details, dict) else {"details": c.details}
    nodeid = f'<p class="nodeid mono">{esc(c.nodeid)}</p>' if c.nodeid else ""
    reason = f'<p class="reason">{esc(c.reason)}</p>' if c.reason else ""
    dead = details.get("collapsed") or []
    if dead:
        reason += (
            f'<p class="note">{len(dead)} collapsed run(s) (train accuracy at chance at the '
            f"end) are kept in the data: {esc(dead)}</p>"
        )
    return (
        f'<article class="card {claim_class(c)}" id="{esc(anchor)}">'
        f"<h3><span>{esc(c.claim)}</span>{claim_badge(c)}</h3>"
        f'<p class="statement">{esc(c.statement)}</p>'
        f'<p class="rule">{rule}</p>{reason}{looks}{kv_table(details.items())}{nodeid}</article>'
    )


# --- experiments ------------------------------------------------------------------------------


def _figure(result: ExperimentResult | None, name: str) -> str:
    spec = figures.figure_for(name)
    if result is None:
        return note_paragraph("No result was recorded for this experiment in this run.")
    if spec is None:
        return note_paragraph("No figure is defined for this experiment.")
    frame = result.frames.get(spec.frame)
    if frame is None or frame.empty:
        return note_paragraph(f"No figure: the experiment recorded no '{spec.frame}' data.")
    try:
        fig = spec.draw(frame)
    except Exception as exc:  # a figure must never take the whole report down
        return note_paragraph(f"The figure could not be drawn: {type(exc).__name__}: {exc}")
    width = plotting.display_width(fig)
    png = plotting.figure_to_png_base64(fig)
    n_seeds = frame["seed"].nunique() if "seed" in frame.columns else "?"
    caption = spec.caption.format(n_seeds=n_seeds)
    return (
        f'<figure><img src="data:image/png;base64,{png}" width="{width}" '
        f'alt="{esc(name)} figure"><figcaption>{esc(caption)}</figcaption></figure>'
        f"{_figure_note(result, spec)}"
    )


def _figure_note(result: ExperimentResult, spec: figures.FigureSpec) -> str:
    """The spec's line about the whole result (e.g. the measures grid's epoch-cap hits)."""
    if spec.note is None:
        return ""
    try:
        line = spec.note(result)
    except Exception as exc:  # like a figure, a note must never take the report down
        line = f"The note could not be computed: {type(exc).__name__}: {exc}"
    return note_paragraph(line) if line else ""


def _frame_table(result: ExperimentResult | None, name: str) -> str:
    """The experiment's table (``FigureSpec.table``) under its figure, cells shown as text."""
    spec = figures.figure_for(name)
    if result is None or spec is None or spec.table is None:
        return ""
    frame = result.frames.get(spec.frame)
    if frame is None or frame.empty:
        return ""
    try:
        table = spec.table(frame)
    except Exception as exc:  # like a figure, a table must never take the report down
        return note_paragraph(f"The table could not be computed: {type(exc).__name__}: {exc}")
    head = [(str(c), "") for c in table.columns]
    rows = [
        "<tr>" + "".join(f"<td>{esc(text.value(v))}</td>" for v in row) + "</tr>"
        for row in table.itertuples(index=False)
    ]
    caption = f'<p class="lede">{esc(spec.table_caption)}</p>' if spec.table_caption else ""
    return f'<div class="frame-table">{html_table(head, rows, "measures")}{caption}</div>'


def _section(section: Section, anchors: dict[int, str]) -> str:
    cards = "".join(_claim_card(c, anchors[id(c)]) for c in section.claims)
    cards = (
        f'<div class="claims-cards">{cards}</div>'
        if cards
        else note_paragraph("No claim tests this experiment.")
    )
    return (
        f'<section class="experiment" id="exp-{esc(slug(section.name))}">'
        f"<h2>{esc(section.title)}</h2>{cards}{_figure(section.result, section.name)}"
        f"{_frame_table(section.result, section.name)}</section>"
    )


def _configuration(experiments: list[ExperimentResult]) -> str:
    blocks = []
    for e in experiments:
        items = list(e.config.items()) if isinstance(e.config, dict) else [("config", e.config)]
        items += [(f"extra: {k}", v) for k, v in (e.extra or {}).items()]
        rows = [
            f'<tr><td>{esc(k)}</td><td class="mono">{esc(text.value(v))}</td></tr>'
            for k, v in items
        ]
        if not rows:
            rows = ['<tr><td colspan="2">no configuration recorded</td></tr>']
        blocks.append(f"<div><h3>{esc(e.name)}</h3>{html_table(KEY_VALUE, rows, 'config')}</div>")
    body = (
        f'<div class="config-grid">{"".join(blocks)}</div>'
        if blocks
        else note_paragraph("No experiment ran.")
    )
    return f'<section id="configuration"><h2>Configuration</h2>{body}</section>'


def _timings(experiments: list[ExperimentResult]) -> str:
    head = [
        ("Experiment", ""),
        ("Profile", ""),
        ("Device", ""),
        ("Seconds", "num"),
        ("Steps", "num"),
        ("Samples", "num"),
        ("Steps/s", "num"),
        ("Samples/s", "num"),
    ]
    rows = [
        "<tr>"
        f"<td>{esc(e.name)}</td><td>{esc(e.profile)}</td><td>{esc(e.device)}</td>"
        f'<td class="num">{esc(text.seconds(e.seconds))}{"*" if _resumed(e) else ""}</td>'
        f'<td class="num">{esc(text.count(e.steps))}</td>'
        f'<td class="num">{esc(text.count(e.samples))}</td>'
        f'<td class="num">{esc(text.rate(e.steps, e.seconds))}</td>'
        f'<td class="num">{esc(text.rate(e.samples, e.seconds))}</td>'
        "</tr>"
        for e in experiments
    ]
    body = html_table(head, rows, "timings") if rows else note_paragraph("No experiment ran.")
    resumed = "; ".join(
        f"{e.name} {text.seconds(_resumed(e))} up to its last checkpoint before a stop"
        for e in experiments
        if _resumed(e)
    )
    note = (
        "Seconds are the fixture's own wall time (training, or reading the cache); fixtures may "
        "run concurrently."
    )
    if resumed:
        note += f" * Resumed from checkpoints; the seconds include earlier attempts' ({resumed})."
    note = f'<p class="lede">{esc(note)}</p>'
    return f'<section id="timings"><h2>Timings</h2>{note}{body}</section>'


def _resumed(e: ExperimentResult) -> float:
    """Seconds an experiment's earlier sessions spent before it resumed (0: trained in one go)."""
    return float(e.extra.get("resumed_after_s") or 0)


def _environment(meta: dict[str, Any]) -> str:
    rows = []
    for key, (label, _) in META_FIELDS.items():
        v = meta.get(key)
        if key == "wall_seconds" and v is not None:
            shown = text.seconds(v)
        elif key == "date" and v:
            shown = text.date(v)
        elif key == "tf32":
            shown = {True: "enabled", False: "disabled"}.get(v, "not applicable")
        else:
            shown = text.value(v) if v not in (None, "") else "not recorded"
        cls = ' class="mono"' if key == "command_line" else ""
        rows.append(f"<tr><td>{esc(label)}</td><td{cls}>{esc(shown)}</td></tr>")
    for key, v in meta.items():
        if key not in META_FIELDS:
            rows.append(f'<tr><td>{esc(key)}</td><td class="mono">{esc(text.value(v))}</td></tr>')
    table = html_table(KEY_VALUE, rows, "env")
    return f'<section id="environment"><h2>Environment</h2>{table}</section>'


def render_html(data: ReportData) -> str:
    meta = normalize_meta(data.meta)
    sections = data.sections()
    anchors = {id(c): a for c, a in zip(data.claims, claim_anchors(data.claims), strict=True)}
    profile = meta.get("profile") or common_value(c.profile for c in data.claims)
    title = f"{TITLE} \u2014 {profile}" if profile else TITLE
    body = "".join(
        [
            _header(data, meta),
            _toc(
                sections,
                stability=data.stability is not None,
                comparison=data.comparison is not None,
            ),
            f'<section id="claims"><h2>Claims</h2>{claims_table(data.claims)}</section>',
            comparison_section(data.comparison) if data.comparison is not None else "",
            stability_section(data.stability) if data.stability is not None else "",
            *(_section(s, anchors) for s in sections),
            _configuration(data.experiments),
            _timings(data.experiments),
            _environment(meta),
            "<footer>Written by gen-claims-suite. The numbers behind every figure are in the CSV "
            "files beside this page, the claims in claims.json, the run in run.json; "
            "<code>python -m suite.report DIR</code> re-renders this page from them.</footer>",
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>\n"
        f"<body><main>{body}</main></body></html>\n"
    )
