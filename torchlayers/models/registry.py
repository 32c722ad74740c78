"""Activation registry: ``"prelu"`` → a ``PReLU`` module, so a config can say ``activation: prelu``.

Every entry has two constructors with one signature, ``(num_features) -> Module``: one built from
torchlayers operations and its native ``torch.nn`` twin. Both draw the same random numbers (most
draw none), so :class:`~torchlayers.models.MLP` initialises the two backends identically.

Maxout is not an elementwise activation: it *replaces* the hidden layer's ``Linear`` + activation
with ``Maxout(in_features, out_features, pieces)`` (the lecture's ``max(w₁ᵀx + b₁, w₂ᵀx + b₂)``).
It is registered here under :data:`MAXOUT` so that names are validated in one place;
:class:`~torchlayers.models.MLP` builds its layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

import torchlayers.nn as tnn

__all__ = [
    "ACTIVATIONS",
    "BACKENDS",
    "MAXOUT",
    "Activation",
    "LinearMaxout",
    "create_activation",
    "register_activation",
]

BACKENDS = ("torchlayers", "torch")
MAXOUT = "maxout"

ActivationFactory = Callable[[int], torch.nn.Module]


@dataclass(frozen=True)
class Activation:
    """One registry entry: the lecture's formula and a constructor per backend."""

    formula: str
    torchlayers: ActivationFactory | None
    torch: ActivationFactory | None

    def factory(self, backend: str) -> ActivationFactory | None:
        return self.torchlayers if backend == "torchlayers" else self.torch


ACTIVATIONS: dict[str, Activation] = {}


def register_activation(
    name: str, formula: str, torchlayers: ActivationFactory | None, torch: ActivationFactory | None
) -> None:
    """Add ``name`` to the registry; both constructors take the layer width and must initialise
    their parameters identically (same shapes, same random draws)."""
    if name in ACTIVATIONS:
        raise ValueError(f"activation {name!r} is already registered")
    ACTIVATIONS[name] = Activation(formula, torchlayers, torch)


def create_activation(name: str, num_features: int, backend: str = "torchlayers") -> torch.nn.Module:
    """The activation module ``name`` for a layer of width ``num_features``, from ``backend``."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; registered: {', '.join(sorted(ACTIVATIONS))}")
    factory = ACTIVATIONS[name].factory(backend)
    if factory is None:
        raise ValueError(f"activation {name!r} replaces the linear layer; build it with MLP, not alone")
    return factory(num_features)


class LinearMaxout(torch.nn.Linear):
    r"""The ``torch.nn`` twin of :class:`torchlayers.nn.Maxout` (``torch.nn`` has no maxout): a
    ``torch.nn.Linear(in_features, out_features * pieces)`` followed by a native max over the
    pieces. Parameters, their piece-major layout, ``state_dict`` keys and initialisation are
    those of ``Maxout``, so the two load each other's weights.
    """

    def __init__(self, in_features: int, out_features: int, pieces: int = 2, bias: bool = True) -> None:
        super().__init__(in_features, out_features * pieces, bias)
        self.pieces = pieces
        self.maxout_features = out_features

    def forward(self, input: Tensor) -> Tensor:
        scores = super().forward(input).unflatten(-1, (self.pieces, self.maxout_features))
        # max(dim).values sends the gradient to one winner, as Maxout does (amax would split ties)
        return scores.max(dim=-2).values

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.maxout_features}, "
            f"pieces={self.pieces}, bias={self.bias is not None}"
        )


register_activation("sigmoid", "1 / (1 + exp(-x))", lambda n: tnn.Sigmoid(), lambda n: torch.nn.Sigmoid())
register_activation("tanh", "tanh(x)", lambda n: tnn.Tanh(), lambda n: torch.nn.Tanh())
register_activation("relu", "max(0, x)", lambda n: tnn.ReLU(), lambda n: torch.nn.ReLU())
# The lecture's leaky ReLU is max(0.1x, x); torch.nn's default slope is 0.01.
register_activation(
    "leaky_relu", "max(0.1x, x)", lambda n: tnn.LeakyReLU(0.1), lambda n: torch.nn.LeakyReLU(0.1)
)
# One learned slope per unit of the layer (the lecture's max(αx, x) with α per neuron).
register_activation("prelu", "max(a_j x, x)", lambda n: tnn.PReLU(n), lambda n: torch.nn.PReLU(n))
register_activation("elu", "x if x > 0 else exp(x) - 1", lambda n: tnn.ELU(), lambda n: torch.nn.ELU())
register_activation(
    "softplus", "log(1 + exp(x))", lambda n: tnn.Softplus(), lambda n: torch.nn.Softplus()
)  # a smooth ReLU
register_activation("softsign", "x / (1 + |x|)", lambda n: tnn.Softsign(), lambda n: torch.nn.Softsign())
register_activation(
    "log_sigmoid", "log(1 / (1 + exp(-x)))", lambda n: tnn.LogSigmoid(), lambda n: torch.nn.LogSigmoid()
)
register_activation(
    "softshrink", "x ∓ 0.5 if |x| > 0.5 else 0", lambda n: tnn.Softshrink(), lambda n: torch.nn.Softshrink()
)
register_activation(MAXOUT, "max(w1ᵀx + b1, w2ᵀx + b2)", None, None)
