"""Adaptive pooling modules, drop-in for ``torch.nn.AdaptiveAvgPool2d`` and
``torch.nn.AdaptiveMaxPool2d`` (same arguments, defaults and ``repr``)."""

from __future__ import annotations

from torch import Tensor
from torch.nn import Module

from torchlayers import functional as F

__all__ = ["AdaptiveAvgPool2d", "AdaptiveMaxPool2d"]


class AdaptiveAvgPool2d(Module):
    r"""Averages each of :math:`H_{out} \times W_{out}` bins of the last two dimensions, for any
    input size (Lua Torch's ``SpatialAdaptiveAveragePooling``).

    Output row :math:`i` pools the input rows :math:`[\lfloor iH/H_{out} \rfloor,
    \lceil (i+1)H/H_{out} \rceil)`, and likewise for the columns; bins overlap where the sizes do
    not divide. With :math:`A` the bin-membership matrix, rows normalised to sum to 1:

    .. math::
        Y = A_h X A_w^T, \qquad \frac{\partial L}{\partial X} = A_h^T G A_w

    so every cell receives :math:`g / |\text{bin}|` from each bin it lies in.

    Args:
        output_size: :math:`(H_{out}, W_{out})`, or one int for both; ``None`` in the pair keeps
            that input size.

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})` or :math:`(C, H_{in}, W_{in})`.
        - Output: :math:`(N, C, H_{out}, W_{out})` or :math:`(C, H_{out}, W_{out})`.

    Examples::

        >>> m = torchlayers.nn.AdaptiveAvgPool2d((5, 7))
        >>> output = m(torch.randn(1, 64, 8, 9))  # shape (1, 64, 5, 7)
        >>> m = torchlayers.nn.AdaptiveAvgPool2d((None, 7))
        >>> output = m(torch.randn(1, 64, 10, 9))  # shape (1, 64, 10, 7)
    """

    __constants__ = ["output_size"]

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    r"""Takes the maximum of each of :math:`H_{out} \times W_{out}` bins of the last two
    dimensions, for any input size (Lua Torch's ``SpatialAdaptiveMaxPooling``).

    The bins are :class:`AdaptiveAvgPool2d`'s. The gradient goes to each bin's argmax cell (the
    first maximum on ties, the last NaN where a bin holds NaN, as torch), summed where one cell
    wins several overlapping bins:

    .. math::
        y_{ij} = \max_{(h, w) \in \text{bin}_{ij}} x_{hw}, \qquad
        \frac{\partial L}{\partial x_{hw}} = \sum_{ij:\ \arg\max \text{bin}_{ij} = (h, w)} g_{ij}

    Args:
        output_size: :math:`(H_{out}, W_{out})`, or one int for both; ``None`` in the pair keeps
            that input size.
        return_indices: also return the flat index :math:`h W_{in} + w` of each maximum in its
            plane (torch's indices, e.g. for ``MaxUnpool2d``). Default: ``False``

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})` or :math:`(C, H_{in}, W_{in})`.
        - Output: :math:`(N, C, H_{out}, W_{out})` or :math:`(C, H_{out}, W_{out})` (the indices
          too, as int64).

    Examples::

        >>> m = torchlayers.nn.AdaptiveMaxPool2d(7)
        >>> output = m(torch.randn(1, 64, 10, 9))  # shape (1, 64, 7, 7)
    """

    __constants__ = ["output_size", "return_indices"]
    return_indices: bool

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
