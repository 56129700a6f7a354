"""Project the ``paper`` profile's training time from measured per-step times of each stack.

    python -m suite.benchmarks.project_paper [--device cpu|cuda]

Trains a few steps of every stack the paper profile trains (same members, batch sizes and data)
and multiplies by the number of steps; evaluation, label corruption and measures are left out.
A planning tool for the GPU work of issue 5, not a test.
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from suite.engine import BatchSchedule, Member, _step, init_params
from suite.profiles import PAPER
from suite.splits import load_mnist


def seconds_per_step(members, data, n, batch, lr, per_member_labels=False, steps=30) -> float:
    x, y = data.train_x[:n], data.train_y[:n]
    if per_member_labels:
        y = y.expand(len(members), -1).contiguous()
    device = x.device
    params = [p.requires_grad_(True) for p in init_params(members, device)]
    opt = torch.optim.Adam(params, lr=lr, fused=True)
    schedule = BatchSchedule(members, n, batch, device)
    batches = schedule.epoch()
    for i in range(steps + 5):
        if i == 5:
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        _step(params, opt, x, y, batches[i % len(batches)], schedule)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    device = parser.parse_args().device
    data = load_mnist(device=device)
    seeds, total = PAPER.seeds, 0.0

    def report(name: str, per_step: float, steps: int) -> None:
        nonlocal total
        total += per_step * steps
        minutes = per_step * steps / 60
        print(f"{name}: {per_step * 1e3:.2f} ms/step x {steps} steps = {minutes:.1f} min")

    rl = PAPER.random_labels
    members = [Member(rl.hidden, s, 100 + s) for s in range(seeds)]
    report(
        "random_labels",
        seconds_per_step(members, data, rl.n_train, rl.batch_size, rl.lr, True),
        rl.epochs * math.ceil(rl.n_train / rl.batch_size),
    )
    ws = PAPER.width_sweep
    members = [Member((w,) * ws.depth, 100 * s + w, s) for s in range(seeds) for w in ws.widths]
    report(
        "width_sweep",
        seconds_per_step(members, data, ws.n_train, ws.batch_size, ws.lr),
        ws.epochs * math.ceil(ws.n_train / ws.batch_size),
    )
    ip = PAPER.interpolation
    for name, (batch, lr), count in (("small", ip.small, seeds), ("large", ip.large, 2 * seeds)):
        members = [Member(ip.hidden, s, 50 + s) for s in range(count)]
        report(
            f"interpolation[{name}]",
            seconds_per_step(members, data, ip.n_train, batch, lr),
            ip.epochs * math.ceil(ip.n_train / batch),
        )
    bs = PAPER.batch_sweep
    for batch in bs.batch_sizes:
        members = [Member(bs.hidden, s, 70 + s) for s in range(seeds)]
        report(
            f"batch_sweep[{batch}]",
            seconds_per_step(members, data, bs.n_train, batch, bs.lr, steps=10),
            bs.epochs * math.ceil(bs.n_train / batch),
        )
    print(f"projected training, four homework experiments: {total / 60:.1f} min on {device}")


if __name__ == "__main__":
    main()
