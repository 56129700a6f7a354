"""The busy-core benchmark's pieces: its --env parsing, its ratio, and that the loop is busy."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from suite.benchmarks.busy_core import BusyCoreResult, busy_loop, parse_env


def test_env_pairs_parse_and_bad_ones_stop_with_the_pair_named():
    assert parse_env(["OMP_WAIT_POLICY=PASSIVE", "A=b=c"]) == {
        "OMP_WAIT_POLICY": "PASSIVE",
        "A": "b=c",
    }
    with pytest.raises(SystemExit, match="NAME=VALUE, got 'PASSIVE'"):
        parse_env(["PASSIVE"])


def test_ratio_is_busy_over_alone():
    assert BusyCoreResult("random_labels", {}, 2, alone_s=10.0, busy_s=35.0).ratio == 3.5


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_busy_loop_keeps_a_core_busy():
    loop = busy_loop()
    try:
        time.sleep(0.3)  # the interpreter starts
        before, t0 = _cpu_seconds(loop.pid), time.monotonic()
        time.sleep(1.0)
        used = (_cpu_seconds(loop.pid) - before) / (time.monotonic() - t0)
        assert used > 0.4  # of one core (the machine may be loaded: well above idle is enough)
    finally:
        loop.kill()
        loop.wait()
