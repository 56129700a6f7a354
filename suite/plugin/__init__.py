"""The pytest face: options, hooks, fixtures, the ``claim`` object, the session's results and the
terminal table.

- ``hooks``: the plugin's hooks only (registered by the top-level conftest.py).
- ``options``: the ``--gen-*`` options and their validation; ``fixtures``: data, the plan's
  executor and one fixture per experiment; ``claim``: ``Claim.decide`` and documented
  refutations; ``session``: results collected across xdist workers; ``terminal``: the table.

May import everything below it: ``suite.train``, ``suite.experiments``, ``suite.stats``,
``suite.report``, ``suite.data``, ``suite.profiles``.
"""
