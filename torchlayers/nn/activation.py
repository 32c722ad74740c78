"""Activation modules, drop-in for their ``torch.nn`` namesakes (same arguments, defaults,
parameters, ``state_dict`` keys and ``repr``)."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import Module, Parameter

from torchlayers import functional as F

__all__ = [
    "ELU",
    "LeakyReLU",
    "LogSigmoid",
    "PReLU",
    "ReLU",
    "Sigmoid",
    "Softplus",
    "Softshrink",
    "Softsign",
    "Tanh",
]


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


class LogSigmoid(Module):
    r"""Applies the logarithm of the logistic sigmoid elementwise, computed without overflow as
    :math:`\min(x, 0) - \log(1 + e^{-|x|})` (``LogSigmoid()(-1000) == -1000``).

    .. math::
        \log\sigma(x) = \log\frac{1}{1 + e^{-x}} = -\text{softplus}(-x), \qquad
        \frac{d}{dx}\log\sigma(x) = 1 - \sigma(x) = \sigma(-x)

    Shape:
        - Input: :math:`(*)`. Output: :math:`(*)`, same shape, values in (-inf, 0].

    Examples::

        >>> m = torchlayers.nn.LogSigmoid()
        >>> output = m(torch.randn(2))
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softplus(Module):
    r"""Applies the softplus elementwise: a smooth ReLU whose derivative is the sigmoid.

    .. math::
        \text{Softplus}(x) = \frac{1}{\beta}\log(1 + e^{\beta x}), \qquad
        \text{Softplus}'(x) = \sigma(\beta x)

    For numerical stability it is the identity (derivative 1) where :math:`\beta x >
    \text{threshold}`.

    Args:
        beta: the :math:`\beta` value. Default: 1.0
        threshold: above this value of :math:`\beta x` the function is linear. Default: 20.0

    Shape:
        - Input: :math:`(*)`. Output: :math:`(*)`, same shape.

    Examples::

        >>> m = torchlayers.nn.Softplus(beta=2.0)
        >>> output = m(torch.randn(2))
    """

    __constants__ = ["beta", "threshold"]
    beta: float
    threshold: float

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    r"""Applies the softsign elementwise: a sigmoid-shaped curve in (-1, 1) with polynomial,
    not exponential, tails.

    .. math::
        \text{Softsign}(x) = \frac{x}{1 + |x|}, \qquad \text{Softsign}'(x) = \frac{1}{(1 + |x|)^2}

    Shape:
        - Input: :math:`(*)`. Output: :math:`(*)`, same shape.

    Examples::

        >>> m = torchlayers.nn.Softsign()
        >>> output = m(torch.randn(2))
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Softshrink(Module):
    r"""Applies the soft shrinkage elementwise: moves every value :math:`\lambda` toward 0,
    and those within :math:`\lambda` of 0 to 0.

    .. math::
        \text{Softshrink}(x) = \begin{cases} x - \lambda & x > \lambda \\
        x + \lambda & x < -\lambda \\ 0 & \text{otherwise} \end{cases}, \qquad
        \text{Softshrink}'(x) = \mathbb{1}[|x| > \lambda]

    Args:
        lambd: the :math:`\lambda` value, at least 0 (checked when called, as torch's).
            Default: 0.5

    Shape:
        - Input: :math:`(*)`. Output: :math:`(*)`, same shape.

    Examples::

        >>> m = torchlayers.nn.Softshrink()
        >>> output = m(torch.randn(2))
    """

    __constants__ = ["lambd"]
    lambd: float

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)
