"""Renders :class:`~suite.report.model.ReportData` as one self-contained HTML page.

No script, font or image is fetched: figures are PNG data URIs, the stylesheet is inline, and a
Content-Security-Policy forbids everything else. Every string from the data goes through
:func:`esc` (``html.escape``) exactly once, at the point where it meets markup.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from suite import figures
from suite.frames import ExperimentResult
from suite.report import text
from suite.report.model import META_FIELDS, ReportData, Section, normalize_meta
from suite.report.style import CSS
from suite.verdicts import ClaimResult, Verdict, format_p

KEY_VALUE = [("Key", ""), ("Value", "")]
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
TITLE = "Generalization claims"
LEDE = (
    'The claims of the "HW 1-3 Generalization" homework (MNIST, small MLPs) as statistical tests: '
    "each claim is a statistic decided by a rule fixed in advance, over independently trained "
    "seeds."
)


def esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def slug(x: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", x).strip("-") or "x"


def verdict_class(v: Verdict) -> str:
    return slug(Verdict(v).value)


def badge(v: Verdict, label: str | None = None) -> str:
    return f'<span class="badge {verdict_class(v)}">{esc(label or Verdict(v).value)}</span>'


def claim_class(c: ClaimResult) -> str:
    """The CSS class of a claim's verdict; a documented refutation has its own colour."""
    return "expected-refutation" if c.expected else verdict_class(c.verdict)


def claim_badge(c: ClaimResult) -> str:
    return f'<span class="badge {claim_class(c)}">{esc(c.label.lower())}</span>'


def _anchors(claims: list[ClaimResult]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for c in claims:
        base = "claim-" + slug(c.claim)
        seen[base] += 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out


def _table(head: Iterable[tuple[str, str]], rows: Iterable[str], cls: str = "") -> str:
    """``head``: (label, css class) pairs; ``rows``: ready ``<tr>`` markup."""
    ths = "".join(f'<th class="{c}">{esc(label)}</th>' for label, c in head)
    return (
        f'<div class="table-wrap"><table class="{cls}"><thead><tr>{ths}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _kv(items: Iterable[tuple[Any, Any]], cls: str = "kv") -> str:
    body = "".join(f"<dt>{esc(k)}</dt><dd>{esc(text.value(v))}</dd>" for k, v in items)
    return f'<dl class="{cls}">{body}</dl>' if body else ""


# --- header -----------------------------------------------------------------------------------


def _common(values: Iterable[str]) -> str:
    found = sorted({v for v in values if v})
    return ", ".join(found)


def _header(data: ReportData, meta: dict[str, Any]) -> str:
    profile = meta.get("profile") or _common(c.profile for c in data.claims)
    device = meta.get("device") or _common(c.device for c in data.claims)
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


def _toc(sections: list[Section], stability: bool = False) -> str:
    links = [("claims", "Claims")]
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
        ("Threshold", ""),
        ("p", "num p"),
        ("Verdict", ""),
        ("Seeds", "num"),
        ("Time", "num"),
    ]
    rows = []
    for c, anchor in zip(claims, _anchors(claims), strict=True):
        rows.append(
            f'<tr class="claim-row">'
            f'<td class="id"><a href="#{esc(anchor)}">{esc(c.claim)}</a></td>'
            f'<td class="statement">{esc(c.statement)}</td>'
            f'<td class="num">{esc(text.statistic(c.statistic))}</td>'
            f'<td class="threshold">{esc(c.threshold)}</td>'
            f'<td class="num">{esc(format_p(c.p_value))}</td>'
            f"<td>{claim_badge(c)}</td>"
            f'<td class="num">{esc(c.n_seeds or c.n_runs)}</td>'
            f'<td class="num">{esc(text.seconds(c.seconds))}</td>'
            "</tr>"
        )
    if not rows:
        rows.append('<tr><td colspan="8">No claim was recorded in this run.</td></tr>')
    return _table(head, rows, cls="claims")


def _claim_card(c: ClaimResult, anchor: str) -> str:
    p = "" if c.p_value is None else f" \u00b7 p = <b>{esc(format_p(c.p_value))}</b>"
    rule = (
        f"statistic <b>{esc(text.statistic(c.statistic))}</b> \u00b7 threshold "
        f"<b>{esc(c.threshold)}</b>{p} \u00b7 {esc(c.n_seeds)} seeds, {esc(c.n_runs)} runs \u00b7 "
        f"{esc(text.seconds(c.seconds))}"
    )
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
        f'<p class="rule">{rule}</p>{reason}{_kv(details.items())}{nodeid}</article>'
    )


# --- experiments ------------------------------------------------------------------------------


def _note(message: str) -> str:
    return f'<p class="note">{esc(message)}</p>'


def _figure(result: ExperimentResult | None, name: str) -> str:
    spec = figures.FIGURES.get(name)
    if result is None:
        return _note("No result was recorded for this experiment in this run.")
    if spec is None:
        return _note("No figure is defined for this experiment.")
    frame = result.frames.get(spec.frame)
    if frame is None or frame.empty:
        return _note(f"No figure: the experiment recorded no '{spec.frame}' data.")
    try:
        fig = spec.draw(frame)
    except Exception as exc:  # a figure must never take the whole report down
        return _note(f"The figure could not be drawn: {type(exc).__name__}: {exc}")
    width = figures.display_width(fig)
    png = figures.figure_to_png_base64(fig)
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
    return _note(line) if line else ""


def _frame_table(result: ExperimentResult | None, name: str) -> str:
    """The experiment's table (``FigureSpec.table``) under its figure, cells shown as text."""
    spec = figures.FIGURES.get(name)
    if result is None or spec is None or spec.table is None:
        return ""
    frame = result.frames.get(spec.frame)
    if frame is None or frame.empty:
        return ""
    try:
        table = spec.table(frame)
    except Exception as exc:  # like a figure, a table must never take the report down
        return _note(f"The table could not be computed: {type(exc).__name__}: {exc}")
    head = [(str(c), "") for c in table.columns]
    rows = [
        "<tr>" + "".join(f"<td>{esc(text.value(v))}</td>" for v in row) + "</tr>"
        for row in table.itertuples(index=False)
    ]
    caption = f'<p class="lede">{esc(spec.table_caption)}</p>' if spec.table_caption else ""
    return f'<div class="frame-table">{_table(head, rows, "measures")}{caption}</div>'


def _section(section: Section, anchors: dict[int, str]) -> str:
    cards = "".join(_claim_card(c, anchors[id(c)]) for c in section.claims)
    cards = (
        f'<div class="claims-cards">{cards}</div>'
        if cards
        else _note("No claim tests this experiment.")
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
        blocks.append(f"<div><h3>{esc(e.name)}</h3>{_table(KEY_VALUE, rows, 'config')}</div>")
    body = (
        f'<div class="config-grid">{"".join(blocks)}</div>'
        if blocks
        else _note("No experiment ran.")
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
        f'<td class="num">{esc(text.seconds(e.seconds))}</td>'
        f'<td class="num">{esc(text.count(e.steps))}</td>'
        f'<td class="num">{esc(text.count(e.samples))}</td>'
        f'<td class="num">{esc(text.rate(e.steps, e.seconds))}</td>'
        f'<td class="num">{esc(text.rate(e.samples, e.seconds))}</td>'
        "</tr>"
        for e in experiments
    ]
    body = _table(head, rows, "timings") if rows else _note("No experiment ran.")
    note = (
        '<p class="lede">Seconds are the fixture\'s own wall time (training, or reading the '
        "cache); fixtures may run concurrently.</p>"
    )
    return f'<section id="timings"><h2>Timings</h2>{note}{body}</section>'


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
    table = _table(KEY_VALUE, rows, "env")
    return f'<section id="environment"><h2>Environment</h2>{table}</section>'


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
        body = _note(f"The stability summary could not be shown: {type(exc).__name__}: {exc}")
        return f'<section id="stability"><h2>Stability</h2>{body}</section>'


def _stability(summary: dict[str, Any]) -> str:
    from suite.stability import TARGET, verdict_counts

    target = float(summary.get("target_agreement", TARGET))
    sets = list(summary.get("sets") or [])
    bases = list(summary.get("bases") or [s.get("base") for s in sets])
    passed = sum(s.get("exit_code") == 0 for s in sets)
    lede = (
        f"The claims of profile {summary.get('profile', '?')} run on {len(bases)} disjoint seed "
        f"sets (--gen-seed-base {_bases(bases)}): per claim, how many sets gave each verdict, the "
        f"agreement (share of the most common verdict; the target is {target:.0%}) and whether "
        f"it was supported in one set and refuted in another. pytest exited 0 in {passed} of "
        f"{len(sets)} sets."
    )
    head = [
        ("Claim", ""),
        ("Verdicts", ""),
        ("Agreement", "num"),
        (f"\u2265 {target:.0%}", ""),
        ("Flips", ""),
    ]
    rows = [
        "<tr>"
        f'<td class="id">{esc(c.get("id", ""))}</td>'
        f"<td>{esc(verdict_counts(dict(c.get('counts') or {})))}</td>"
        f'<td class="num">{esc(text.number(c.get("agreement"), 3))}</td>'
        f"<td>{'yes' if float(c.get('agreement') or 0) >= target else '<b>no</b>'}</td>"
        f"<td>{'<b>yes</b>' if c.get('flips') else 'no'}</td>"
        "</tr>"
        for c in summary.get("claims") or []
    ]
    claims = _table(head, rows, "stability") if rows else _note("No claim was recorded.")
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
    per_set = _table(set_head, set_rows, "stability-sets") if set_rows else ""
    summary_line = summary.get("summary")
    closing = f'<p class="lede">{esc(summary_line)}</p>' if summary_line else ""
    return (
        f'<section id="stability"><h2>Stability</h2><p class="lede">{esc(lede)}</p>'
        f"{claims}{closing}{per_set}</section>"
    )


def render_html(data: ReportData) -> str:
    meta = normalize_meta(data.meta)
    sections = data.sections()
    anchors = {id(c): a for c, a in zip(data.claims, _anchors(data.claims), strict=True)}
    profile = meta.get("profile") or _common(c.profile for c in data.claims)
    title = f"{TITLE} \u2014 {profile}" if profile else TITLE
    body = "".join(
        [
            _header(data, meta),
            _toc(sections, stability=data.stability is not None),
            f'<section id="claims"><h2>Claims</h2>{claims_table(data.claims)}</section>',
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
