"""``python -m suite.stats.power``: the table of every rule's error rates and power."""

from suite.stats.power.table import main

raise SystemExit(main())
