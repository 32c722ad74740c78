"""Affine modules: ``Linear`` (drop-in for ``torch.nn.Linear``) and ``Maxout``."""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import Module, Parameter, init

from torchlayers import functional as F

__all__ = ["Linear", "Maxout"]


def _reset_affine(weight: Tensor, bias: Tensor | None, fan_in: int) -> None:
    """``torch.nn.Linear``'s initialisation: U(-1/√fan_in, 1/√fan_in) for weight and bias
    (``kaiming_uniform_`` with a = √5 gives exactly that bound for the weight)."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


class Linear(Module):
    r"""Applies the affine map :math:`y = x W^T + b`, the lecture's linear score function.

    .. math::
        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} W, \qquad
        \frac{\partial L}{\partial W} = \Big(\frac{\partial L}{\partial y}\Big)^T x, \qquad
        \frac{\partial L}{\partial b} = \sum_{\text{batch}} \frac{\partial L}{\partial y}

    Args:
        in_features: size of each input sample
        out_features: size of each output sample
        bias: if ``False``, the layer learns no additive bias. Default: ``True``

    Attributes:
        weight: shape ``(out_features, in_features)``, initialised from
            :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})`, :math:`k = 1/\text{in\_features}`
        bias: shape ``(out_features,)``, initialised likewise

    Shape:
        - Input: :math:`(*, H_{in})`. Output: :math:`(*, H_{out})`.

    Examples::

        >>> m = torchlayers.nn.Linear(20, 30)
        >>> m(torch.randn(128, 20)).size()
        torch.Size([128, 30])
    """

    __constants__ = ["in_features", "out_features"]
    in_features: int
    out_features: int
    weight: Tensor

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(torch.empty((out_features, in_features), **factory_kwargs))
        if bias:
            self.bias = Parameter(torch.empty(out_features, **factory_kwargs))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self.weight, self.bias, self.in_features)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )


class Maxout(Module):
    r"""Maxout unit (Goodfellow et al., 2013; Lua Torch's ``nn.Maxout``): the maximum of
    ``pieces`` affine maps.

    .. math::
        y_j = \max_{p} \big(x W_p^T + b_p\big)_j, \qquad
        \frac{\partial y_j}{\partial (x W_p^T + b_p)_j} = \mathbb{1}[p = \arg\max]

    The gradient goes to the winning piece only (the first on ties, as :func:`torch.max`).

    Args:
        in_features: size of each input sample
        out_features: size of each output sample
        pieces: number of affine maps to take the maximum over. Default: 2
        bias: if ``False``, the pieces have no additive bias. Default: ``True``

    Attributes:
        weight: shape ``(out_features * pieces, in_features)``, piece-major: rows
            ``p*out_features:(p+1)*out_features`` are piece ``p``. Each piece is initialised
            like :class:`Linear`.
        bias: shape ``(out_features * pieces,)``, same layout.

    Shape:
        - Input: :math:`(*, H_{in})`. Output: :math:`(*, H_{out})`.

    Examples::

        >>> m = torchlayers.nn.Maxout(20, 30, pieces=3)
        >>> m(torch.randn(128, 20)).size()
        torch.Size([128, 30])
    """

    __constants__ = ["in_features", "out_features", "pieces"]
    in_features: int
    out_features: int
    pieces: int
    weight: Tensor

    def __init__(
        self,
        in_features: int,
        out_features: int,
        pieces: int = 2,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        for name, value in (("in_features", in_features), ("out_features", out_features), ("pieces", pieces)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Maxout(): {name} must be an int, got {type(value).__name__}")
        if in_features < 0 or out_features < 0:
            raise ValueError(
                f"Maxout(): in_features and out_features must be non-negative, "
                f"got {in_features} and {out_features}"
            )
        if pieces < 1:
            raise ValueError(f"Maxout(): pieces must be at least 1, got {pieces}")
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.pieces = pieces
        self.weight = Parameter(torch.empty((out_features * pieces, in_features), **factory_kwargs))
        if bias:
            self.bias = Parameter(torch.empty(out_features * pieces, **factory_kwargs))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # Every piece has fan-in in_features, so one call gives each piece Linear's bound.
        _reset_affine(self.weight, self.bias, self.in_features)

    def forward(self, input: Tensor) -> Tensor:
        return F.maxout(input, self.weight, self.bias, self.pieces)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"pieces={self.pieces}, bias={self.bias is not None}"
        )
