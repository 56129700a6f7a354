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
    """``count`` seeds drawn from ``base``, from index ``start`` on; ``ids[i]`` seeds everything
    random about seed ``start + i``.

    A set extends by prefix: seeds 0..9 of a base are seeds 0..4 and then 5..9, so an
    experiment that adds seeds in rounds (``rounds``) trains exactly the seeds a single run of
    the same count would.
    """

    base: int = 0
    count: int = 1
    start: int = 0

    def __post_init__(self) -> None:
        for name in ("base", "count", "start"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"SeedSet.{name} must be an int, got {value!r}")
        if self.base < 0:
            raise ValueError(f"the seed base must be >= 0, got {self.base}")
        if self.count < 1:
            raise ValueError(f"a seed set needs at least one seed, got {self.count}")
        if self.start < 0:
            raise ValueError(f"the first seed index must be >= 0, got {self.start}")

    @classmethod
    def of(cls, seeds: SeedSet | int) -> SeedSet:
        """``seeds`` itself, or for a plain count the first ``seeds`` seeds of base 0."""
        return seeds if isinstance(seeds, SeedSet) else cls(0, seeds)

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(derive_seed("seed", self.base, i) for i in self.indices)

    @property
    def indices(self) -> range:
        """The seeds' indices within their base (what frames call ``seed``)."""
        return range(self.start, self.start + self.count)

    def rounds(self, looks: tuple[int, ...]) -> list[SeedSet]:
        """The seeds of each round when looks are taken after ``looks`` seeds in all (a look
        past this set's end is dropped; the last round ends at the set's end)."""
        ends = sorted({n for n in looks if self.start < n < self.end} | {self.end})
        starts = [self.start, *ends[:-1]]
        return [SeedSet(self.base, e - s, s) for s, e in zip(starts, ends, strict=True)]

    @property
    def end(self) -> int:
        return self.start + self.count

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
