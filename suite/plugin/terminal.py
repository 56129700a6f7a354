"""The claims table printed at the end of a run (plain text, so it reads the same in CI logs)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from suite.stats.verdicts import ClaimResult, Verdict, format_p

HEADER = ("claim", "statistic", "p", "verdict", "seeds", "runs", "time")


def _cells(c: ClaimResult) -> tuple[str, ...]:
    return (
        c.claim,
        f"{c.statistic:.4g}",
        format_p(c.p_value),
        c.label,
        str(c.n_seeds),
        str(c.n_runs),
        f"{c.seconds:.1f}s",
    )


def claims_table(claims: Iterable[ClaimResult]) -> list[str]:
    """Fixed-width lines: claim, statistic, p, verdict, seeds, runs, seconds; then the reason
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


def markdown_table(claims: Iterable[ClaimResult], meta: Mapping[str, Any]) -> list[str]:
    """The README's results table: the same cells, with the profile and device it was run on."""
    where = f"profile `{meta.get('profile', '?')}`, device `{meta.get('device', '?')}`"
    lines = [
        f"Measured at {where}, torch {meta.get('torch_version', meta.get('torch', '?'))}:",
        "",
        "| claim | statistic | p | verdict | seeds | runs | training time |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(_cells(c)) + " |" for c in claims]
    return lines
