"""Reading tidy tables into the arrays the rules test: checked, finite, on complete grids.

Data a rule cannot decide honestly raise :class:`ValueError` with a one-line reason, which the
claim turns into INCONCLUSIVE (never a pass): NaN or inf (a diverged run), a missing column, an
incomplete (seed, x) grid, too few seeds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

Table = pd.DataFrame | Mapping[str, ArrayLike]


def finite(values: ArrayLike, name: str) -> np.ndarray:
    """``values`` as a 1-D float array; ValueError if empty or not all finite."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: not numeric ({exc})") from None
    arr = arr.reshape(-1)
    if arr.size == 0:
        raise ValueError(f"{name}: no data")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(
            f"{name}: {int(bad.sum())} of {arr.size} values are NaN or inf (a diverged run "
            "cannot be decided)"
        )
    return arr


def _have(df: Table) -> list[str]:
    return list(df.columns) if isinstance(df, pd.DataFrame) else list(df)


def column(df: Table, col: str) -> np.ndarray:
    """A numeric column, all finite."""
    if col not in df:
        raise ValueError(f"missing column {col!r} (have {_have(df)})")
    return finite(df[col], f"column {col!r}")


def labels(df: Table, col: str) -> np.ndarray:
    """A key column (seed, width, init): any hashable values, but no missing ones."""
    if col not in df:
        raise ValueError(f"missing column {col!r} (have {_have(df)})")
    arr = np.asarray(df[col])
    if pd.isna(arr).any():
        raise ValueError(f"column {col!r}: missing values")
    return arr


def rows(df: Table, mask: np.ndarray) -> Table:
    """The rows of ``df`` where ``mask`` holds (DataFrame or dict of arrays alike)."""
    if isinstance(df, pd.DataFrame):
        return df[mask]
    return {k: np.asarray(v)[mask] for k, v in df.items()}


def seed_grid(
    df: Table, x: str, seed: str, ys: Sequence[str], decimals: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``ys`` as a (len(ys), n_seeds, n_x) array on a complete (seed, x) grid; x and seed keys.

    ``decimals`` rounds x first, so that grids computed in different ways (linspace, a + k h)
    that agree to that many decimals are the same grid. Every seed must be measured at the
    same x values: a comparison within seeds needs the same comparisons in each.
    """
    xs = column(df, x)
    if decimals is not None:
        xs = np.round(xs, decimals)
    seeds = labels(df, seed)
    if len(seeds) != len(xs):
        raise ValueError(f"columns {x!r} and {seed!r} differ in length")
    seed_keys, si = np.unique(seeds, return_inverse=True)
    x_keys, xi = np.unique(xs, return_inverse=True)
    n_s, n_x = len(seed_keys), len(x_keys)
    counts = np.bincount(si * n_x + xi, minlength=n_s * n_x)
    if counts.max() > 1:
        raise ValueError(f"duplicate ({seed}, {x}) rows")
    if counts.min() == 0:
        raise ValueError(
            f"incomplete ({seed}, {x}) grid: {int(np.sum(counts == 0))} of {n_s * n_x} "
            f"combinations missing (every seed must be measured at the same {x} values)"
        )
    out = np.empty((len(ys), n_s, n_x))
    for k, col in enumerate(ys):
        out[k, si, xi] = column(df, col)
    return out, x_keys, seed_keys


def need_seeds(n: int, what: str, least: int = 2) -> None:
    """A test across seeds needs at least ``least`` of them."""
    if n < least:
        raise ValueError(f"{what}: a test across seeds needs at least {least} seeds, got {n}")


def py(x: Any) -> Any:
    """numpy scalars to plain Python, so that ``details`` serialize to JSON."""
    return x.item() if isinstance(x, np.generic) else x


def floats(values: ArrayLike) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=float).reshape(-1)]


#: A run whose final train accuracy is at most this is "collapsed" (at chance, 0.1, on ten
#: classes: e.g. a narrow ReLU net whose units all died). Collapsed runs stay in the data.
COLLAPSED_ACC = 0.15


def collapsed(df: Table, keys: Sequence[str], acc: str = "train_acc") -> list[dict[str, Any]]:
    """The runs (their ``keys``) whose train accuracy is at chance; [] if ``acc`` is absent."""
    if acc not in df:
        return []
    a = np.asarray(df[acc], dtype=float)
    hit = np.flatnonzero(a <= COLLAPSED_ACC)
    cols = {k: np.asarray(df[k]) for k in keys if k in df}
    return [{**{k: py(v[i]) for k, v in cols.items()}, acc: float(a[i])} for i in hit]


def by_seed(
    df: Table, x: str, y: str, seed: str
) -> tuple[list, list[tuple[np.ndarray, np.ndarray]]]:
    """The seeds and, per seed, its (x, y) arrays (rows in table order)."""
    xs, ys, s = column(df, x), column(df, y), labels(df, seed)
    if not (len(xs) == len(ys) == len(s)):
        raise ValueError(f"columns {x!r}, {y!r}, {seed!r} differ in length")
    keys = list(dict.fromkeys(s.tolist()))
    return keys, [(xs[s == k], ys[s == k]) for k in keys]
