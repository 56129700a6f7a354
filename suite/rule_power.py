"""``python -m suite.rule_power``, the command issue 10 and the README name for the rules' error
rates; the simulation lives in :mod:`suite.stats.power`."""

from suite.stats.power.table import main

if __name__ == "__main__":
    raise SystemExit(main())
