"""Generalization claims of the "HW 1-3 Generalization" homework as statistical pytest tests.

The package holds the machinery (data, engine, experiments, rules, report); the claims themselves
live in ``suite/claims/``. Importing the package is cheap: torch is imported by the modules that
need it, not here.
"""

__version__ = "0.1.0"
