"""The fixed decision rules of the claims (DESIGN.md section 2), one plain function per rule.

Every rule takes measured data (a tidy table: a DataFrame or a dict of column arrays, one row
per run or per observation) and returns a :class:`~suite.stats.verdicts.Decision` with one of three
verdicts. The seed is the unit of evidence: rules compute a statistic within each seed and
test across seeds; rows of one seed are never pooled as independent observations. Margins
(the smallest effects of interest) and levels come from the claim records
(``suite.stats.catalog``); no rule has defaults of its own. How often each rule is fooled, and
how often it finds the calibrated effects, is simulated in
``suite.stats.power`` with the dependence the experiments have.

Families, one module each:

- ``fits``: at least a share P of the seeds reach 100% train accuracy, exact binomial
  (``random-labels-fit``, ``corruption-fit``)
- ``equivalence``: TOST around a per-seed chance reference (``random-labels-chance``)
- ``trends``: within-seed Kendall trends (sensitivity, sharpness, corruption, fit time), the
  width sweep (trend + paired non-inferiority over every pair)
- ``overfit``: the per-seed rise of the test loss while the train loss falls
- ``barriers``: Frankle et al.'s error barrier (``interpolation-peak``,
  ``shared-init-lower-barrier``)
- ``granulated``: a measure within each hyperparameter axis (Jiang et al. 2020)
- ``paired``: one arm against another within each seed (a user's "A lowers y", e.g. dropout)
- ``significance``: the tests they are built from (t across seeds, TOST, stratified Kendall)
"""

from suite.stats.rules.barriers import error_barriers, interpolation_peak, lower_barrier
from suite.stats.rules.equivalence import at_chance
from suite.stats.rules.fits import seeds_at_full_accuracy, seeds_fitting_every_group
from suite.stats.rules.granulated import within_each_axis
from suite.stats.rules.overfit import overfits
from suite.stats.rules.paired import seed_difference
from suite.stats.rules.trends import censored_trend, monotone_in_width, within_seed_trend

__all__ = [
    "at_chance",
    "censored_trend",
    "error_barriers",
    "interpolation_peak",
    "lower_barrier",
    "monotone_in_width",
    "overfits",
    "seed_difference",
    "seeds_at_full_accuracy",
    "seeds_fitting_every_group",
    "within_each_axis",
    "within_seed_trend",
]
