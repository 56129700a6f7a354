"""Generalization claims of the "HW 1-3 Generalization" homework as statistical pytest tests.

The package holds the machinery (data, engine, experiments, rules, report); the homework's
claims live in ``suite/claims/``. What a user needs to add claims, experiments, models and
measures of their own is re-exported from :mod:`suite.api` (``from suite import ClaimSpec``),
on first use: importing the package itself stays cheap (no torch).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The public face lives on the top floor (suite.api imports the training stack): loaded
    # by name here, when first asked for, so that the plugin can import the package at start.
    if name.startswith("_"):  # tools probing for dunders (__wrapped__, __path__...) load nothing
        raise AttributeError(f"module 'suite' has no attribute {name!r}")
    api = importlib.import_module("suite.api")
    if name in api.__all__:
        return getattr(api, name)
    raise AttributeError(f"module 'suite' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *importlib.import_module("suite.api").__all__])
