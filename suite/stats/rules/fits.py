"""Claims about every run: ``random-labels-fit`` and ``corruption-fit``.

No test: the claim is that every run reaches 100% train accuracy, so one run that does not
refutes it. Nothing is inconclusive here except data that cannot be read (diverged runs).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from suite.stats.rules._data import Table, column, finite, floats, labels, py
from suite.stats.verdicts import Decision, Verdict

#: Tolerance on an accuracy computed as correct / n (exactly 1.0 when every example is right).
ACC_TOL = 1e-12


def all_reach(values: ArrayLike, target: float = 1.0) -> Decision:
    """``random-labels-fit``: the final train accuracy equals ``target`` in every seed.

    SUPPORTED iff every seed's value is >= target (up to rounding); REFUTED otherwise, since a
    seed that misses even one image is a run the claim says cannot happen. Statistic: the
    minimum over seeds.
    """
    acc = finite(values, "train accuracy")
    below = acc < target - ACC_TOL
    verdict = Verdict.REFUTED if below.any() else Verdict.SUPPORTED
    return Decision(
        rule="all_reach",
        statistic=float(acc.min()),
        threshold=f"== {float(target)!r} in every seed",
        p_value=None,
        verdict=verdict,
        n_runs=int(acc.size),
        n_seeds=int(acc.size),
        reason=f"{int(below.sum())} of {acc.size} seeds below {target:g}" if below.any() else "",
        details={"per_seed": floats(acc), "target": float(target), "seeds_below": int(below.sum())},
    )


def every_run_fits(
    runs: Table,
    fitted: str = "fitted",
    epochs: str = "epochs_to_fit",
    group: str = "fraction",
    seed: str = "seed",
) -> Decision:
    """``corruption-fit``: every (group, seed) run reaches 100% train accuracy within the budget.

    SUPPORTED iff ``fitted`` is true in every row; REFUTED if any run never fits. Statistic: the
    fraction of runs that fitted. ``details`` give, per ``group`` value, how many runs fitted and
    the latest epoch at which one did.
    """
    ok = np.asarray(labels(runs, fitted), dtype=bool)
    keys = labels(runs, group)
    ep = column(runs, epochs)
    n_seeds = len(np.unique(labels(runs, seed)))
    per_group = {}
    for k in np.unique(keys):
        sel = keys == k
        done = ep[sel & ok]
        per_group[str(py(k))] = {
            "fitted": int(ok[sel].sum()),
            "runs": int(sel.sum()),
            "latest_fit_epoch": py(done.max()) if done.size else None,
        }
    missed = int((~ok).sum())
    return Decision(
        rule="every_run_fits",
        statistic=float(ok.mean()),
        threshold="every run at 100% train accuracy within the budget (fraction fitted == 1)",
        p_value=None,
        verdict=Verdict.SUPPORTED if missed == 0 else Verdict.REFUTED,
        n_runs=int(ok.size),
        n_seeds=n_seeds,
        reason=f"{missed} of {ok.size} runs never fitted" if missed else "",
        details={"per_" + group: per_group, "runs_not_fitted": missed},
    )
