"""Graph-node modules with Lua Torch's names and arguments: ``MulConstant``, ``AddConstant``
and the learnable gain ``Mul``."""

from __future__ import annotations

import math
import numbers

import torch
from torch import Tensor
from torch.nn import Module, Parameter, init

from torchlayers import functional as F

__all__ = ["AddConstant", "Mul", "MulConstant"]


def _check_constant(module: str, constant_scalar) -> None:
    if isinstance(constant_scalar, bool) or not isinstance(constant_scalar, numbers.Real):
        raise TypeError(
            f"{module}(): constant_scalar must be a real number (int or float), "
            f"got {type(constant_scalar).__name__}"
        )


class MulConstant(Module):
    r"""Multiplies its input by a fixed number (Lua Torch's ``nn.MulConstant``).

    .. math::
        y = a x, \qquad \frac{\partial y}{\partial x} = a

    Args:
        constant_scalar: the factor :math:`a`
        inplace: multiply the input in place and return it. Default: ``False``.
            Unlike Lua Torch, the incoming gradient is never modified.

    Examples::

        >>> m = torchlayers.nn.MulConstant(2.0)
        >>> m(torch.ones(3))
        tensor([2., 2., 2.])
    """

    __constants__ = ["constant_scalar", "inplace"]

    def __init__(self, constant_scalar: float, inplace: bool = False) -> None:
        _check_constant("MulConstant", constant_scalar)
        super().__init__()
        self.constant_scalar = constant_scalar
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.mul_constant(input, self.constant_scalar, self.inplace)

    def extra_repr(self) -> str:
        inplace_str = ", inplace=True" if self.inplace else ""
        return f"constant_scalar={self.constant_scalar}{inplace_str}"


class AddConstant(Module):
    r"""Adds a fixed number to its input (Lua Torch's ``nn.AddConstant``).

    .. math::
        y = c + x, \qquad \frac{\partial y}{\partial x} = 1

    Args:
        constant_scalar: the constant :math:`c`
        inplace: add in place and return the input. Default: ``False``

    Examples::

        >>> m = torchlayers.nn.AddConstant(1.0)
        >>> m(torch.zeros(3))
        tensor([1., 1., 1.])
    """

    __constants__ = ["constant_scalar", "inplace"]

    def __init__(self, constant_scalar: float, inplace: bool = False) -> None:
        _check_constant("AddConstant", constant_scalar)
        super().__init__()
        self.constant_scalar = constant_scalar
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.add_constant(input, self.constant_scalar, self.inplace)

    def extra_repr(self) -> str:
        inplace_str = ", inplace=True" if self.inplace else ""
        return f"constant_scalar={self.constant_scalar}{inplace_str}"


class Mul(Module):
    r"""Multiplies its input by one learnable number (Lua Torch's ``nn.Mul``): the multiply gate
    with a parameter for its second input.

    .. math::
        y = w x, \qquad \frac{\partial L}{\partial x} = w \frac{\partial L}{\partial y}, \qquad
        \frac{\partial L}{\partial w} = \sum_i \frac{\partial L}{\partial y_i} x_i

    Attributes:
        weight: the gain :math:`w`, of shape ``(1,)``, initialised as Lua Torch's ``reset()``:
            :math:`\mathcal{U}(-s, s)` with :math:`s = 1/\sqrt{\text{weight.size(0)}} = 1`.

    Shape:
        - Input: :math:`(*)`, any shape (a 0-d input broadcasts with the weight to ``(1,)``).
        - Output: :math:`(*)`, the input's shape.

    Examples::

        >>> m = torchlayers.nn.Mul()
        >>> m(torch.randn(128, 20)).size()
        torch.Size([128, 20])
    """

    weight: Tensor

    def __init__(self, device=None, dtype=None) -> None:
        super().__init__()
        self.weight = Parameter(torch.empty(1, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1 / math.sqrt(self.weight.size(0))  # Lua Torch's Mul:reset() without an argument
        init.uniform_(self.weight, -stdv, stdv)

    def forward(self, input: Tensor) -> Tensor:
        return F.mul(input, self.weight)
