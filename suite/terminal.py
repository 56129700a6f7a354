"""The claims table printed at the end of a run (plain text, so it reads the same in CI logs)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from suite.verdicts import ClaimResult, format_p


def _cells(c: ClaimResult) -> tuple[str, ...]:
    return (
        c.claim,
        f"{c.statistic:.4g}",
        format_p(c.p_value),
        c.verdict.value.upper(),
        str(c.n_runs),
        f"{c.seconds:.1f}s",
    )


def claims_table(claims: Iterable[ClaimResult]) -> list[str]:
    """Fixed-width lines: claim, statistic, p, verdict, runs, seconds."""
    header = ("claim", "statistic", "p", "verdict", "runs", "time")
    rows = [
        (
            c.claim,
            f"{c.statistic:.4g}",
            format_p(c.p_value),
            c.verdict.value.upper(),
            str(c.n_runs),
            f"{c.seconds:.1f}s",
        )
        for c in claims
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [
        fmt.format(*header),
        fmt.format(*("-" * w for w in widths)),
        *(fmt.format(*r) for r in rows),
    ]


def markdown_table(claims: Iterable[ClaimResult], meta: Mapping[str, Any]) -> list[str]:
    """The README's results table: the same cells, with the profile and device it was run on."""
    where = f"profile `{meta.get('profile', '?')}`, device `{meta.get('device', '?')}`"
    lines = [
        f"Measured at {where}, torch {meta.get('torch_version', meta.get('torch', '?'))}:",
        "",
        "| claim | statistic | p | verdict | runs | training time |",
        "|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(_cells(c)) + " |" for c in claims]
    return lines
