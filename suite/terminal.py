"""The claims table printed at the end of a run (plain text, so it reads the same in CI logs)."""

from __future__ import annotations

from collections.abc import Iterable

from suite.verdicts import ClaimResult, format_p


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
