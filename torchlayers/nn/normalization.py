"""Normalisation modules: ``LayerNorm`` (drop-in for ``torch.nn.LayerNorm``)."""

from __future__ import annotations

import numbers

import torch
from torch import Size, Tensor
from torch.nn import Module, Parameter, init

from torchlayers import functional as F

__all__ = ["LayerNorm"]

_shape_t = int | list[int] | Size


class LayerNorm(Module):
    r"""Applies layer normalisation (Ba et al., 2016) over the last dimensions of each sample.

    .. math::
        \hat{x} = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}}, \qquad
        y = \hat{x} \odot \gamma + \beta

    The mean and the (biased) variance are taken over the last ``D = len(normalized_shape)``
    dimensions, in training and evaluation mode alike. With :math:`g = \partial L / \partial y`
    and means over those dimensions, the backward is

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\mathrm{Var}[x] + \epsilon}}
        \Big(g\gamma - \mathrm{E}[g\gamma] - \hat{x}\, \mathrm{E}[g\gamma\hat{x}]\Big), \qquad
        \frac{\partial L}{\partial \gamma} = \sum_{\text{batch}} g \hat{x}, \qquad
        \frac{\partial L}{\partial \beta} = \sum_{\text{batch}} g

    (:class:`~torchlayers.autograd.LayerNormFunction`, which caches the input, the parameters,
    the mean and :math:`1/\sqrt{\mathrm{Var}[x] + \epsilon}`).

    Args:
        normalized_shape: the trailing shape to normalise over: an int (the last dimension) or
            a list, tuple or ``torch.Size``
        eps: a value added to the variance for numerical stability. Default: 1e-5
        elementwise_affine: if ``True``, the module learns :math:`\gamma` (initialised to ones)
            and :math:`\beta` (initialised to zeros), each of shape ``normalized_shape``.
            Default: ``True``
        bias: if ``False``, no :math:`\beta` is learned (only with ``elementwise_affine``).
            Default: ``True``

    Attributes:
        weight: :math:`\gamma`, shape ``normalized_shape``, or ``None``
        bias: :math:`\beta`, shape ``normalized_shape``, or ``None``

    Shape:
        - Input: :math:`(N, *)`, ending in ``normalized_shape``. Output: :math:`(N, *)` (same shape).

    Examples::

        >>> m = torchlayers.nn.LayerNorm(10)
        >>> m(torch.randn(20, 5, 10)).shape
        torch.Size([20, 5, 10])
        >>> m = torchlayers.nn.LayerNorm([5, 10, 10])  # over channels and pixels of (N, C, H, W)
        >>> m(torch.randn(20, 5, 10, 10)).shape
        torch.Size([20, 5, 10, 10])
    """

    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]
    normalized_shape: tuple[int, ...]
    eps: float
    elementwise_affine: bool

    def __init__(
        self,
        normalized_shape: _shape_t,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if self.elementwise_affine:
            self.weight = Parameter(torch.empty(self.normalized_shape, **factory_kwargs))
            if bias:
                self.bias = Parameter(torch.empty(self.normalized_shape, **factory_kwargs))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """γ = 1 and β = 0, as ``torch.nn.LayerNorm``: the layer starts as plain standardisation."""
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )
