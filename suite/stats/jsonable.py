"""Plain JSON data from what results hold (numpy scalars and arrays, enums, dataclasses, NaN).

JSON is strict here (no NaN): non-finite floats become the strings "nan", "inf" and "-inf",
and anything unknown its ``str``, so every file the suite writes is read by any JSON parser.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def jsonable(x: Any) -> Any:
    """``x`` as plain JSON data; anything unknown becomes its ``str``."""
    if x is None or isinstance(x, (bool, str, int)):
        return x
    if isinstance(x, float):
        if math.isfinite(x):
            return x
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, enum.Enum):
        return jsonable(x.value)
    if isinstance(x, np.generic):
        return jsonable(x.item())
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, (set, frozenset)):
        return [jsonable(v) for v in sorted(x, key=str)]
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return jsonable(dataclasses.asdict(x))
    if isinstance(x, (pd.Timestamp, Path)):
        return str(x)
    return str(x)


def number_or_none(x: Any) -> float | None:
    """A finite number, or None (null, "nan" and "inf" strings, anything not a number)."""
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None
