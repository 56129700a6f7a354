"""The homework's four experiments and the two beyond it, each a plain function from settings
and data to tidy frames.

Fixtures in ``suite.plugin.fixtures`` call these (through the run cache); notebooks can
call them too.
"""

from suite.experiments.batch_sweep import run_batch_sweep
from suite.experiments.interpolation import run_interpolation
from suite.experiments.label_corruption import run_label_corruption
from suite.experiments.measures import run_measures
from suite.experiments.random_labels import run_random_labels
from suite.experiments.width_sweep import run_width_sweep

RUNNERS = {
    "random_labels": run_random_labels,
    "width_sweep": run_width_sweep,
    "interpolation": run_interpolation,
    "batch_sweep": run_batch_sweep,
    "label_corruption": run_label_corruption,
    "measures": run_measures,
}

__all__ = [
    "RUNNERS",
    "run_batch_sweep",
    "run_interpolation",
    "run_label_corruption",
    "run_measures",
    "run_random_labels",
    "run_width_sweep",
]
