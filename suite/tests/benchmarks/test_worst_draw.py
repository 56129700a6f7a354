"""``suite.benchmarks.worst_draw``: every experiment trained round by round to its cap."""

from __future__ import annotations

from suite.benchmarks.worst_draw import every_round_to_the_cap
from suite.profiles import CI


def test_every_round_of_every_named_experiment_is_trained_to_the_cap():
    trained = []
    seconds = every_round_to_the_cap(
        CI,
        ["batch_sweep", "label_corruption"],
        lambda name, s: trained.append((name, s.start, s.end)),
        base=7,
    )
    assert trained == [
        ("batch_sweep", 0, 6),
        ("batch_sweep", 6, 10),
        ("label_corruption", 0, 6),
        ("label_corruption", 6, 12),
    ]
    assert set(seconds) == {"batch_sweep", "label_corruption"}
    assert all(s >= 0 for s in seconds.values())
