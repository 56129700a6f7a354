"""Registers the suite's pytest plugin; options, markers and fixtures live in ``suite``."""

pytest_plugins = ["suite.plugin", "suite.fixtures"]
