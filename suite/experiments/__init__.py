"""The homework's four experiments and the two beyond it, each a plain function from settings
and data to tidy frames.

Their records (``suite.records``) name them; the session's plan calls them through the run
cache (``suite.run.obtain``), and notebooks can call them too.
"""

from suite.experiments.batch_sweep import run_batch_sweep
from suite.experiments.interpolation import run_interpolation
from suite.experiments.label_corruption import run_label_corruption
from suite.experiments.measures import run_measures
from suite.experiments.random_labels import run_random_labels
from suite.experiments.width_sweep import run_width_sweep

__all__ = [
    "run_batch_sweep",
    "run_interpolation",
    "run_label_corruption",
    "run_measures",
    "run_random_labels",
    "run_width_sweep",
]
