"""The small pieces of HTML markup the report's sections share: escaping (every string from
the data goes through :func:`esc` exactly once, where it meets markup), badges, tables, notes."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from suite.report import text
from suite.stats.verdicts import ClaimResult, Verdict


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


def claim_anchors(claims: list[ClaimResult]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for c in claims:
        base = "claim-" + slug(c.claim)
        seen[base] += 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out


def html_table(head: Iterable[tuple[str, str]], rows: Iterable[str], cls: str = "") -> str:
    """``head``: (label, css class) pairs; ``rows``: ready ``<tr>`` markup."""
    ths = "".join(f'<th class="{c}">{esc(label)}</th>' for label, c in head)
    return (
        f'<div class="table-wrap"><table class="{cls}"><thead><tr>{ths}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def kv_table(items: Iterable[tuple[Any, Any]], cls: str = "kv") -> str:
    body = "".join(f"<dt>{esc(k)}</dt><dd>{esc(text.value(v))}</dd>" for k, v in items)
    return f'<dl class="{cls}">{body}</dl>' if body else ""


# --- header -----------------------------------------------------------------------------------


def common_value(values: Iterable[str]) -> str:
    found = sorted({v for v in values if v})
    return ", ".join(found)


def note_paragraph(message: str) -> str:
    return f'<p class="note">{esc(message)}</p>'
