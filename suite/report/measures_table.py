"""The measures x axes table under the measures figure: the numbers the granulated claims decide
on, from the claims' own decisions (``suite.stats.catalog``), so table and verdict agree.

One row per measure the frame holds (``suite.stats.grid.measures_in``), the built-ins and any
registered one; a measure's claim is the catalog's ``<measure>-granulated``
(``catalog.granulated_claim``'s id). A measure without one still gets its taus, from the same
rule, and no verdict."""

from __future__ import annotations

import pandas as pd

from suite.stats.catalog import CLAIMS, ClaimSpec, granulated_claim
from suite.stats.grid import AXES, AXIS_LABELS, measures_in
from suite.stats.verdicts import format_p

#: The verdict cell of a measure no claim is declared for.
NO_CLAIM = "no claim declared"


def claim_of(measure: str) -> ClaimSpec | None:
    """The catalog's granulated claim on ``measure`` (id ``<measure>-granulated``), if any."""
    return CLAIMS.get(f"{measure}-granulated")


def measures_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per measure: the within-seed Kendall tau with the gap (and its one-sided p) per
    axis, the granulated tau (mean over axes) and the claim's verdict (with its premise)."""
    rows = []
    for measure in measures_in(runs):
        row = {"measure": measure}
        claim = claim_of(measure)
        try:
            d = (claim or granulated_claim(measure)).decision({"runs": runs})
        except ValueError as exc:
            row["granulated"] = f"undefined: {exc}"
            rows.append(row)
            continue
        for axis in AXES:
            a = d.details["axes"][axis]
            row[AXIS_LABELS[axis]] = _cell(a["tau"], a["p_positive"], a["runs"])
        row["granulated (mean over axes)"] = f"\u03c4 = {d.statistic:+.3f}"
        row["verdict"] = (
            d.verdict.value + (" (premise unmet)" if d.premise_unmet else "")
            if claim is not None
            else NO_CLAIM
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(tau: float, p: float, n: int | None = None) -> str:
    runs = "" if n is None else f", {n} runs"
    return f"\u03c4 = {tau:+.3f} (p = {format_p(p)}{runs})"
