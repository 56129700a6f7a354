"""The table ``python -m suite.stats.power`` prints: false positives, false refutations, power."""

from __future__ import annotations

import argparse

import pandas as pd

from suite.stats.catalog import CLAIMS
from suite.stats.power.cases import (
    CASES,
    FALSE,
    FP_MAX,
    N_DRAWS,
    POWER_MIN,
    mc_slack,
    outcome,
    seed_counts,
)
from suite.stats.power.claims import profile_seeds


def rows(
    n_draws: int = N_DRAWS, n_power: int | None = None, seed: int = 0
) -> list[dict[str, object]]:
    """One row per (case, seed count, kind); false positives at every seed count of the case."""
    n_power = n_draws if n_power is None else n_power
    out: list[dict[str, object]] = []
    for case in CASES:
        ci = profile_seeds(case.experiment)
        for s in seed_counts(case.experiment):
            n = n_draws if case.truth == FALSE else n_power
            o = outcome(case, s, n, seed)
            base = {"claim": case.claim, "rule": case.rule, "scenario": case.scenario, "seeds": s}
            own = CLAIMS[case.claim].alpha  # a false positive is held to the claim's own level
            if case.truth == FALSE:
                kinds = [("false positive", o.supported, f"<= {own:g}")]
            else:
                power_req = f">= {POWER_MIN:.2f}" if s == ci and case.calibration else "report"
                kinds = [
                    ("power", o.supported, power_req),
                    ("false refutation", o.refuted, f"<= {FP_MAX:g}"),
                ]
            for kind, r, req in kinds:
                if req.startswith("<="):
                    bound = float(req.removeprefix("<= "))
                    ok = r <= bound + mc_slack(bound, n)
                elif req.startswith(">="):
                    ok = r >= POWER_MIN - mc_slack(POWER_MIN, n)
                else:
                    ok = None
                out.append(
                    {
                        **base,
                        "kind": kind,
                        "rate": r,
                        "requirement": req,
                        "ok": "" if ok is None else ("yes" if ok else "NO"),
                        "statistic": o.statistic,
                        "draws": n,
                    }
                )
    return out


def table(n_draws: int = N_DRAWS, n_power: int | None = None, seed: int = 0) -> pd.DataFrame:
    return pd.DataFrame(rows(n_draws, n_power, seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m suite.stats.power",
        description="How often each decision rule is fooled, and how often it finds the "
        "calibrated effects, under the dependence the experiments have.",
    )
    parser.add_argument("--draws", type=int, default=N_DRAWS, help="draws per case and seeds")
    parser.add_argument("--power-draws", type=int, default=None, help="draws for power rows")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generators")
    args = parser.parse_args(argv)
    df = table(args.draws, args.power_draws, args.seed)
    with pd.option_context("display.width", 250, "display.max_colwidth", 60):
        print(df.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0
