"""Activation modules, drop-in for their ``torch.nn`` namesakes (same arguments, defaults,
parameters, ``state_dict`` keys and ``repr``)."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import Module, Parameter

from torchlayers import functional as F

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Sigmoid", "Tanh"]


class Sigmoid(Module):
    r"""Applies the logistic sigmoid elementwise; backward reuses the cached output.

    .. math::
        \sigma(x) = \frac{1}{1 + e^{-x}}, \qquad \sigma'(x) = \sigma(x)\,(1 - \sigma(x))

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = torchlayers.nn.Sigmoid()
        >>> output = m(torch.randn(2))
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    r"""Applies the hyperbolic tangent elementwise; backward reuses the cached output.

    .. math::
        \tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}}, \qquad \tanh'(x) = 1 - \tanh^2(x)

    Shape:
        - Input: :math:`(*)`. Output: :math:`(*)`, same shape.

    Examples::

        >>> m = torchlayers.nn.Tanh()
        >>> output = m(torch.randn(2))
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class ReLU(Module):
    r"""Applies the rectified linear unit elementwise.

    .. math::
        \text{ReLU}(x) = \max(0, x), \qquad \text{ReLU}'(x) = \mathbb{1}[x > 0]

    Args:
        inplace: overwrite the input with the output. Default: ``False``

    Shape:
        - Input: :math:`(*)`. Output: :math:`(*)`, same shape.

    Examples::

        >>> m = torchlayers.nn.ReLU()
        >>> output = m(torch.randn(2))
    """

    __constants__ = ["inplace"]
    inplace: bool

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    r"""Applies the leaky rectifier elementwise (the lecture's ``max(0.1x, x)``).

    .. math::
        \text{LeakyReLU}(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases},
        \qquad \text{LeakyReLU}'(x) = \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}

    Args:
        negative_slope: the slope :math:`a` for negative inputs. Default: ``1e-2``
        inplace: overwrite the input with the output. Default: ``False``

    Shape:
        - Input: :math:`(*)`. Output: :math:`(*)`, same shape.

    Examples::

        >>> m = torchlayers.nn.LeakyReLU(0.1)
        >>> output = m(torch.randn(2))
    """

    __constants__ = ["inplace", "negative_slope"]
    inplace: bool
    negative_slope: float

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        inplace_str = ", inplace=True" if self.inplace else ""
        return f"negative_slope={self.negative_slope}{inplace_str}"


class PReLU(Module):
    r"""Applies the parametric rectifier elementwise, with a learned slope per channel.

    .. math::
        \text{PReLU}(x) = \begin{cases} x & x > 0 \\ a_c\,x & x \le 0 \end{cases},
        \quad \frac{\partial}{\partial x} = \begin{cases} 1 & x > 0 \\ a_c & x \le 0 \end{cases},
        \quad \frac{\partial}{\partial a_c} = \sum_{x \text{ in channel } c,\ x \le 0} x

    Args:
        num_parameters: number of slopes: 1, or the number of channels (dim 1 of the input).
            Default: 1
        init: initial value of every slope. Default: 0.25

    Attributes:
        weight: the learnable slopes, shape ``(num_parameters,)``.

    Shape:
        - Input: :math:`(*)`; with ``num_parameters > 1``, :math:`(N, C, *)` with
          ``C == num_parameters``. Output: same shape.

    Examples::

        >>> m = torchlayers.nn.PReLU(3)
        >>> output = m(torch.randn(4, 3))
    """

    __constants__ = ["num_parameters"]
    num_parameters: int

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(torch.empty(num_parameters, **factory_kwargs))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        torch.nn.init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    r"""Applies the exponential linear unit elementwise.

    .. math::
        \text{ELU}(x) = \begin{cases} x & x > 0 \\ \alpha (e^x - 1) & x \le 0 \end{cases},
        \qquad \text{ELU}'(x) = \begin{cases} 1 & x > 0 \\ \alpha e^x & x \le 0 \end{cases}

    Args:
        alpha: the :math:`\alpha` value. Default: 1.0
        inplace: overwrite the input with the output. Default: ``False``

    Shape:
        - Input: :math:`(*)`. Output: :math:`(*)`, same shape.

    Examples::

        >>> m = torchlayers.nn.ELU()
        >>> output = m(torch.randn(2))
    """

    __constants__ = ["alpha", "inplace"]
    alpha: float
    inplace: bool

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        inplace_str = ", inplace=True" if self.inplace else ""
        return f"alpha={self.alpha}{inplace_str}"
