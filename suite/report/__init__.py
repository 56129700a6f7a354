"""The HTML report: one self-contained page plus the files it is rendered from.

    write_report(claims, experiments, meta, Path("reports/run.html"))
    render_from_results(Path("reports"))          # the same report again, no training

``write_report`` first writes the results directory (claims.json, one CSV per frame, run.json)
beside the page and then renders the page from those files, so a re-render always shows what the
first rendering showed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from suite.report.files import read_results, write_results
from suite.report.model import ReportData
from suite.stats.verdicts import ClaimResult
from suite.train.frames import ExperimentResult

__all__ = ["ReportData", "read_results", "render_from_results", "render_html", "write_report"]


def __getattr__(name: str) -> Any:
    """``render_html`` on first use: it loads matplotlib and seaborn, which a pytest run that
    writes no report (or only reads ``suite.report.text``, as the terminal table does) skips."""
    if name == "render_html":
        from suite.report.html import render_html

        return render_html
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def write_report(
    claims: list[ClaimResult],
    experiments: list[ExperimentResult],
    meta: dict[str, Any],
    html_path: Path,
    comparison: dict[str, Any] | None = None,
) -> Path:
    """Writes ``html_path`` and, beside it, claims.json, run.json and one CSV per frame (and
    compare.json with ``comparison``, a :func:`suite.report.compare.compare_runs` object)."""
    html_path = Path(html_path)
    data = ReportData(list(claims), list(experiments), dict(meta or {}), comparison=comparison)
    write_results(data, html_path.parent)
    return render_from_results(html_path.parent, html_path)


def render_from_results(
    results_dir: Path, html_path: Path | None = None, stability: Path | None = None
) -> Path:
    """Renders the report of an earlier run from its results directory (default:
    ``results_dir/index.html``) without training anything; with a stability section from
    ``stability`` (a stability.json), or from ``results_dir/stability.json`` when present."""
    results_dir = Path(results_dir)
    html_path = Path(html_path) if html_path is not None else results_dir / "index.html"
    from suite.report.html import render_html

    page = render_html(read_results(results_dir, Path(stability) if stability else None))
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(page, encoding="utf-8")
    return html_path
