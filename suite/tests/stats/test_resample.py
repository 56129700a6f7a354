"""The seed bootstrap resamples whole seeds, relabels repeats, and is reproducible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from suite.stats.resample import central_range, seed_bootstrap


def runs() -> pd.DataFrame:
    # three rows per seed; each seed's rows share one value, so a seed is the unit
    return pd.DataFrame(
        {"seed": np.repeat([10, 11, 12, 13], 3), "value": np.repeat([1.0, 2.0, 3.0, 4.0], 3)}
    )


def test_every_draw_keeps_as_many_seeds_and_rows_as_the_run():
    shapes = seed_bootstrap(runs(), lambda f: f["seed"].nunique() * 100 + len(f), draws=200)
    assert set(shapes) == {4 * 100 + 12}  # a seed drawn twice counts twice


def test_a_draw_takes_a_seed_with_all_its_rows():
    spread = seed_bootstrap(runs(), lambda f: f.groupby("seed")["value"].nunique().max(), draws=100)
    assert set(spread) == {1.0}


def test_the_statistic_stays_within_what_the_seeds_allow_and_varies():
    means = seed_bootstrap(runs(), lambda f: f["value"].mean(), draws=300)
    assert means.min() >= 1.0 and means.max() <= 4.0
    assert means.std() > 0.2
    low, high = central_range(means, 0.9)
    assert low < 2.5 < high


def test_the_same_rng_seed_gives_the_same_draws():
    first = seed_bootstrap(runs(), lambda f: f["value"].mean(), draws=50, rng_seed=3)
    again = seed_bootstrap(runs(), lambda f: f["value"].mean(), draws=50, rng_seed=3)
    other = seed_bootstrap(runs(), lambda f: f["value"].mean(), draws=50, rng_seed=4)
    assert np.array_equal(first, again) and not np.array_equal(first, other)


def test_draws_the_rule_cannot_decide_are_dropped():
    def rule(frame: pd.DataFrame) -> float:
        if frame["value"].nunique() < 2:
            raise ValueError("one value only")
        return float(frame["value"].mean())

    values = seed_bootstrap(runs(), rule, draws=400)
    assert 370 < len(values) < 400  # 4 of 256 draws take one seed four times


def test_central_range_is_the_percentile_interval():
    assert central_range(np.arange(101.0), 0.9) == pytest.approx((5.0, 95.0))
