"""Dropout: ``Dropout`` (drop-in for ``torch.nn.Dropout``)."""

from __future__ import annotations

from torch import Tensor
from torch.nn import Module

from torchlayers import functional as F
from torchlayers.functional._checks import check_dropout_probability

__all__ = ["Dropout"]


class Dropout(Module):
    r"""Inverted dropout (Srivastava et al., 2014) as the lecture's multiply gate: in training,
    each element is zeroed with probability ``p`` and the others scaled by :math:`1/(1 - p)`.

    .. math::
        y = x \odot \frac{m}{1 - p}, \quad m_i \sim \mathrm{Bernoulli}(1 - p), \qquad
        \frac{\partial y}{\partial x} = \frac{m}{1 - p}

    The mask is drawn as ``torch.nn.Dropout`` draws it on the CPU (``bernoulli_(1 - p)`` on a
    tensor like the input, from the global generator), so on the CPU the same seed gives the same
    output; on CUDA torch draws its mask with a fused kernel of its own, and the masks differ.
    ``p = 1`` zeroes everything; in evaluation mode, and for ``p = 0``, the module returns its
    input itself (:class:`~torchlayers.autograd.DropoutFunction` caches the mask, as booleans).

    Args:
        p: probability of an element to be zeroed. Default: 0.5
        inplace: if ``True``, writes the result into the input. Default: ``False``

    Shape:
        - Input: :math:`(*)`. Output: :math:`(*)` (same shape).

    Examples::

        >>> m = torchlayers.nn.Dropout(p=0.2)
        >>> m(torch.randn(20, 16)).shape
        torch.Size([20, 16])
    """

    __constants__ = ["p", "inplace"]
    p: float
    inplace: bool

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        check_dropout_probability(p, 0, 1)  # torch.nn compares with the ints (its TypeError names them)
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
