"""Numbers and nested values as short plain text; the HTML layer escapes what these return."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from suite.stats.verdicts import ClaimResult

DASH = "\u2014"
MAX_ITEMS = 20
MAX_CHARS = 600


def number(x: Any, digits: int = 4) -> str:
    """Floats to ``digits`` significant digits; ints as they are; missing or non-finite: a dash
    (or "inf"/"nan" spelled out, which a reader needs to see)."""
    if x is None:
        return DASH
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(f):
        return DASH
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    return f"{f:.{digits}g}"


def statistic(x: Any) -> str:
    """A claim's statistic; missing like :func:`suite.stats.verdicts.format_p` shows a missing p."""
    shown = number(x)
    return "-" if shown == DASH else shown


def seconds(x: Any) -> str:
    try:
        s = float(x)
    except (TypeError, ValueError):
        return DASH
    if not math.isfinite(s):
        return DASH
    if s < 1:
        return f"{s:.2f} s"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {s % 60:02.0f} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def rate(count: Any, secs: Any) -> str:
    try:
        c, s = float(count), float(secs)
    except (TypeError, ValueError):
        return DASH
    if c <= 0 or not math.isfinite(s) or s <= 0:
        return DASH
    r = c / s
    return f"{r:,.0f}" if r >= 100 else f"{r:.3g}"


def count(x: Any) -> str:
    try:
        n = int(x)
    except (TypeError, ValueError):
        return DASH
    return f"{n:,}" if n else DASH


def date(x: Any) -> str:
    if not x:
        return DASH
    try:
        d = datetime.fromisoformat(str(x))
    except ValueError:
        return str(x)
    text = d.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text} {d.strftime('%Z')}".strip() if d.tzinfo else text


def _truncate(text: str, limit: int = MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def inline(v: Any) -> str:
    """A nested value on one line: ``{a: 1, b: [1, 2]}``."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {inline(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        items = [inline(x) for x in v[:MAX_ITEMS]]
        if len(v) > MAX_ITEMS:
            items.append(f"\u2026 +{len(v) - MAX_ITEMS} more")
        return "[" + ", ".join(items) + "]"
    if isinstance(v, str):
        return v
    return number(v)


def value(v: Any) -> str:
    """A details, config or meta value as plain text: scalars and flat lists on one line; a dict
    or a list of containers one entry per line."""
    if isinstance(v, dict):
        return _truncate("\n".join(f"{k}: {inline(x)}" for k, x in v.items()))
    if isinstance(v, (list, tuple)) and any(isinstance(x, (dict, list, tuple)) for x in v):
        lines = [inline(x) for x in v[:MAX_ITEMS]]
        if len(v) > MAX_ITEMS:
            lines.append(f"\u2026 +{len(v) - MAX_ITEMS} more")
        return _truncate("\n".join(lines))
    return _truncate(inline(v))


def bounds(v: Any, missing: str = "-") -> str:
    """An interval as ``[low, high]`` to 3 significant digits, or ``missing``."""
    return missing if not v else f"[{float(v[0]):.3g}, {float(v[1]):.3g}]"


def interval_text(c: ClaimResult) -> str:
    """``[low, high]`` at the interval's level (e.g. ``90% [0.12, 0.34]``), or ``-``."""
    if c.interval is None:
        return "-"
    level = f"{c.interval_level:.0%} " if c.interval_level else ""
    return f"{level}{bounds(c.interval)}"


def looks_text(c: ClaimResult) -> str:
    """Looks taken of those planned (``2/3``), ``-`` for a claim without looks."""
    if not c.looks:
        return "-"
    return f"{len(c.looks.get('taken', []))}/{len(c.looks.get('planned', []))}"


def looks_sentence(c: ClaimResult) -> str:
    """The claim's looks in words: seeds at each look, its verdict there, why seeding stopped."""
    looks = c.looks
    steps = ", ".join(f"{t['seeds']} seeds: {t['verdict']}" for t in looks.get("taken", []))
    planned = "/".join(str(n) for n in looks.get("planned", []))
    decided = looks.get("decided_at")
    first = f"first decided at look {decided}" if decided else "not decided at any look"
    why = {
        "decided": "every claim on the experiment was settled",
        # written by versions with a futility stop; kept so their claims.json still reads
        "futile": "every claim left open would need more seeds than the cap (its rule's estimate)",
        "cap": "the profile's cap was reached",
    }.get(looks.get("stopped"), str(looks.get("stopped")))
    return (
        f"Looks planned at {planned} seeds; taken: {steps}; {first}; seeding stopped because {why}."
    )
