"""The seeds of a run: seed i of base N is one independent draw of everything random.

Seed i's id is ``derive_seed("seed", N, i)``, for every base including the default 0, and
every random choice an experiment makes for that seed (initialization, batch order, random or
corrupted labels, and which training images where a profile trains on fewer than all of them)
derives from the id. So each base is a disjoint draw, and ``--gen-seed-base`` reruns the whole
suite on fresh seeds. Frames keep the seed's index i (0..n-1) in their ``seed`` column.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from suite.train.engine import derive_seed


@dataclass(frozen=True)
class SeedSet:
    """``count`` seeds drawn from ``base``; ``ids[i]`` seeds everything random about seed i."""

    base: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        for name in ("base", "count"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"SeedSet.{name} must be an int, got {value!r}")
        if self.base < 0:
            raise ValueError(f"the seed base must be >= 0, got {self.base}")
        if self.count < 1:
            raise ValueError(f"a seed set needs at least one seed, got {self.count}")

    @classmethod
    def of(cls, seeds: SeedSet | int) -> SeedSet:
        """``seeds`` itself, or for a plain count the first ``seeds`` seeds of base 0."""
        return seeds if isinstance(seeds, SeedSet) else cls(0, seeds)

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(derive_seed("seed", self.base, i) for i in range(self.count))

    def __len__(self) -> int:
        return self.count

    def training_images(self, n_total: int, n_train: int, device: torch.device | str) -> Tensor:
        """(count, n) row indices: row i is the training set of seed i (n = min(n_train, n_total)).

        Where a profile trains on fewer images than there are, each seed draws its own subset
        (sorted, so gathers read memory in order) from a generator seeded by its id; the draws
        at two sizes are nested. With every image in use, every row is simply 0..n_total-1.
        """
        n = min(n_train, n_total)
        if n == n_total:
            return torch.arange(n_total, device=device).expand(self.count, -1)
        rows = [
            torch.randperm(n_total, generator=torch.Generator().manual_seed(_images_seed(i)))[:n]
            .sort()
            .values
            for i in self.ids
        ]
        return torch.stack(rows).to(device)


def _images_seed(seed_id: int) -> int:
    return derive_seed("images", seed_id)
