"""The claims table printed at the end of a run (plain text, so it reads the same in CI logs)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from suite.report.text import interval_text, looks_text
from suite.stats.verdicts import ClaimResult, Verdict, format_p

HEADER = ("claim", "statistic", "interval", "margin", "p", "verdict", "seeds", "looks", "runs")
HEADER += ("time",)


def _cells(c: ClaimResult) -> tuple[str, ...]:
    return (
        c.claim,
        f"{c.statistic:.4g}",
        interval_text(c),
        "-" if c.margin is None else f"{c.margin:g}",
        format_p(c.p_value),
        c.label,
        str(c.n_seeds),
        looks_text(c),
        str(c.n_runs),
        f"{c.seconds:.1f}s",
    )


def claims_table(claims: Iterable[ClaimResult]) -> list[str]:
    """Fixed-width lines: claim, statistic, its interval, the margin, p, verdict, seeds, looks
    taken of those planned, runs, seconds; then the reason
    of every claim that was not supported, so a CI log says why without opening the report."""
    claims = list(claims)
    header = HEADER
    rows = [_cells(c) for c in claims]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [
        fmt.format(*header),
        fmt.format(*("-" * w for w in widths)),
        *(fmt.format(*r) for r in rows),
        *(
            f"  {c.claim}: {c.label.lower()}: {c.reason}"
            for c in claims
            if c.verdict is not Verdict.SUPPORTED and c.reason
        ),
    ]


def markdown_table(
    claims: Iterable[ClaimResult], meta: Mapping[str, Any], resumed: Collection[str] = ()
) -> list[str]:
    """The README's results table: the same cells, with the profile and device it was run on.

    A claim whose experiment (named in ``resumed``) was resumed from checkpoints has its time
    marked * : the seconds add up parts run in different sessions, not one sitting."""
    claims = list(claims)
    where = f"profile `{meta.get('profile', '?')}`, device `{meta.get('device', '?')}`"
    lines = [
        f"Measured at {where}, torch {meta.get('torch_version', meta.get('torch', '?'))}:",
        "",
        "| claim | statistic | interval | margin | p | verdict | seeds | looks | runs | training "
        "time |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in claims:
        cells = list(_cells(c))
        if c.experiment in resumed:
            cells[-1] += " *"
        lines.append("| " + " | ".join(cells) + " |")
    if any(c.experiment in resumed for c in claims):
        lines += ["", "\\* resumed from checkpoints: the seconds of all its parts together."]
    return lines


def compiles_line(count: int) -> str:
    """The session's compile count, for the terminal (the compiled engine only)."""
    return (
        f"compiled step: {count} graph(s) compiled in this process (one per stack and batch "
        "shape; TORCHINDUCTOR_CACHE_DIR keeps the kernels for the next run)"
    )
