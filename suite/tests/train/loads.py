"""Fake CPU loads for the thread policies' tests (``suite.train.threads.CpuLoad``'s face)."""

from __future__ import annotations


class BusyLoad:
    """A load on two cores that always says one of them is taken."""

    cpus = (0, 1)
    last = 1.0

    def others(self) -> float:
        return 1.0

    def recent(self) -> float:
        return 1.0


class IdleLoad(BusyLoad):
    """A load on two cores that says nobody else uses them."""

    last = 0.0

    def others(self) -> float:
        return 0.0

    def recent(self) -> float:
        return 0.0
