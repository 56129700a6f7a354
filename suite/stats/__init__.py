"""Statistics: the three verdicts, the decision rules by family, the measures-grid table, and the
simulation of every rule's error rates.

- ``verdicts``: ``Verdict``, ``Decision``, ``ClaimResult``.
- ``catalog``: one record per claim (wording, margin, level, experiment, its one decision).
- ``rules``: one module per family (significance, trends, equivalence, barriers, fits,
  granulated); ``grid``: the measures x axes table of the measures grid.
- ``resample``: the seed bootstrap (where a documented refutation's interval comes from when
  only one seed set exists).
- ``power``: the Monte-Carlo simulation of every rule under the experiments' dependence
  (``python -m suite.stats.power``).

Free of torch. May import: numpy, scipy, pandas, ``suite.profiles``.
"""
