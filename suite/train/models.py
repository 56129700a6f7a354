"""The model seam: how a stack of members is built, initialized and run forward.

Everything that trains, evaluates or measures a stack reads its model through :class:`Model`,
so an experiment can name its model in its settings (``model="mlp"``) and another repository
can register its own (:func:`register_model`) without touching the engine. Parameters stay a
list of stacked tensors (leading dimension M, one row per member), so checkpoints,
:func:`suite.train.engine.take` and the run cache's weights work for every model alike.

- :class:`MLP`, the built-in: today's engine (``suite.train.engine``), numbers unchanged; its
  members may differ in width (zero-padded) and it keeps the fast stacked training path.
- :class:`FuncModel`: any ``torch.nn.Module`` through ``torch.func`` (``stack_module_state``,
  ``functional_call``, ``vmap``). Members of one of its stacks share parameter shapes, so a
  width sweep trains one stack per distinct ``hidden`` (:meth:`Model.stacks`).

The run cache keys on the code under ``suite``, an experiment's settings (which name a
registered model) and the code of the file outside ``suite`` that defines the model's factory
(``suite.run.obtain.user_code``): editing that file retrains what uses the model.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state, vmap

from suite.train.engine import CLASSES, IN_FEATURES, Member, Params, forward, init_params

#: Builds one member: (hidden, in_features, classes) -> module; ``hidden`` is the member's size
#: knob, which the model interprets (an MLP's widths, a CNN's channels, ...).
Factory = Callable[[tuple[int, ...], int, int], nn.Module]


#: Held while the process-wide random generator is seeded for a generic stack (its members'
#: init, its dropout masks): ``nn.Module`` draws from that generator only, and the session's plan
#: may train two experiments at once in threads (CUDA), whose draws would interleave.
GLOBAL_RNG = threading.RLock()


@runtime_checkable
class Model(Protocol):
    """What the engine needs of a model: a stack's parameters, its forward, its size."""

    name: str

    def init(
        self,
        members: Sequence[Member],
        device: torch.device | str = "cpu",
        *,
        in_features: int = IN_FEATURES,
        classes: int = CLASSES,
    ) -> Params:
        """The stacked initial parameters of ``members``, each drawn from its own init_seed."""
        ...

    def forward(self, params: Params, x: Tensor, *, train: bool = False) -> Tensor:
        """Logits (M, B, classes); ``x`` is (B, in), shared, or (M, B, in), one batch per member.
        ``train``: training mode (dropout on), else evaluation mode."""
        ...

    def n_params(
        self, member: Member, *, in_features: int = IN_FEATURES, classes: int = CLASSES
    ) -> int:
        """The number of trainable parameters of one member."""
        ...

    def stacks(self, members: Sequence[Member]) -> list[list[int]]:
        """The members (indices) that can train as one stack, groups in order of first member."""
        ...


class MLP:
    """The built-in model: ReLU MLPs of the engine (``suite.train.engine``), widths zero-padded
    so that any members share one stack. :func:`suite.train.training.train` keeps its fast
    stacked path for it; this class only delegates, so its numbers are the engine's."""

    name = "mlp"

    def init(
        self,
        members: Sequence[Member],
        device: torch.device | str = "cpu",
        *,
        in_features: int = IN_FEATURES,
        classes: int = CLASSES,
    ) -> Params:
        return init_params(members, device, in_features=in_features, classes=classes)

    def forward(self, params: Params, x: Tensor, *, train: bool = False) -> Tensor:
        return forward(params, x)  # no dropout: both modes are one function

    def n_params(
        self, member: Member, *, in_features: int = IN_FEATURES, classes: int = CLASSES
    ) -> int:
        sizes = (in_features, *member.hidden, classes)
        return sum(a * b + b for a, b in pairwise(sizes))

    def stacks(self, members: Sequence[Member]) -> list[list[int]]:
        return [list(range(len(members)))] if members else []

    def __repr__(self) -> str:
        return "MLP()"


class FuncModel:
    """Any ``nn.Module``, stacked with ``torch.func``: ``factory(hidden, in_features, classes)``
    builds one member.

    Each member is built under the CPU generator seeded with its ``init_seed`` alone (the global
    RNG state is restored afterwards), so a member starts from the same numbers whatever its
    stack-mates. Modules with buffers (BatchNorm's running statistics) are refused: they are
    state a stack would have to carry besides its parameters. Dropout works: the forward is
    ``vmap(..., randomness="different")`` in training mode (each member its own mask, drawn from
    the global RNG, which :func:`suite.train.generic.train_generic` seeds per stack) and runs the
    module in ``eval()`` mode for evaluation and measures.

    Members of one stack share their parameter shapes (the same ``hidden``). The forward needs
    the module's structure, which parameters alone do not carry: it is remembered per shape
    signature when a stack is initialized (or :meth:`prepare`-d, for loaded weights).
    """

    def __init__(self, factory: Factory, name: str):
        self.factory, self.name = factory, name
        # shape signature -> (parameter names, the module in train mode, in eval mode) on "meta"
        self._bases: dict[tuple[tuple[int, ...], ...], tuple[list[str], nn.Module, nn.Module]] = {}

    def build(self, hidden: tuple[int, ...], in_features: int, classes: int) -> nn.Module:
        """One member's module from the factory, checked to hold no buffers."""
        module = self.factory(tuple(hidden), in_features, classes)
        buffers = [name for name, _ in module.named_buffers()]
        if buffers:
            raise ValueError(
                f"model {self.name!r}: modules with buffers ({', '.join(buffers)}) are not "
                "supported (a stack carries parameters only; use e.g. LayerNorm or GroupNorm "
                "instead of BatchNorm)"
            )
        return module

    def init(
        self,
        members: Sequence[Member],
        device: torch.device | str = "cpu",
        *,
        in_features: int = IN_FEATURES,
        classes: int = CLASSES,
    ) -> Params:
        hidden = {m.hidden for m in members}
        if len(hidden) != 1:
            raise ValueError(
                f"model {self.name!r}: members of one stack need the same hidden, got "
                f"{sorted(hidden)} (train one stack per group of Model.stacks(members))"
            )
        modules = []
        for m in members:
            with GLOBAL_RNG, torch.random.fork_rng(devices=[]):
                torch.default_generator.manual_seed(m.init_seed)
                modules.append(self.build(m.hidden, in_features, classes))
        stacked, _ = stack_module_state(modules)
        names = list(stacked)
        params = [stacked[n].detach().to(device) for n in names]
        self._remember(names, modules[0], params)
        return params

    def prepare(self, hidden: tuple[int, ...], in_features: int, classes: int) -> None:
        """Make stacks of ``hidden`` known to :meth:`forward` without initializing one (e.g. to
        evaluate weights read back from the run cache)."""
        module = self.build(hidden, in_features, classes)
        names = [n for n, _ in module.named_parameters()]
        shapes = [p.detach().unsqueeze(0) for _, p in module.named_parameters()]
        self._remember(names, module, shapes)

    def _remember(self, names: list[str], module: nn.Module, params: Params) -> None:
        base = copy.deepcopy(module).to("meta")
        self._bases[_signature(params)] = (names, base.train(), copy.deepcopy(base).eval())

    def forward(self, params: Params, x: Tensor, *, train: bool = False) -> Tensor:
        try:
            names, training, evaluating = self._bases[_signature(params)]
        except KeyError:
            raise ValueError(
                f"model {self.name!r} has no stack of these parameter shapes: initialize one "
                "(init) or call prepare(hidden, in_features, classes) first"
            ) from None
        base = training if train else evaluating

        def one(member: list[Tensor], batch: Tensor) -> Tensor:
            return functional_call(base, dict(zip(names, member, strict=True)), (batch,))

        in_dims = (0, 0 if x.dim() == 3 else None)
        randomness = "different" if train else "error"
        return vmap(one, in_dims=in_dims, randomness=randomness)(list(params), x)

    def n_params(
        self, member: Member, *, in_features: int = IN_FEATURES, classes: int = CLASSES
    ) -> int:
        with torch.device("meta"):
            module = self.build(member.hidden, in_features, classes)
        return sum(p.numel() for p in module.parameters() if p.requires_grad)

    def stacks(self, members: Sequence[Member]) -> list[list[int]]:
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, m in enumerate(members):
            groups.setdefault(m.hidden, []).append(i)
        return list(groups.values())

    def __repr__(self) -> str:
        return f"FuncModel(name={self.name!r})"


def _signature(params: Params) -> tuple[tuple[int, ...], ...]:
    """A stack's parameter shapes without the member dimension."""
    return tuple(tuple(p.shape[1:]) for p in params)


def is_mlp(model: Model | str | None) -> bool:
    """Whether ``model`` is the built-in MLP (the engine's fast paths apply)."""
    return model is None or isinstance(as_model(model), MLP)


def as_model(model: Model | str | None) -> Model:
    """A model from a model or its registered name (None: the MLP)."""
    if model is None:
        return _MODELS["mlp"]
    if isinstance(model, str):
        return model_named(model)
    return model


_MODELS: dict[str, Model] = {"mlp": MLP()}


def register_model(name: str, model: Model, *, replace: bool = False) -> Model:
    """Make ``model`` known as ``name`` (an experiment's ``model`` setting); returns it.

    A name already taken is an error unless ``replace`` (the built-in "mlp" cannot be replaced:
    the homework's claims are about it)."""
    if not isinstance(model, Model):
        raise TypeError(f"{model!r} is not a Model (init, forward, n_params, stacks, name)")
    if name == "mlp" and model is not _MODELS["mlp"]:
        raise ValueError('"mlp" is the built-in model and cannot be replaced')
    if name in _MODELS and _MODELS[name] is not model and not replace:
        raise ValueError(f"a model named {name!r} is already registered (pass replace=True)")
    _MODELS[name] = model
    return model


def model_named(name: str) -> Model:
    """The model registered as ``name``."""
    try:
        return _MODELS[name]
    except KeyError:
        known = ", ".join(sorted(_MODELS))
        raise ValueError(f"unknown model {name!r}; known models: {known}") from None


def registered_models() -> list[str]:
    """The names of the registered models, sorted."""
    return sorted(_MODELS)
