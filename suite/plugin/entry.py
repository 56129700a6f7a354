"""The ``pytest11`` entry point (``pyproject.toml``): installing the package makes the plugin's
options, markers, fixtures and report available in any project, with no conftest.

It only names the two plugin modules; pytest registers each under its module name, so the
suite's own top-level conftest.py, which names them too, does not register them twice. Another
project can switch the plugin off with ``-p no:generalization``.
"""

pytest_plugins = ["suite.plugin.hooks", "suite.plugin.fixtures"]
