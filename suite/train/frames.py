"""Tidy results of one experiment, the unit a fixture hands to claims and to the report.

Column conventions (one row per observation, long format, so seaborn draws seed bands directly):

``random_labels``  frame ``epochs``: seed, epoch, train_loss, train_acc, test_loss, test_acc,
                   chance_ref (the test accuracy that seed's random labels give by chance)
``width_sweep``    frame ``epochs``: seed, width, params, epoch, train_loss, train_acc, test_loss,
                   test_acc (``final`` = the last epoch of each (width, seed))
``interpolation``  frame ``curve``: init ("independent" | "shared"), seed, alpha, train_loss,
                   train_acc, test_loss, test_acc
``batch_sweep``    frame ``final``: seed, batch_size, train_loss, train_acc, test_loss, test_acc,
                   gap (test_loss - train_loss), acc_gap (train_acc - test_acc), sensitivity,
                   sharpness (Keskar et al., percent)
``label_corruption`` frame ``final``: seed, fraction, n_corrupted, fitted, epochs_to_fit
                   (epochs + 1 if never fitted), train_loss, train_acc (on the run's own labels),
                   test_loss, test_acc (true labels), all measured at the first epoch with 100%
                   train accuracy (at the end of the budget for a run that never got there)
``measures``       frame ``runs``: seed, batch_size, lr, corruption, epochs_trained,
                   reached_stop, train_loss, train_acc, test_loss, test_acc, gap, acc_gap,
                   sensitivity, sharpness (one row per run of the one-at-a-time grid; the base
                   point once), measured at the first check with train loss <= ``stop_loss``
                   (``reached_stop``), or at the epoch cap; extra ``cap_hits`` counts the latter
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class ExperimentResult:
    """Frames, configuration and cost of one experiment, as trained (or read from the cache)."""

    name: str
    profile: str
    device: str
    config: dict[str, Any]
    frames: dict[str, pd.DataFrame]
    seconds: float
    steps: int = 0
    samples: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    # Final parameters of every trained stack, on the CPU (stage name -> [W1, b1, W2, ...]).
    # Kept in the run cache beside the frames, never in test reports: reports carry numbers.
    weights: dict[str, list[Any]] = field(default_factory=dict, repr=False)

    def final(self, frame: str = "epochs", by: tuple[str, ...] = ("seed",)) -> pd.DataFrame:
        """The last-epoch row of every run in ``frame`` (one row per ``by`` group)."""
        df = self.frames[frame]
        last = df.groupby(list(by))["epoch"].transform("max")
        return df[df["epoch"] == last].reset_index(drop=True)

    def to_payload(self) -> dict[str, Any]:
        """A JSON-serializable form that travels in pytest reports (xdist) and into results dirs."""
        return {
            "name": self.name,
            "profile": self.profile,
            "device": self.device,
            "config": self.config,
            "seconds": self.seconds,
            "steps": self.steps,
            "samples": self.samples,
            "extra": self.extra,
            "frames": {k: v.to_csv(index=False) for k, v in self.frames.items()},
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ExperimentResult:
        frames = {k: pd.read_csv(io.StringIO(v)) for k, v in payload["frames"].items()}
        fields = {k: v for k, v in payload.items() if k != "frames"}
        return cls(frames=frames, **fields)
