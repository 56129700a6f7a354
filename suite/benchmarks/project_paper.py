"""Project the ``paper`` profile's training time from measured per-step times of each stack.

Trains one and two epochs of every stack the paper profile trains (same members, batch sizes
and data) in the chosen engine mode, and multiplies the difference (one steady-state epoch) by
the number of epochs; evaluation, label corruption and measures are left out. A planning tool
(``suite/benchmarks/gpu_check.py`` runs it on both modes), not a test.

    python -m suite.benchmarks.project_paper [--device cpu|cuda] [--engine eager|compiled]
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from suite.data.splits import load_mnist
from suite.profiles import PAPER
from suite.train.engine import Member
from suite.train.training import default_engine, train

DEFAULT_ENGINE = "eager"


def seconds_per_step(
    members, data, n, batch, lr, per_member_labels=False, engine=DEFAULT_ENGINE
) -> float:
    """One epoch's steady-state cost per step: train(2 epochs) - train(1 epoch), so that
    compilation, graph capture and allocator warm-up (all in the first epoch) cancel."""
    x, y = data.train_x[:n], data.train_y[:n]
    if per_member_labels:
        y = y.expand(len(members), -1).contiguous()

    def seconds(epochs: int) -> float:
        if x.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        train(members, x, y, batch_size=batch, lr=lr, epochs=epochs, engine=engine)
        if x.device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    seconds(1)  # compile once per shape for this process
    return max(seconds(2) - seconds(1), 0.0) / math.ceil(n / batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--engine", choices=["eager", "compiled"], default=None)
    args = parser.parse_args()
    device = args.device
    engine = args.engine or default_engine(device)
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
        seconds_per_step(members, data, rl.n_train, rl.batch_size, rl.lr, True, engine),
        rl.epochs * math.ceil(rl.n_train / rl.batch_size),
    )
    ws = PAPER.width_sweep
    members = [Member((w,) * ws.depth, 100 * s + w, s) for s in range(seeds) for w in ws.widths]
    report(
        "width_sweep",
        seconds_per_step(members, data, ws.n_train, ws.batch_size, ws.lr, engine=engine),
        ws.epochs * math.ceil(ws.n_train / ws.batch_size),
    )
    ip = PAPER.interpolation
    for name, (batch, lr), count in (("small", ip.small, seeds), ("large", ip.large, 2 * seeds)):
        members = [Member(ip.hidden, s, 50 + s) for s in range(count)]
        report(
            f"interpolation[{name}]",
            seconds_per_step(members, data, ip.n_train, batch, lr, engine=engine),
            ip.epochs * math.ceil(ip.n_train / batch),
        )
    bs = PAPER.batch_sweep
    for batch in bs.batch_sizes:
        members = [Member(bs.hidden, s, 70 + s) for s in range(seeds)]
        report(
            f"batch_sweep[{batch}]",
            seconds_per_step(members, data, bs.n_train, batch, bs.lr, engine=engine),
            bs.epochs * math.ceil(bs.n_train / batch),
        )
    print(
        f"projected training, four homework experiments: {total / 60:.1f} min on {device} "
        f"({engine} engine, experiments one after another)"
    )


if __name__ == "__main__":
    main()
