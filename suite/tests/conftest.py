"""The unit tests' shared setup: a test marked ``cuda`` runs only where a CUDA device is (so
``pytest -m cuda`` selects exactly the tests a GPU machine has to run)."""

from __future__ import annotations

import pytest


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("cuda") is None:
        return
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
