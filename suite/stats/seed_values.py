"""The per-seed values a claim's statistic is built from, read in one place from any rule's
decision, so that two runs of a claim can be compared seed by seed (issue 27).

Every rule already keeps its per-seed numbers in ``Decision.details`` under its own names
(``per_seed_tau``, ``rise``, ``barrier_points``, ...). Rather than have each rule restate them,
:func:`seed_values` knows, per rule, which of them the statistic is the mean (or the share) of,
and returns them with the scale a two-sample test should compare them on:

- ``mean``: the statistic is the mean of the values (a within-seed Kendall tau, an offset, a
  rise, a paired barrier difference); compared as they are.
- ``log``: the statistic is the mean of non-negative, right-skewed values (error barriers);
  compared on the log scale (values floored at the rule's floor), where their spread is even.
- ``share``: the statistic is the share of seeds with value 1 (a proportion claim); compared
  as counts of 0/1 outcomes.

Where a statistic is the worst of several components (the smaller of the train and test
barriers, the fraction of wrong labels fitted by the fewest seeds) the values are those of the
component that gave the statistic, so their mean is the statistic itself. Reading the details
(not the rule's code) also makes claims.json files written before issue 27 comparable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SCALES = ("mean", "log", "share")
#: Error barriers are floored here before the log (the rules' own floor: ``skewed.FLOOR``).
LOG_FLOOR = 0.005
#: A seed "fits" when its train accuracy is 1 up to float rounding (``fits.ACC_TOL``).
ACC_TOL = 1e-12


@dataclass(frozen=True)
class SeedValues:
    """One run's per-seed values of a claim and the scale they compare on."""

    values: tuple[float, ...]
    scale: str

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {self.scale!r}")


def _numbers(v: Any) -> list[float] | None:
    """A list of finite floats (``"nan"`` strings and None dropped), or None if not a list."""
    if not isinstance(v, (list, tuple)):
        return None
    out = []
    for x in v:
        try:
            x = float(x)
        except (TypeError, ValueError):
            continue
        if math.isfinite(x):
            out.append(x)
    return out


def _key(name: str, scale: str) -> Callable[[Mapping[str, Any]], SeedValues | None]:
    def read(d: Mapping[str, Any]) -> SeedValues | None:
        values = _numbers(d.get(name))
        return SeedValues(tuple(values), scale) if values else None

    return read


def _worst(components: list[list[float]], scale: str) -> SeedValues | None:
    """The component with the smallest mean: the one the statistic (a minimum) is."""
    components = [c for c in components if c]
    if not components:
        return None
    worst = min(components, key=lambda c: sum(c) / len(c))
    return SeedValues(tuple(worst), scale)


def _full_accuracy(d: Mapping[str, Any]) -> SeedValues | None:
    acc = _numbers(d.get("per_seed"))
    return SeedValues(tuple(float(a >= 1.0 - ACC_TOL) for a in acc), "share") if acc else None


def _fitting_every_group(d: Mapping[str, Any]) -> SeedValues | None:
    per_group = d.get("fitted_per_seed")
    if isinstance(per_group, Mapping):
        return _worst([_numbers(v) or [] for v in per_group.values()], "share")
    # Written before the outcomes were kept: each group's counts give the same 0/1 values.
    counts = [
        v
        for k, g in d.items()
        if k.startswith("per_") and isinstance(g, Mapping)
        for v in g.values()
        if isinstance(v, Mapping) and {"fitted", "runs"} <= set(v)
    ]
    ones = [[1.0] * int(v["fitted"]) + [0.0] * (int(v["runs"]) - int(v["fitted"])) for v in counts]
    return _worst(ones, "share")


def _peak_barrier(d: Mapping[str, Any]) -> SeedValues | None:
    curves = d.get("per_curve") or {}
    parts = [
        _numbers(c.get("barrier_points")) or [] for c in curves.values() if "barrier_points" in c
    ]
    return _worst(parts, "log")


def _barrier_difference(d: Mapping[str, Any]) -> SeedValues | None:
    parts = [_difference(v) for v in d.values() if isinstance(v, Mapping)]
    return _worst([p for p in parts if p], "mean")


def _difference(v: Mapping[str, Any]) -> list[float]:
    """One accuracy's per-seed barrier differences (higher - lower group)."""
    if "per_seed_difference" in v:
        return _numbers(v["per_seed_difference"]) or []
    # Written before the differences were kept: the two groups' barriers, paired by seed, in
    # the order whose mean is the recorded mean difference.
    pairs = [_numbers(x) or [] for k, x in v.items() if str(k).startswith("barrier_")]
    if len(pairs) != 2 or len(pairs[0]) != len(pairs[1]) or not pairs[0]:
        return []
    diff = [a - b for a, b in zip(pairs[0], pairs[1], strict=True)]
    mean = float(v.get("mean_difference", 0.0))
    return (
        diff
        if abs(sum(diff) / len(diff) - mean) <= abs(sum(diff) / len(diff) + mean)
        else [-x for x in diff]
    )


#: rule name (``Decision.rule``) -> how its seed values are read from its details.
READERS: dict[str, Callable[[Mapping[str, Any]], SeedValues | None]] = {
    "within_seed_trend": _key("per_seed_tau", "mean"),
    "censored_trend": _key("per_seed_tau", "mean"),
    "monotone_in_width": _key("per_seed_tau", "mean"),
    "within_each_axis": _key("per_seed_tau", "mean"),
    "at_chance": _key("per_seed_offset", "mean"),
    "overfits": _key("rise", "mean"),
    "seeds_at_full_accuracy": _full_accuracy,
    "seeds_fitting_every_group": _fitting_every_group,
    "interpolation_peak": _peak_barrier,
    "lower_barrier": _barrier_difference,
}


def seed_values(rule: str, details: Mapping[str, Any]) -> SeedValues | None:
    """The per-seed values of a decision by ``rule`` with ``details``; None where the rule is
    unknown or its details hold none (a claim that errored, an old file)."""
    reader = READERS.get(rule)
    return None if reader is None else reader(details or {})
