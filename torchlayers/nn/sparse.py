"""The lookup table, drop-in for ``torch.nn.Embedding`` (same arguments, defaults, parameter,
initialisation, ``state_dict`` keys, ``repr`` and constructor errors)."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import Module, Parameter, init

from torchlayers import functional as F
from torchlayers.functional._checks import embedding_padding_idx, refuse_sparse_embedding

__all__ = ["Embedding"]


class Embedding(Module):
    r"""A lookup table of ``num_embeddings`` vectors of size ``embedding_dim`` (Lua Torch's
    ``LookupTable``): each index of the input selects one row of the weight.

    .. math::
        y_k = W_{\text{idx}_k}, \qquad
        \frac{\partial L}{\partial W_i} = \sum_{k:\ \text{idx}_k = i} g_k
        \quad (0 \text{ for } i = \text{padding\_idx})

    Backward scatter-adds the incoming gradients into the rows they came from: a row looked up
    several times receives the sum of their gradients. The node caches the indices only.

    Args:
        num_embeddings: size of the table (the number of rows).
        embedding_dim: size of each embedding vector.
        padding_idx: a row that gets no gradient (it stays a fixed "pad"); initialised to zeros.
            Negative values count from the end. Default: ``None``
        max_norm: if given, every looked-up row whose ``norm_type``-norm exceeds it is rescaled
            in place, without grad, to norm ``max_norm`` before the lookup (torch's
            ``embedding_renorm_``). Default: ``None``
        norm_type: the p of the p-norm for ``max_norm``. Default: ``2.0``
        scale_grad_by_freq: divide each gradient by the number of times its index occurs in
            the batch. Default: ``False``
        sparse: must be ``False``: sparse gradients are not supported, and ``True`` raises
            ``NotImplementedError`` (here and in the functional). Default: ``False``

    Attributes:
        weight: the learnable table, shape ``(num_embeddings, embedding_dim)``, initialised from
            :math:`\mathcal{N}(0, 1)` with the padding row zeroed.

    Shape:
        - Input: :math:`(*)`, an IntTensor or LongTensor of indices.
        - Output: :math:`(*, H)`, with :math:`H = \text{embedding\_dim}`.

    Examples::

        >>> embedding = torchlayers.nn.Embedding(10, 3, padding_idx=0)
        >>> output = embedding(torch.tensor([[0, 2, 0, 5]]))  # shape (1, 4, 3)
    """

    __constants__ = [
        "num_embeddings",
        "embedding_dim",
        "padding_idx",
        "max_norm",
        "norm_type",
        "scale_grad_by_freq",
        "sparse",
    ]
    num_embeddings: int
    embedding_dim: int
    padding_idx: int | None
    max_norm: float | None
    norm_type: float
    scale_grad_by_freq: bool
    weight: Tensor
    sparse: bool

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        refuse_sparse_embedding("Embedding", sparse)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            padding_idx = embedding_padding_idx(padding_idx, num_embeddings)
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if _weight is None:
            self.weight = Parameter(
                torch.empty((num_embeddings, embedding_dim), **factory_kwargs), requires_grad=not _freeze
            )
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)
        self.sparse = sparse

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            with torch.no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        s = "{num_embeddings}, {embedding_dim}"
        if self.padding_idx is not None:
            s += ", padding_idx={padding_idx}"
        if self.max_norm is not None:
            s += ", max_norm={max_norm}"
        if self.norm_type != 2:
            s += ", norm_type={norm_type}"
        if self.scale_grad_by_freq is not False:
            s += ", scale_grad_by_freq={scale_grad_by_freq}"
        return s.format(**self.__dict__)

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose table is ``embeddings`` (2-d: ``(num_embeddings, embedding_dim)``),
        frozen (``weight.requires_grad = False``) unless ``freeze=False``. The other arguments
        are the constructor's; the padding row is *not* zeroed (torch's behaviour).

        Examples::

            >>> weight = torch.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
            >>> embedding = torchlayers.nn.Embedding.from_pretrained(weight)
            >>> embedding(torch.tensor([1]))
            tensor([[4.0000, 5.1000, 6.3000]])
        """
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(
            num_embeddings=rows,
            embedding_dim=cols,
            _weight=embeddings,
            _freeze=freeze,
            padding_idx=padding_idx,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            sparse=sparse,
        )
