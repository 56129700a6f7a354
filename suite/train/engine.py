"""Train many small MLPs as one: the members of a stack share a batch size and learning rate.

Why one stack instead of a loop over models: a 3x64 MLP leaves any processor nearly idle, so the
cost of a step is kernel launches and Python overhead, not arithmetic. Stacking M members turns
M small matmuls into one batched matmul (``torch.baddbmm``) and M optimizers into one.

Members may have different hidden widths (the width sweep): every layer is padded to the widest
member with zero weights. A padded unit has pre-activation 0, ReLU'(0) = 0 in PyTorch, so its
weights get exactly zero gradient, Adam moves them by 0/(0+eps) = 0, and the real units see the
same numbers as in a model of their own width. ``suite/tests/train/test_engine.py`` checks this
against plain ``nn.Linear`` models trained alone. (Training a width stack whose groups repeat one
width pattern skips the padding altogether: ``suite.train.layouts.WidthPacking``.)

Each member draws its own initialization and its own batch order from generators seeded by the
member alone, so a run's numbers do not depend on which other runs share its stack. Each member
may train on its own subset of the images (:class:`Subsets`): an index table maps the positions
of a batch order to rows of the one shared image tensor, so no member gets a copy of the data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from suite.train.memory import keep_freed_memory

if TYPE_CHECKING:
    pass

# Near interpolation, softmax tails underflow into denormals, which a CPU handles ~10x slower
# (measured: random labels went from 1 ms to 10 ms a step once train loss fell below 1e-3).
# The flag is per thread and threads inherit it when created, so it is set at import, before
# torch starts its intra-op thread pool. Flushing them to zero changes no number a claim reads.
torch.set_flush_denormal(True)
# Each step's large buffers reuse the last step's pages instead of fresh mmaps (suite.train.memory).
keep_freed_memory()


def configure_precision(device: str) -> None:
    """TF32 stays off on CUDA: claims compare numbers across runs and devices, and the stacked
    engine's equality to single-model training is tested at 1e-5, which TF32 matmuls break.
    The report's environment table shows the flag as it was during the run."""
    if device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


IN_FEATURES = 784
CLASSES = 10


@dataclass(frozen=True)
class Member:
    """One model of a stack: its hidden widths and the seed of its init and batch order."""

    hidden: tuple[int, ...]
    init_seed: int
    data_seed: int

    @property
    def n_params(self) -> int:
        """The MLP's parameter count on MNIST (784 in, 10 classes); any model and data set:
        ``suite.train.models.Model.n_params``."""
        sizes = (IN_FEATURES, *self.hidden, CLASSES)
        return sum(a * b + b for a, b in pairwise(sizes))


@dataclass(frozen=True, eq=False)
class Subsets:
    """Which images each member trains on: member m's training set is ``x[table[group[m]]]``.

    ``table`` is (G, n) row indices into the image tensor, one row per distinct training set
    (e.g. one per seed); ``group`` names a row per member. Labels given per member, ``y`` of
    shape (M, n), are indexed by position in the member's training set; labels of shape (N,)
    by image row, like ``x``.
    """

    table: Tensor
    group: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "group", tuple(int(g) for g in self.group))
        if self.table.dim() != 2:
            raise ValueError(f"the subset table must be (G, n), got {tuple(self.table.shape)}")
        if any(not 0 <= g < self.table.shape[0] for g in self.group):
            raise ValueError(f"a member names a subset outside 0..{self.table.shape[0] - 1}")

    @property
    def n(self) -> int:
        return self.table.shape[1]

    def select(self, members: Sequence[int]) -> Subsets:
        """The subsets of ``members`` (indices into the stack), in that order."""
        return Subsets(self.table, tuple(self.group[m] for m in members))

    def rows_of(self, member: int) -> Tensor:
        return self.table[self.group[member]]

    def sets(self) -> list[tuple[list[int], Tensor]]:
        """(members, rows) per distinct training set, members in stack order; two table rows
        holding the same images (every seed using all of them) count as one set."""
        found: list[tuple[list[int], Tensor]] = []
        where: dict[int, int] = {}
        for m, g in enumerate(self.group):
            if g not in where:
                rows = self.table[g]
                same = [k for k, (_, r) in enumerate(found) if torch.equal(r, rows)]
                where[g] = same[0] if same else len(found)
                if not same:
                    found.append(([], rows))
            found[where[g]][0].append(m)
        return found


def training_sets(subsets: Subsets | None, m: int) -> list[tuple[list[int], Tensor | None]]:
    """(members, rows) per distinct training set of an M-stack; rows None: all of ``x``."""
    if subsets is None:
        return [(list(range(m)), None)]
    if len(subsets.group) != m:
        raise ValueError(f"subsets name {len(subsets.group)} members, the stack has {m}")
    return list(subsets.sets())


def take(params: Params, members: Sequence[int]) -> Params:
    """The sub-stack of ``members`` (the stack itself when that is all of them, in order)."""
    if list(members) == list(range(params[0].shape[0])):
        return params
    index = torch.tensor(list(members), device=params[0].device)
    return [p[index] for p in params]


def take_at_widths(params: Params, members: Sequence[int], hidden: Sequence[int]) -> Params:
    """The sub-stack of ``members`` with its hidden layers cut to ``hidden`` units: the padding
    beyond them dropped (exact when those members are at most that wide), contiguous."""
    index = torch.tensor(list(members), device=params[0].device)
    sizes = [params[0].shape[1], *hidden, params[-1].shape[-1]]
    out: Params = []
    for layer in range(len(params) // 2):
        w, b = params[2 * layer], params[2 * layer + 1]
        d_in, d_out = sizes[layer], sizes[layer + 1]
        out += [w.index_select(0, index)[:, :d_in, :d_out], b.index_select(0, index)[:, :d_out]]
    return [t.contiguous() for t in out]


def derive_seed(*parts: int | str) -> int:
    """A 63-bit seed from labelled parts: two different part lists never give one seed.

    Every part enters whole: a string as its tag, byte length and every byte (UTF-8, in 32-bit
    words), an int as its tag and two 32-bit words. That encoding is prefix-free, so distinct
    part lists are distinct word sequences, which ``np.random.SeedSequence`` hashes. (The first
    version kept only a string's first 8 bytes: "interpolation/small" and "interpolation/large"
    were one seed.)
    """
    words: list[int] = []
    for p in parts:
        if isinstance(p, str):
            raw = p.encode()
            padded = raw.ljust(-(-len(raw) // 4) * 4, b"\0")
            words += [1, len(raw), *np.frombuffer(padded, dtype="<u4").tolist()]
        elif isinstance(p, (int, np.integer)) and not isinstance(p, bool) and 0 <= p < 2**64:
            words += [0, int(p) & 0xFFFFFFFF, int(p) >> 32]
        else:
            raise ValueError(f"a seed part is a str or an int in [0, 2**64), got {p!r}")
    return int(np.random.SeedSequence(words).generate_state(1, np.uint64)[0] >> 1)


Params = list[Tensor]  # [W1 (M, in, h1), b1 (M, h1), W2, b2, ...]


def init_params(
    members: Sequence[Member],
    device: torch.device | str = "cpu",
    *,
    in_features: int = IN_FEATURES,
    classes: int = CLASSES,
) -> Params:
    """``nn.Linear``'s default init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), per member, zero-padded.

    ``in_features`` and ``classes`` are the data's (MNIST's by default: 784 and 10)."""
    depth = {len(m.hidden) for m in members}
    if len(depth) != 1:
        raise ValueError(f"members of one stack need the same depth, got {sorted(depth)}")
    padded = [max(ws) for ws in zip(*(m.hidden for m in members), strict=True)]
    sizes = [in_features, *padded, classes]
    params: Params = []
    for layer, (d_in, d_out) in enumerate(pairwise(sizes)):
        w = torch.zeros(len(members), d_in, d_out)
        b = torch.zeros(len(members), d_out)
        for i, m in enumerate(members):
            true = [in_features, *m.hidden, classes]
            fan_in, fan_out = true[layer], true[layer + 1]
            g = torch.Generator().manual_seed(derive_seed(m.init_seed, layer))
            bound = 1.0 / math.sqrt(fan_in)
            w[i, :fan_in, :fan_out] = torch.empty(fan_in, fan_out).uniform_(
                -bound, bound, generator=g
            )
            b[i, :fan_out] = torch.empty(fan_out).uniform_(-bound, bound, generator=g)
        params += [w.to(device), b.to(device)]
    return params


def take_rows(x: Tensor, rows: Tensor) -> Tensor:
    """``x[rows]`` for a 2-D ``x`` and an index tensor of any shape, as one ``index_select``:
    the same copy, ~6x faster on CPU than advanced indexing (10 x 100 rows of 784 floats:
    66 us against 405 us on 2 EPYC cores), which goes through the general index kernel."""
    return x.index_select(0, rows.reshape(-1)).view(*rows.shape, *x.shape[1:])


def forward(params: Params, x: Tensor) -> Tensor:
    """Logits (M, B, 10) of every member.

    ``x`` is (M, B, 784), one batch per member; or (U, B, 784) with U dividing M, one batch per
    group of M/U consecutive members that share a batch order; or (B, 784), shared by all.
    """
    h = x
    n_layers = len(params) // 2
    for i in range(n_layers):
        w, b = params[2 * i], params[2 * i + 1]
        if h.dim() == 2:  # one wide GEMM: torch.matmul would copy x once per member
            h = _grouped_layer(h.unsqueeze(0), w, b)
        elif h.shape[0] != w.shape[0]:
            h = _grouped_layer(h, w, b)
        else:
            h = torch.baddbmm(b.unsqueeze(1), h, w)
        if i < n_layers - 1:
            h = torch.relu(h)
    return h


def _grouped_layer(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """Members sharing an input batch: one wide GEMM per group instead of one small GEMM each.

    The G weight matrices of a group are laid side by side, (784, G*H), so the widest layer (the
    first) runs as one large matmul per group; the output is split back into members. (Training
    keeps a width stack at its members' own widths: ``suite.train.layouts.WidthPacking``.)
    """
    groups, batch, d_in = x.shape
    members, _, d_out = w.shape
    per_group = members // groups
    wide = w.reshape(groups, per_group, d_in, d_out).permute(0, 2, 1, 3).reshape(groups, d_in, -1)
    h = torch.bmm(x, wide).view(groups, batch, per_group, d_out).permute(0, 2, 1, 3)
    return h.reshape(members, batch, d_out) + b.unsqueeze(1)


def real_columns(members: Sequence[Member], groups: int, device: torch.device) -> Tensor | None:
    """The first layer's real columns in a group's side-by-side layout, or None if none is padded.

    Every group must hold the same widths in the same order (the width sweep: one group per
    seed, its widths in order); otherwise None (the padded product is used, still exact).
    """
    per_group = len(members) // groups
    widths = [m.hidden[0] for m in members]
    pattern = widths[:per_group]
    padded = max(widths)
    if min(widths) == padded or widths != pattern * groups:
        return None
    cols = [k * padded + c for k, w in enumerate(pattern) for c in range(w)]
    return torch.tensor(cols, device=device)


class BatchSchedule:
    """Shuffled epochs, like ``DataLoader(shuffle=True, drop_last=False)``, one per data seed.

    Members with the same ``data_seed`` share a batch order. Index tensors are drawn on the CPU
    from one generator per data seed (cheap: one randperm per order and epoch) and moved to the
    device once per epoch. ``epoch()`` yields (U, B) index tensors, one row per order: positions
    in that order's training set, which ``rows`` (U, n) maps to image rows (None: the identity).
    Members that share a batch order must share their training set.
    """

    def __init__(
        self,
        members: Sequence[Member],
        n: int,
        batch_size: int,
        device: torch.device,
        subsets: Subsets | None = None,
    ):
        self.n, self.batch_size, self.device = n, batch_size, device
        seeds = list(dict.fromkeys(m.data_seed for m in members))
        self.generators = [torch.Generator().manual_seed(s) for s in seeds]
        group = [seeds.index(m.data_seed) for m in members]
        self.member_order = torch.tensor(group, device=device)
        self.rows = None if subsets is None else _order_rows(members, seeds, subsets, n, device)
        per_group = len(members) // len(seeds)
        # Members laid out group-major in equal groups can share one gathered batch per group
        # (see forward); otherwise every member gets its own copy of its group's batch.
        self.grouped = len(seeds) < len(members) and group == [
            i // per_group for i in range(len(members))
        ]
        self.real = real_columns(members, len(seeds), device) if self.grouped else None

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def state(self) -> list[Tensor]:
        return [g.get_state() for g in self.generators]

    def set_state(self, states: Sequence[Tensor]) -> None:
        for g, s in zip(self.generators, states, strict=True):
            g.set_state(s)

    def draw(self) -> Tensor:
        """The next epoch's orders, (U, n) on the CPU (the generators advance)."""
        return torch.stack([torch.randperm(self.n, generator=g) for g in self.generators])

    def epoch(self) -> list[Tensor]:
        """The next epoch's batches on the device: (U, B) each, the last one maybe shorter."""
        return list(self.draw().to(self.device).split(self.batch_size, dim=1))


def _order_rows(
    members: Sequence[Member], seeds: list[int], subsets: Subsets, n: int, device: torch.device
) -> Tensor:
    """(U, n): the training set of each batch order, checked to be that of all its members."""
    if len(subsets.group) != len(members):
        raise ValueError(f"subsets name {len(subsets.group)} members, the stack has {len(members)}")
    if subsets.n != n:
        raise ValueError(f"subsets hold {subsets.n} images, the batch order {n}")
    first: dict[int, int] = {}
    for i, m in enumerate(members):
        g, seen = subsets.group[i], first.setdefault(m.data_seed, subsets.group[i])
        if g != seen and not torch.equal(subsets.table[g], subsets.table[seen]):
            raise ValueError(
                f"members sharing a batch order (data_seed {m.data_seed}) must share their "
                "training images"
            )
    return subsets.table[[first[s] for s in seeds]].to(device)


def check_finite(values: Tensor, what: str) -> None:
    """A diverged run is inconclusive, never a pass: stop with the config in the message."""
    if not torch.isfinite(values).all():
        raise FloatingPointError(f"training diverged (NaN/inf) in {what}")
