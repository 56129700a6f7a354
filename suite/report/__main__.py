"""``python -m suite.report RESULTS_DIR [-o PAGE.html]``: re-render a report without training."""

from __future__ import annotations

import argparse
from pathlib import Path

from suite.report import render_from_results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suite.report", description=__doc__)
    parser.add_argument(
        "results_dir", type=Path, help="folder holding claims.json, run.json and the CSVs"
    )
    parser.add_argument(
        "-o", "--output", type=Path, default=None, help="page to write (default: DIR/index.html)"
    )
    args = parser.parse_args(argv)
    print(render_from_results(args.results_dir, args.output))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
