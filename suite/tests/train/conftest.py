"""Fixtures of the thread tests: two intra-op threads, and fake loads for the policies."""

from __future__ import annotations

import pytest
import torch

from suite.tests.train.loads import BusyLoad, IdleLoad


@pytest.fixture
def two_threads():
    saved = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(saved)


@pytest.fixture
def busy_load() -> type[BusyLoad]:
    return BusyLoad


@pytest.fixture
def idle_load() -> type[IdleLoad]:
    return IdleLoad
