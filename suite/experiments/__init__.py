"""The homework's four experiments and the two beyond it, each a plain function from settings
and data to tidy frames.

Their records (``suite.records``) name them; the session's plan calls them through the run
cache (``suite.run.obtain``), and notebooks can call them too.
"""

from typing import Any

from suite.experiments.batch_sweep import run_batch_sweep
from suite.experiments.interpolation import run_interpolation
from suite.experiments.label_corruption import run_label_corruption
from suite.experiments.measures import run_measures
from suite.experiments.random_labels import run_random_labels
from suite.experiments.width_sweep import run_width_sweep

#: The experiments whose runs get every registered measure (``common.measure_generalization``).
MEASURED = frozenset({"batch_sweep", "measures"})


def keyed_settings(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """What the run cache keys experiment ``name`` on besides seeds, data and device: its
    settings and, where its runs are measured, the registered measures (names in order and a
    digest of each one's code, ``suite.measures.registry.fingerprint``), so a result computed
    with another set of measures, or a measure's older code, is never read back."""
    if name not in MEASURED:
        return settings
    from suite.measures.registry import fingerprint

    return {**settings, "measures": fingerprint()}


__all__ = [
    "MEASURED",
    "keyed_settings",
    "run_batch_sweep",
    "run_interpolation",
    "run_label_corruption",
    "run_measures",
    "run_random_labels",
    "run_width_sweep",
]
