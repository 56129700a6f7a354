"""The claims as the simulation decides them: through each claim record's one decision.

A simulated data set is handed to the same function the claim test calls
(``suite.stats.catalog.ClaimSpec.decide``), as the frame the claim reads, at the claim's own
level, so the simulation measures exactly the rule a verdict comes from.
"""

from __future__ import annotations

from suite.profiles import CI, Profile
from suite.stats.catalog import CLAIMS, Ask
from suite.stats.power.shared import Table
from suite.stats.verdicts import Decision


def claim_margin(claim: str) -> float:
    """The margin of ``claim``'s record (the effect the false-positive cases sit at)."""
    margin = CLAIMS[claim].margin
    if margin is None:
        raise LookupError(f"claim {claim!r} has no margin")
    return margin


def claim_share(claim: str) -> float:
    """The P of ``claim``'s proportion statement."""
    share = CLAIMS[claim].share
    if share is None:
        raise LookupError(f"claim {claim!r} has no share")
    return share


def decide(claim: str, table: Table, alpha: float | None = None) -> Decision:
    """``claim``'s decision on one simulated ``table``, at ``alpha`` (default: the claim's)."""
    spec = CLAIMS[claim]
    return spec.decide({spec.frame: table}, Ask(spec, spec.alpha if alpha is None else alpha))


def experiment_of(claim: str) -> str:
    return CLAIMS[claim].experiment


def profile_seeds(experiment: str, profile: Profile = CI) -> int:
    """How many seeds ``profile`` trains for ``experiment`` at most (its cap, read at run time)."""
    seeds_for = getattr(profile, "seeds_for", None)
    return int(seeds_for(experiment)) if seeds_for is not None else int(profile.seeds)
