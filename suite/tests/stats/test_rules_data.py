"""What every rule refuses to decide, and what every decision carries.

Data a rule cannot decide honestly raise ValueError (the claim turns it into INCONCLUSIVE and
an error, never a pass): a NaN (a diverged run), a single seed (no test across seeds), an
incomplete (seed, x) grid (the comparisons within seeds would differ between seeds). Each rule
is called as its claim test calls it, on a small valid table that each case then breaks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pytest

from suite.stats import rules
from suite.stats.catalog import CLAIMS, Ask
from suite.stats.verdicts import Decision

SEEDS = np.arange(3)


def per_seed(xs, **columns: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> pd.DataFrame:
    """A (seed, x) grid: one row per pair, columns computed from the seed and x arrays."""
    seed, x = np.repeat(SEEDS, len(xs)), np.tile(np.asarray(xs), len(SEEDS))
    return pd.DataFrame({"seed": seed, **{k: f(seed, x) for k, f in columns.items()}})


def batch_sweep() -> pd.DataFrame:
    return per_seed(
        [500, 1000, 1500, 2000],
        batch_size=lambda s, b: b,
        sensitivity=lambda s, b: 1 + b / 1000 + 0.1 * s,
        gap=lambda s, b: 0.1 + b / 10_000,
        test_acc=lambda s, b: 0.95 - b / 100_000 - 0.001 * s,
        train_acc=lambda s, b: np.ones_like(b, dtype=float),
    )


def label_corruption() -> pd.DataFrame:
    return per_seed(
        [0.0, 0.5, 1.0],
        fraction=lambda s, f: f,
        epochs_to_fit=lambda s, f: 5 + 50 * f + s,
        fitted=lambda s, f: np.ones_like(f, dtype=bool),
    )


def width_sweep() -> pd.DataFrame:
    return per_seed(
        [5, 10, 20],
        width=lambda s, w: w,
        params=lambda s, w: 800 * w,
        test_acc=lambda s, w: 0.8 + w / 100 + 0.001 * s,
    )


def random_labels_curves() -> pd.DataFrame:
    return per_seed(
        np.arange(0, 50, 10),
        epoch=lambda s, e: e,
        test_loss=lambda s, e: 2.0 + 0.2 * e + 0.1 * s,
        train_loss=lambda s, e: 2.3 - 0.04 * e,
    )


def interpolation(init: str = "independent") -> pd.DataFrame:
    bump = lambda s, a: 30 * (1 - np.abs(2 * a - 1)) + s  # noqa: E731
    return per_seed(
        np.linspace(0.0, 1.0, 11),
        init=lambda s, a: np.full(a.shape, init),
        alpha=lambda s, a: a,
        train_acc=lambda s, a: 0.98 - bump(s, a) / 100,
        test_acc=lambda s, a: 0.97 - bump(s, a) / 100,
        train_loss=lambda s, a: 0.05 + bump(s, a) / 10,
        test_loss=lambda s, a: 0.1 + bump(s, a) / 10,
    )


def both_inits() -> pd.DataFrame:
    flat = interpolation("shared")
    flat[["train_acc", "test_acc"]] = 0.97
    return pd.concat([flat, interpolation("independent")], ignore_index=True)


def random_labels_final() -> pd.DataFrame:
    return pd.DataFrame({"seed": SEEDS, "test_acc": [0.1, 0.101, 0.099], "chance_ref": 0.1})


def measures() -> pd.DataFrame:
    base = {"batch_size": 1000, "lr": 3e-3, "corruption": 0.0}
    axes = {"batch_size": [500, 2000], "lr": [1e-3, 1e-2], "corruption": [0.2, 0.4]}
    rows = []
    for seed in SEEDS:
        rows.append({"seed": seed, **base, "gap": 0.2, "sensitivity": 1.0})
        for axis, values in axes.items():
            for k, v in enumerate(values):
                rows.append({"seed": seed, **base, axis: v, "gap": 0.1 + 0.2 * k, "sensitivity": k})
    return pd.DataFrame(rows).assign(reached_stop=True)


@dataclass(frozen=True)
class Case:
    """A claim's own decision (its catalog record) on a valid table, and the column a diverged
    run spoils: the rule is called exactly as the claim calls it, from one place."""

    claim: str
    table: Callable[[], pd.DataFrame]
    measured: str
    grid: bool = False  # needs the same x values in every seed
    case: str | None = None

    def __call__(self, table: pd.DataFrame | None = None) -> Decision:
        spec = CLAIMS[self.claim]
        frames = {spec.frame: self.table() if table is None else table}
        return spec.decide(frames, Ask(spec, spec.alpha, self.case))


CASES = {
    "within_seed_trend": Case("sensitivity-accuracy", batch_sweep, "test_acc"),
    "censored_trend": Case("fit-time-grows", label_corruption, "epochs_to_fit"),
    "monotone_in_width": Case("width-monotone", width_sweep, "test_acc", grid=True),
    "overfits": Case("random-labels-overfit", random_labels_curves, "test_loss", grid=True),
    "interpolation_peak": Case(
        "interpolation-peak", interpolation, "test_acc", grid=True, case="independent"
    ),
    "lower_barrier": Case("shared-init-lower-barrier", both_inits, "test_acc", grid=True),
    "at_chance": Case("random-labels-chance", random_labels_final, "test_acc"),
    "within_each_axis": Case("sensitivity-granulated", measures, "sensitivity"),
}
GRID = [name for name, case in CASES.items() if case.grid]


@pytest.mark.parametrize("name", CASES)
def test_details_are_strict_json_and_p_values_are_probabilities(name):
    d = CASES[name]()
    json.dumps(d.details, allow_nan=False)
    json.dumps({k: v for k, v in asdict(d).items() if k != "statistic"}, allow_nan=False)
    for p in (d.p_value, d.p_refute):
        assert p is None or 0.0 <= p <= 1.0


@pytest.mark.parametrize("name", CASES)
def test_a_nan_is_an_error(name):
    case = CASES[name]
    table = case.table()
    table.loc[table.index[-1], case.measured] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        case(table)


def test_a_nan_train_accuracy_is_an_error():
    with pytest.raises(ValueError, match="NaN or inf"):
        rules.seeds_at_full_accuracy(
            {"seed": [0, 1, 2], "train_acc": [1.0, np.nan, 1.0]},
            acc="train_acc",
            share=0.5,
            alpha=0.05,
        )


@pytest.mark.parametrize("name", CASES)
def test_one_seed_only_is_an_error(name):
    case = CASES[name]
    table = case.table()
    with pytest.raises(ValueError, match=r"at least [23] seeds"):
        case(table[table["seed"] == 0])


@pytest.mark.parametrize("name", GRID)
def test_an_incomplete_grid_is_an_error(name):
    case = CASES[name]
    table = case.table()
    with pytest.raises(ValueError, match="incomplete"):
        case(table.drop(index=table.index[-1]))


@pytest.mark.parametrize("name", CASES)
def test_a_missing_column_is_an_error(name):
    case = CASES[name]
    with pytest.raises(ValueError, match="missing column"):
        case(case.table().drop(columns=[case.measured]))
