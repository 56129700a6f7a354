"""Every claim trains (or reads from the run cache) real experiments: minutes, not seconds, so
each one is outside the fast tier (``pytest -m "not slow"``) as well as a generalization test."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("generalization") is not None:
            item.add_marker(pytest.mark.slow)
