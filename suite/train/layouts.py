"""The layouts a stack trains in, and the plan a step reads: how parameters are kept while
training, converted from and back to the padded layout every other function reads.

* :class:`WidthPacking`: a width stack at its members' own widths (no padded weight multiplied,
  stored in Adam or updated).
* :class:`UnitMajorFirst`: narrow first layers unit-major on CPU, where their GEMMs are faster.
* neither: the padded layout itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from suite.train.engine import Member, Params, forward


@dataclass(frozen=True, eq=False)
class WidthPacking:
    """A grouped stack whose members differ in width, trained at each member's own shapes.

    A width stack pads every member to the widest (90 units): side by side a group's first layer
    is 784 x 900 of which 784 x 455 are real, and the 90 x 90 layers above it are 35% real. In
    training, the first layer is kept packed to its real columns, (G, 784, R) and (G, R), and
    every later layer as one tensor per position k in the group, (G, in_k, out_k) and
    (G, out_k): the forward and backward multiply real weights only and Adam updates real
    weights only. The packed first layer's output is split into the positions' columns, each
    runs its own layers, and the logits are stacked back in member order (group-major).
    :meth:`unpack` gives back the padded layout every other function reads; the padding there
    is zeros, as the padded engine keeps it.
    """

    real: Tensor  # (R,) positions of the real columns in a group's side-by-side layout
    groups: int
    hidden: tuple[tuple[int, ...], ...]  # the hidden widths of each position in a group

    @property
    def per_group(self) -> int:
        return len(self.hidden)

    def _sizes(self, k: int, classes: int) -> list[int]:
        return [*self.hidden[k], classes]

    def pack(self, params: Params) -> Params:
        w, b = params[0], params[1]
        g, pg, d_in, h = self.groups, self.per_group, w.shape[1], w.shape[2]
        wide = w.reshape(g, pg, d_in, h).permute(0, 2, 1, 3).reshape(g, d_in, pg * h)
        packed = [
            wide.index_select(2, self.real).contiguous(),
            b.reshape(g, pg * h).index_select(1, self.real).contiguous(),
        ]
        for layer in range(1, len(params) // 2):
            w, b = params[2 * layer], params[2 * layer + 1]
            wg = w.reshape(g, pg, *w.shape[1:])
            bg = b.reshape(g, pg, -1)
            for k in range(pg):
                sizes = self._sizes(k, params[-1].shape[-1])
                d_in, d_out = sizes[layer - 1], sizes[layer]
                packed += [wg[:, k, :d_in, :d_out].contiguous(), bg[:, k, :d_out].contiguous()]
        return packed

    def unpack(self, params: Params) -> Params:
        wp, bp = params[0], params[1]
        g, pg = self.groups, self.per_group
        classes = params[-1].shape[-1]
        widest = [max(s) for s in zip(*(self._sizes(k, classes) for k in range(pg)), strict=True)]
        d_in, h = wp.shape[1], widest[0]
        wide = wp.new_zeros(g, d_in, pg * h).index_copy(2, self.real, wp)
        w = wide.reshape(g, d_in, pg, h).permute(0, 2, 1, 3).reshape(g * pg, d_in, h)
        b = bp.new_zeros(g, pg * h).index_copy(1, self.real, bp).reshape(g * pg, h)
        padded = [w, b]
        rest = iter(params[2:])
        for layer in range(1, len(widest)):
            w = wp.new_zeros(g, pg, widest[layer - 1], widest[layer])
            b = wp.new_zeros(g, pg, widest[layer])
            for k in range(pg):
                wk, bk = next(rest), next(rest)
                w[:, k, : wk.shape[1], : wk.shape[2]] = wk
                b[:, k, : bk.shape[1]] = bk
            padded += [w.reshape(g * pg, *w.shape[2:]), b.reshape(g * pg, -1)]
        return padded

    def forward(self, params: Params, x: Tensor) -> Tensor:
        """(G, B, 784) -> logits (M, B, 10), member m = g * per_group + k."""
        h = torch.relu(torch.baddbmm(params[1].unsqueeze(1), x, params[0]))
        parts = list(h.split([hk[0] for hk in self.hidden], dim=2))
        layers = len(self.hidden[0])
        rest = params[2:]
        for layer in range(layers):
            for k, part in enumerate(parts):
                i = 2 * (layer * self.per_group + k)
                out = torch.baddbmm(rest[i + 1].unsqueeze(1), part, rest[i])
                parts[k] = torch.relu(out) if layer < layers - 1 else out
        logits = torch.stack(parts, dim=1)  # (G, K, B, 10)
        return logits.reshape(-1, *logits.shape[2:])

    @staticmethod
    def of(members: Sequence[Member], groups: int, real: Tensor | None) -> WidthPacking | None:
        """The packing of a grouped stack, or None when its members are not padded.

        ``real`` is the first layer's real columns (:func:`suite.train.engine.real_columns`,
        None when no group is padded alike). Every later layer must follow the same pattern in
        every group too; otherwise None (the padded product is used, still exact).
        """
        per_group = len(members) // groups
        pattern = [m.hidden for m in members[:per_group]]
        if real is None or [m.hidden for m in members] != pattern * groups:
            return None
        return WidthPacking(real, groups, tuple(pattern))


@dataclass(frozen=True, eq=False)
class UnitMajorFirst:
    """A stack whose members each see their own batch, trained with the first layer's weight
    unit-major, (M, H, 784) as ``nn.Linear`` keeps it, where the first layer is narrow.

    The first layer runs as h^T = W x^T, and autograd's weight gradient is then
    grad^T @ x: for a narrow layer on 2 EPYC cores those two GEMMs are ~1.5x faster than x @ W
    and x^T @ grad (random labels' 10 x 100 x 784 x 21: 459 -> 314 us and 447 -> 295 us; at 64
    units the layouts are within +-15% either way, so wider layers keep theirs). Numbers differ
    from the other layout by summation order only.
    """

    #: the widest first layer measured faster unit-major (21 units: 1.5x; 64: 0.9-1.1x)
    MAX_WIDTH = 32

    def pack(self, params: Params) -> Params:
        return [params[0].transpose(1, 2).contiguous(), *params[1:]]

    unpack = pack  # the transpose is its own inverse

    def forward(self, params: Params, x: Tensor) -> Tensor:
        """(M, B, 784) -> logits (M, B, 10)."""
        h = torch.baddbmm(params[1].unsqueeze(2), params[0], x.transpose(1, 2))
        return forward(params[2:], torch.relu(h.transpose(1, 2)))

    @staticmethod
    def of(members: Sequence[Member], device: torch.device) -> UnitMajorFirst | None:
        """The layout for a CPU stack of narrow first layers with at least one hidden layer
        (measured on CPU only: elsewhere the layout stays)."""
        if torch.device(device).type != "cpu" or any(not m.hidden for m in members):
            return None
        if max(m.hidden[0] for m in members) > UnitMajorFirst.MAX_WIDTH:
            return None
        return UnitMajorFirst()


@dataclass(frozen=True, eq=False)
class StackPlan:
    """What a step needs to know about a stack besides its parameters (fixed for the run).

    ``rows`` (U, n) maps batch-order positions to image rows (None: identity); member m trains
    on row ``member_order[m]`` of a batch; ``grouped``: members sharing an order are laid out in
    equal consecutive groups, so one gathered batch per group serves all of them.
    """

    member_order: Tensor
    rows: Tensor | None
    grouped: bool
    packing: WidthPacking | UnitMajorFirst | None

    def pack(self, params: Params) -> Params:
        """Padded parameters in the layout training keeps (the same ones if nothing packs)."""
        return self.packing.pack(params) if self.packing is not None else params

    def unpack(self, params: Params) -> Params:
        """Training-layout parameters back in the padded layout every reader expects."""
        return self.packing.unpack(params) if self.packing is not None else params
