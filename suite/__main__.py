"""The command line: ``python -m suite fetch-data``, ``report``, ``stability``,
``results-table``, ``redecide``, ``compare`` and ``drift-power``.

``fetch-data`` gets MNIST ready before a run (e.g. on a login node with network access, for GPU
nodes without) and shows that it is the real thing; ``report`` renders a results directory to
HTML; ``stability`` runs the claims on disjoint seed sets and counts how often each verdict
repeats (``suite.stability``); ``redecide`` decides the claims again from a finished run's
saved frames; ``compare`` sets two runs' claims side by side with a drift test, and
``drift-power`` simulates that test's error rates. Errors are one line on stderr and exit
code 2 (``compare`` refuses runs of another profile, seed base or device with exit 4).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from suite.data.idx import (
    DATA_ROOT_ENV,
    MNIST_TEST_CLASS_COUNTS,
    MNIST_TRAIN_CLASS_COUNTS,
    MnistUnavailable,
    raw_dir,
)


class CommandError(Exception):
    """A failure to report as one line, without a traceback."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
    except (CommandError, MnistUnavailable, OSError, ValueError) as error:
        print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m suite", description="Generalization claims on MNIST: utilities."
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    fetch = commands.add_parser(
        "fetch-data",
        help="fetch (or find) MNIST, verify it and show where it is",
        description="Fetch MNIST (or find it), verify it, print split sizes and class counts.",
    )
    fetch.add_argument(
        "--data-root",
        metavar="PATH",
        help=f"torchvision-layout root (default: ${DATA_ROOT_ENV}, else the per-user cache)",
    )
    fetch.set_defaults(command=fetch_data)

    report = commands.add_parser(
        "report",
        help="render a results directory to a self-contained HTML report",
        description="Render a results directory to a self-contained HTML report.",
    )
    report.add_argument("results_dir", metavar="RESULTS_DIR", help="directory of a finished run")
    report.add_argument("--output", metavar="HTML", help="where to write the report")
    report.add_argument(
        "--stability",
        metavar="FILE",
        help="a stability.json to show in a Stability section (default: RESULTS_DIR's own, if any)",
    )
    report.set_defaults(command=render_report)

    stability = commands.add_parser(
        "stability",
        help="run the claims on disjoint seed sets and count how often each verdict repeats",
        description="Run pytest's claims once per seed set (--gen-seed-base b for b in FIRST_BASE "
        ".. FIRST_BASE+SETS-1), sharing the run cache, then print and write each claim's verdict "
        "counts, agreement and flips (stability.json, stability.csv). A finished set is not run "
        "again, so a killed measurement resumes.",
    )
    stability.add_argument("--profile", default="ci", help="experiment profile (default ci)")
    stability.add_argument("--sets", type=int, default=20, help="number of seed sets (default 20)")
    stability.add_argument(
        "--first-base", type=int, default=0, metavar="N", help="first seed base (default 0)"
    )
    stability.add_argument(
        "-n",
        "--workers",
        type=int,
        default=1,
        metavar="WORKERS",
        help="sets run at once, each with an equal share of the CPU cores (default 1)",
    )
    stability.add_argument(
        "--out", metavar="DIR", help="output directory (default reports/stability-<profile>)"
    )
    stability.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="where each set trains its experiments (--gen-executor; default local)",
    )
    stability.add_argument(
        "--ray-address",
        default="",
        metavar="ADDR",
        help="the Ray cluster every set joins (--gen-ray-address: auto or host:port); needed "
        "with --executor ray when several sets run at once",
    )
    stability.add_argument(
        "--pytest-args",
        default="",
        metavar="ARGS",
        help='more pytest arguments for every set, one string (e.g. "--gen-device cpu")',
    )
    stability.set_defaults(command=measure_stability)

    table = commands.add_parser(
        "results-table",
        help="print the claims of a results directory as a Markdown table (for the README)",
        description="Print the claims of a results directory as a Markdown table.",
    )
    table.add_argument("results_dir", metavar="RESULTS_DIR", help="directory of a finished run")
    table.set_defaults(command=results_table)

    again = commands.add_parser(
        "redecide",
        help="decide every claim again from a results directory's saved frames (no training)",
        description="Decide every claim again, with this code's rules, from the frames a "
        "finished run saved (its CSVs); print the claims table, and the Markdown table with "
        "--markdown. Nothing is trained or written.",
    )
    again.add_argument("results_dir", metavar="RESULTS_DIR", help="directory of a finished run")
    again.add_argument("--markdown", action="store_true", help="print the README's table")
    again.set_defaults(command=redecide_results)

    compare = commands.add_parser(
        "compare",
        help="compare two report folders: changed verdicts and statistics that drifted",
        description="Compare the claims of two finished runs (report folders): per claim the "
        "verdict old -> new, the statistic and interval of each, and whether the statistic "
        "moved more than the seeds explain (a two-sided two-sample test on the per-seed "
        "values, Holm over the claims, family-wise alpha 0.05). Prints a table and writes "
        "compare.json (into NEW unless --out). Exit 0, or 1 when --fail finds a change; "
        "runs of another profile, seed base or device are refused (exit 4).",
    )
    compare.add_argument("old", metavar="OLD", help="the baseline's report folder")
    compare.add_argument("new", metavar="NEW", help="the report folder to compare with it")
    compare.add_argument("--out", metavar="DIR", help="where compare.json goes (default NEW)")
    compare.add_argument(
        "--fail",
        choices=("verdict", "drift"),
        help="exit 1 when a verdict changed (verdict) or also when a claim drifted (drift)",
    )
    compare.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="compare runs of another seed base or device too (the drift test stays valid; "
        "a changed verdict may then be chance)",
    )
    compare.set_defaults(command=compare_folders)

    power = commands.add_parser(
        "drift-power",
        help="simulate the drift test's family-wise false-positive rate and its power",
        description="Draw two runs' per-seed values of every claim from one population (a "
        "reference run's seed counts, means and spreads), compare them as `compare` does, "
        "and print the share of comparisons that flag any claim; then each claim's power "
        "at a known shift.",
    )
    power.add_argument(
        "--claims",
        default="reports/reference-ci/claims.json",
        metavar="FILE",
        help="claims.json whose claims are the populations (default reports/reference-ci)",
    )
    power.add_argument("--draws", type=int, default=2000, help="comparisons for the rate")
    power.add_argument("--power-draws", type=int, default=500, help="comparisons per claim")
    power.add_argument("--shift", type=float, default=2.0, help="the shift, in seed sds")
    power.add_argument("--seed", type=int, default=0, help="seed of the generator")
    power.set_defaults(command=drift_power)
    return parser


def fetch_data(args: argparse.Namespace) -> int:
    import torch

    from suite.data.splits import class_counts, load_mnist

    splits = load_mnist(args.data_root, progress=_say)
    train_counts = class_counts(torch.cat([splits.train_y, splits.val_y]))
    test_counts = class_counts(splits.test_y)
    if (
        tuple(train_counts) != MNIST_TRAIN_CLASS_COUNTS
        or tuple(test_counts) != MNIST_TEST_CLASS_COUNTS
    ):
        raise CommandError(
            f"the files in {raw_dir(splits.root)} are well-formed IDX files but not MNIST: "
            f"class counts {train_counts} (train) and {test_counts} (test) differ from MNIST's"
        )
    print(
        f"splits: train {len(splits.train_y)}, val {len(splits.val_y)}, test {len(splits.test_y)}"
    )
    print(f"class counts, 60,000 training images: {_counts(train_counts)}")
    print(f"class counts, 10,000 test images:     {_counts(test_counts)}")
    print(f"checksum (SHA-256 of the four IDX files): {splits.checksum}")
    print(f"files: {raw_dir(splits.root)}")
    print(f"data root: {splits.root}  (for --gen-data-root or {DATA_ROOT_ENV})")
    return 0


def render_report(args: argparse.Namespace) -> int:
    try:
        from suite.report import render_from_results
    except ImportError as error:
        raise CommandError(
            f"the report renderer (suite.report) is not available: {error}"
        ) from error
    output = Path(args.output) if args.output else None
    stability = Path(args.stability) if args.stability else None
    if stability is not None and not stability.is_file():
        raise CommandError(f"--stability: {stability} is not a file")
    html_path = render_from_results(Path(args.results_dir), html_path=output, stability=stability)
    print(html_path)
    return 0


def measure_stability(args: argparse.Namespace) -> int:
    from suite.profiles import PROFILES
    from suite.stability import (
        PROJECT_ROOT,
        executor_args,
        pytest_command,
        run_stability,
        table_lines,
    )

    if args.profile not in PROFILES:
        raise CommandError(f"unknown profile {args.profile!r}; choose one of {', '.join(PROFILES)}")
    for name, value, least in (("--sets", args.sets, 1), ("--first-base", args.first_base, 0)):
        if value < least:
            raise CommandError(f"{name} must be >= {least}, got {value}")
    if args.workers < 1:
        raise CommandError(f"-n must be >= 1, got {args.workers}")
    if args.executor == "local" and args.ray_address:
        raise CommandError("--ray-address needs --executor ray")
    if args.executor == "ray" and args.workers > 1 and not args.ray_address:
        raise CommandError(
            "-n > 1 with --executor ray: the sets must share one cluster; start it with "
            "`ray start --head` and give --ray-address auto"
        )
    out = Path(args.out) if args.out else PROJECT_ROOT / "reports" / f"stability-{args.profile}"
    extra = executor_args(args.executor, args.ray_address) + shlex.split(args.pytest_args)
    summary = run_stability(
        args.profile,
        args.sets,
        out.absolute(),
        first_base=args.first_base,
        workers=args.workers,
        command=lambda profile, base, html: pytest_command(profile, base, html, extra),
        progress=_say,
    )
    print("\n".join(table_lines(summary)))
    print(f"written: {out / 'stability.json'} and {out / 'stability.csv'}")
    return 0


def results_table(args: argparse.Namespace) -> int:
    from suite.plugin.terminal import markdown_table
    from suite.report.files import read_results

    data = read_results(Path(args.results_dir))
    resumed = {e.name for e in data.experiments if e.extra.get("resumed_after_s")}
    print("\n".join(markdown_table(data.claims, data.meta, resumed)))
    return 0


def redecide_results(args: argparse.Namespace) -> int:
    from suite.plugin.terminal import claims_table, markdown_table
    from suite.report.files import read_results
    from suite.report.redecide import redecide

    directory = Path(args.results_dir)
    if not directory.is_dir():
        raise CommandError(f"{directory} is not a directory")
    data = read_results(directory)
    claims = redecide(data)
    lines = markdown_table(claims, data.meta) if args.markdown else claims_table(claims)
    print("\n".join(lines))
    return 0


def compare_folders(args: argparse.Namespace) -> int:
    from suite.report.compare import (
        BaselineError,
        compare_runs,
        load_baseline,
        mismatch,
        table_lines,
        write_comparison,
    )

    try:
        old_claims, old_meta = load_baseline(Path(args.old))
        new_claims, new_meta = load_baseline(Path(args.new))
    except BaselineError as error:
        raise CommandError(str(error)) from None
    why = mismatch(old_meta, new_meta)
    if why is not None and not args.allow_mismatch:
        print(f"error: not compared: {why} (--allow-mismatch compares anyway)", file=sys.stderr)
        return 4
    comparison = compare_runs(
        old_claims, new_claims, old_meta, new_meta, old_label=args.old, new_label=args.new
    )
    print("\n".join(table_lines(comparison)))
    print(f"written: {write_comparison(comparison, Path(args.out or args.new))}")
    failed = comparison["verdict_changes"] if args.fail else 0
    failed += comparison["drifts"] if args.fail == "drift" else 0
    return 1 if failed else 0


def drift_power(args: argparse.Namespace) -> int:
    from suite.stats.power.drift import report_lines

    claims = Path(args.claims)
    if not claims.is_file():
        raise CommandError(f"--claims: {claims} is not a file")
    for name, value in (("--draws", args.draws), ("--power-draws", args.power_draws)):
        if value < 1:
            raise CommandError(f"{name} must be >= 1, got {value}")
    lines = report_lines(claims, args.draws, args.power_draws, args.shift, args.seed)
    print("\n".join(lines))
    return 0


def _counts(counts: Sequence[int]) -> str:
    return " ".join(str(count) for count in counts)


def _say(message: str) -> None:
    print(message, flush=True)


if __name__ == "__main__":
    sys.exit(main())
