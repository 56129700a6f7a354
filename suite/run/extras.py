"""Whether an optional extra is installed, asked without importing it (or torch).

The options are validated at every pytest start; importing Ray's executor there to ask this
loaded torch and the whole training stack before a single test was collected.
"""

from __future__ import annotations

import importlib.util


def ray_installed() -> bool:
    """Whether Ray (the extra ``ray``) is installed. A directory named ``ray`` in the working
    directory (Ray's own temporary directory is /tmp/ray) is a namespace package to
    ``find_spec``, not Ray: it has no origin."""
    spec = importlib.util.find_spec("ray")
    return spec is not None and spec.origin is not None
