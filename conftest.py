"""Registers the suite's pytest plugin; options, markers and fixtures live in ``suite``.

``pytester`` serves the plugin's own integration tests (``suite/tests/test_plugin.py``); pytest
accepts ``pytest_plugins`` only in this top-level conftest.
"""

pytest_plugins = ["suite.plugin.hooks", "suite.plugin.fixtures", "pytester"]
