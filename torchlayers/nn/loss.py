"""Loss modules, drop-in for their ``torch.nn`` namesakes, plus the lecture's L2 regulariser.

The losses subclass ``torch.nn``'s own ``_Loss`` / ``_WeightedLoss`` bases, so the legacy
``size_average``/``reduce`` arguments, the ``weight`` buffer, ``state_dict`` keys and ``repr`` are
torch's; only ``forward`` differs: it calls :mod:`torchlayers.functional`.
"""

from __future__ import annotations

from torch import Tensor
from torch.nn import Module
from torch.nn.modules.loss import _Loss, _WeightedLoss

from torchlayers import functional as F

__all__ = [
    "BCELoss",
    "CrossEntropyLoss",
    "L2Regularization",
    "LogSoftmax",
    "MSELoss",
    "MarginRankingLoss",
    "MultiMarginLoss",
    "NLLLoss",
    "SmoothL1Loss",
    "SoftMarginLoss",
    "Softmax",
    "Softmin",
]


class Softmax(Module):
    r"""Applies the softmax along ``dim``: scores to probabilities that sum to 1.

    .. math::
        \text{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}, \qquad
        \frac{\partial\,\text{softmax}(z)_i}{\partial z_j} = p_i(\delta_{ij} - p_j)

    Args:
        dim: the dimension the probabilities sum over. Default: ``None`` (deprecated implicit
            choice: 0 for 0-, 1- and 3-dimensional inputs, else 1)

    Shape:
        - Input: :math:`(*)`. Output: :math:`(*)`, same shape, values in [0, 1].

    Examples::

        >>> m = torchlayers.nn.Softmax(dim=1)
        >>> output = m(torch.randn(2, 3))
    """

    __constants__ = ["dim"]
    dim: int | None

    def __init__(self, dim: int | None = None) -> None:
        if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool)):
            raise TypeError(f"dim must be an int or None, got {type(dim)}")  # torch.nn's check
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "dim"):
            self.dim = None

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmin(Module):
    r"""Applies the softmin along ``dim``: the softmax of the negated scores, so the smallest
    score gets the largest probability.

    .. math::
        \text{softmin}(z)_i = \frac{e^{-z_i}}{\sum_j e^{-z_j}}, \qquad
        \frac{\partial\,\text{softmin}(z)_i}{\partial z_j} = -p_i(\delta_{ij} - p_j)

    Args:
        dim: the dimension the probabilities sum over. Default: ``None`` (deprecated implicit
            choice: 0 for 0-, 1- and 3-dimensional inputs, else 1)

    Shape:
        - Input: :math:`(*)`. Output: :math:`(*)`, same shape, values in [0, 1].

    Examples::

        >>> m = torchlayers.nn.Softmin(dim=1)
        >>> output = m(torch.randn(2, 3))
    """

    __constants__ = ["dim"]
    dim: int | None

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "dim"):
            self.dim = None

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    r"""Applies :math:`\log(\text{softmax}(z))` along ``dim``, computed as
    :math:`z_i - \log\sum_j e^{z_j}` (log-sum-exp, stable for any logits).

    .. math::
        \frac{\partial \log\text{softmax}(z)_i}{\partial z_j} = \delta_{ij} - \text{softmax}(z)_j

    Args:
        dim: the dimension to normalise over. Default: ``None`` (deprecated implicit choice)

    Shape:
        - Input: :math:`(*)`. Output: :math:`(*)`, same shape, values in (-inf, 0].

    Examples::

        >>> m = torchlayers.nn.LogSoftmax(dim=1)
        >>> output = m(torch.randn(2, 3))
    """

    __constants__ = ["dim"]
    dim: int | None

    def __init__(self, dim: int | None = None) -> None:
        if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool)):
            raise TypeError(f"dim must be an int or None, got {type(dim)}")  # torch.nn's check
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "dim"):
            self.dim = None

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class NLLLoss(_WeightedLoss):
    r"""The negative log-likelihood of class indices, given log-probabilities.

    .. math::
        \ell_n = -w_{y_n} x_{n, y_n}, \qquad
        \frac{\partial \ell_n}{\partial x_{n,c}} = -w_{y_n} \mathbb{1}[c = y_n],
        \qquad \text{mean: } \frac{\sum_n \ell_n}{\sum_n w_{y_n}}
        \text{ (ignored targets excluded)}

    Args:
        weight: a rescaling weight per class, shape ``(C,)``. Default: ``None``
        size_average, reduce: deprecated, see ``reduction``.
        ignore_index: a target value that contributes neither loss nor gradient. Default: -100
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``

    Shape:
        - Input: :math:`(N, C)`, :math:`(C)` or :math:`(N, C, d_1, ..., d_K)`.
        - Target: :math:`(N)`, :math:`()` or :math:`(N, d_1, ..., d_K)`, class indices in
          :math:`[0, C)` (int64 or uint8).
        - Output: scalar; with ``reduction='none'`` the target's shape.

    Examples::

        >>> loss = torchlayers.nn.NLLLoss()
        >>> log_probs = torchlayers.functional.log_softmax(torch.randn(3, 5), dim=1)
        >>> output = loss(log_probs, torch.tensor([1, 0, 4]))
    """

    __constants__ = ["ignore_index", "reduction"]
    ignore_index: int

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(
            input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


class CrossEntropyLoss(_WeightedLoss):
    r"""The softmax classifier's loss: cross entropy between the softmax of the scores and the
    target, computed as ``nll_loss(log_softmax(input))`` (log-sum-exp, stable at any logit).

    .. math::
        \ell_n = -\sum_c w_c\, q_{n,c} \log \frac{e^{x_{n,c}}}{\sum_j e^{x_{n,j}}}, \qquad
        \frac{\partial \ell_n}{\partial x_n} = \Big(\sum_c w_c q_{n,c}\Big)\,\text{softmax}(x_n)
        - w \odot q_n

    with :math:`q_n = \text{onehot}(y_n)` for class indices (so the gradient is
    :math:`w_{y_n}(\text{softmax}(x_n) - \text{onehot}(y_n))`), the target itself for class
    probabilities, mixed with the uniform distribution by label smoothing:
    :math:`q \leftarrow (1 - \varepsilon) q + \varepsilon / C`.

    Args:
        weight: a rescaling weight per class, shape ``(C,)``. Default: ``None``
        size_average, reduce: deprecated, see ``reduction``.
        ignore_index: a class-index target value that is ignored (class indices only).
            Default: -100
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. ``'mean'`` divides by
            :math:`\sum_n w_{y_n}` for class indices, by the number of positions for
            probabilities. Default: ``'mean'``
        label_smoothing: :math:`\varepsilon \in [0, 1]`. Default: 0.0

    Shape:
        - Input: :math:`(N, C)`, :math:`(C)` or :math:`(N, C, d_1, ..., d_K)`: unnormalised scores.
        - Target: class indices of shape :math:`(N)`, :math:`()` or :math:`(N, d_1, ..., d_K)`, or
          class probabilities of the input's shape (floating point).
        - Output: scalar; with ``reduction='none'`` the shape without the class dimension.

    Examples::

        >>> loss = torchlayers.nn.CrossEntropyLoss(label_smoothing=0.1)
        >>> scores = torch.randn(3, 5, requires_grad=True)
        >>> loss(scores, torch.tensor([1, 0, 4])).backward()
    """

    __constants__ = ["ignore_index", "reduction", "label_smoothing"]
    ignore_index: int
    label_smoothing: float

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class MSELoss(_Loss):
    r"""The squared error of linear regression.

    .. math::
        \ell_n = (x_n - y_n)^2, \qquad \frac{\partial \ell_n}{\partial x_n} = 2 (x_n - y_n)

    Args:
        size_average, reduce: deprecated, see ``reduction``.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``

    Shape:
        - Input: :math:`(*)`. Target: :math:`(*)`, same shape (broadcasting warns).
        - Output: scalar; with ``reduction='none'`` the input's shape.

    Examples::

        >>> loss = torchlayers.nn.MSELoss()
        >>> output = loss(torch.randn(3, requires_grad=True), torch.randn(3))
    """

    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    r"""The squared error near zero, the absolute error beyond ``beta``: robust regression (the
    Huber loss divided by ``beta``).

    .. math::
        \ell_n = \begin{cases} 0.5\, d_n^2 / \beta & |d_n| < \beta \\
        |d_n| - 0.5\, \beta & \text{otherwise} \end{cases}, \qquad
        \frac{\partial \ell_n}{\partial x_n} = \begin{cases} d_n / \beta & |d_n| < \beta \\
        \operatorname{sign}(d_n) & \text{otherwise} \end{cases}

    with :math:`d_n = x_n - y_n`; :math:`\partial \ell_n / \partial y_n` is the negative. For
    ``beta = 0`` it is the L1 loss :math:`|d_n|`, whose derivative :math:`\operatorname{sign}(d_n)`
    is 0 at :math:`d_n = 0`, as in torch.

    Args:
        size_average, reduce: deprecated, see ``reduction``.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``
        beta: where the squared term turns linear; must be non-negative. Default: 1.0

    Shape:
        - Input: :math:`(*)`. Target: :math:`(*)`, same shape (broadcasting warns).
        - Output: scalar; with ``reduction='none'`` the broadcast shape.

    Examples::

        >>> loss = torchlayers.nn.SmoothL1Loss(beta=0.5)
        >>> output = loss(torch.randn(3, 5, requires_grad=True), torch.randn(3, 5))
        >>> output.backward()
    """

    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_WeightedLoss):
    r"""The binary cross entropy of logistic regression, on probabilities :math:`x \in [0, 1]`.

    .. math::
        \ell_n = -w_n \big[y_n \log x_n + (1 - y_n) \log(1 - x_n)\big], \qquad
        \frac{\partial \ell_n}{\partial x_n} = w_n \frac{x_n - y_n}{x_n (1 - x_n)}

    Each log is clamped at -100 (a prediction of exactly 0 or 1 costs at most 100) and the
    derivative's denominator at :math:`10^{-12}`, as ``torch.nn.BCELoss``. Like torch's, it
    refuses CUDA autocast: apply a sigmoid and this loss outside the autocast region.

    Args:
        weight: a rescaling weight broadcast to the input's shape. Default: ``None``
        size_average, reduce: deprecated, see ``reduction``.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``

    Shape:
        - Input: :math:`(*)`, values in [0, 1]. Target: :math:`(*)`, same shape, in [0, 1].
        - Output: scalar; with ``reduction='none'`` the input's shape.

    Examples::

        >>> loss = torchlayers.nn.BCELoss()
        >>> probabilities = torchlayers.functional.sigmoid(torch.randn(3, requires_grad=True))
        >>> output = loss(probabilities, torch.tensor([1.0, 0.0, 1.0]))
    """

    __constants__ = ["reduction"]

    def __init__(
        self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    r"""The multi-class hinge loss of the linear SVM.

    .. math::
        \ell_n = \frac{w_{y_n}}{C} \sum_{i \ne y_n} \max(0, \text{margin} - x_{n,y_n} + x_{n,i})^p,
        \qquad \frac{\partial \ell_n}{\partial x_{n,i}} = \frac{w_{y_n}}{C}\, p
        \max(0, \text{margin} - x_{n,y_n} + x_{n,i})^{p-1} \ (i \ne y_n)

    and :math:`\partial \ell_n / \partial x_{n,y_n}` is minus the sum of the others.

    Args:
        p: 1 (hinge) or 2 (squared hinge). Default: 1
        margin: the margin the correct score must win by. Default: 1.0
        weight: a rescaling weight per class, shape ``(C,)``. Default: ``None``
        size_average, reduce: deprecated, see ``reduction``.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``

    Shape:
        - Input: :math:`(N, C)` or :math:`(C)`. Target: :math:`(N)` or :math:`()`, class indices.
        - Output: scalar; with ``reduction='none'`` the target's shape.

    Examples::

        >>> loss = torchlayers.nn.MultiMarginLoss()
        >>> output = loss(torch.randn(3, 5, requires_grad=True), torch.tensor([1, 0, 4]))
    """

    __constants__ = ["p", "margin", "reduction"]
    margin: float
    p: int

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Tensor | None = None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p != 1 and p != 2:
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(
                f"MultiMarginLoss: expected weight to be None or 1D tensor, got {weight.dim()}D instead"
            )
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(
            input, target, p=self.p, margin=self.margin, weight=self.weight, reduction=self.reduction
        )


class SoftMarginLoss(_Loss):
    r"""The logistic loss of a two-class classifier on labels :math:`y \in \{-1, 1\}`: a smooth
    hinge.

    .. math::
        \ell_n = \log(1 + e^{-y_n x_n}), \qquad
        \frac{\partial \ell_n}{\partial x_n} = \frac{-y_n e^{-y_n x_n}}{1 + e^{-y_n x_n}}
        = -y_n\, \sigma(-y_n x_n)

    The target is not differentiable (as in torch, it may not require grad); it may be an integer
    tensor. Computed as torch's: :math:`e^{-y x}` overflows past :math:`-y x \approx 88` in
    float32, where the loss is inf and the gradient NaN.

    Args:
        size_average, reduce: deprecated, see ``reduction``.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``

    Shape:
        - Input: :math:`(*)`. Target: broadcastable to the input's shape, values ±1.
        - Output: scalar; with ``reduction='none'`` the input's shape.

    Examples::

        >>> loss = torchlayers.nn.SoftMarginLoss()
        >>> output = loss(torch.randn(3, 5, requires_grad=True), torch.randn(3, 5).sign())
        >>> output.backward()
    """

    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    r"""The hinge on ranked pairs: :math:`x_1` should score above :math:`x_2` by ``margin`` where
    :math:`y = 1`, below where :math:`y = -1`.

    .. math::
        \ell_n = \max(0, -y_n (x_{1,n} - x_{2,n}) + \text{margin}), \qquad
        \frac{\partial \ell_n}{\partial x_{1,n}} = -y_n \mathbb{1}[u_n > 0], \quad
        \frac{\partial \ell_n}{\partial x_{2,n}} = y_n \mathbb{1}[u_n > 0], \quad
        \frac{\partial \ell_n}{\partial y_n} = -(x_{1,n} - x_{2,n}) \mathbb{1}[u_n > 0]

    with :math:`u_n` the argument of the max (at :math:`u_n = 0` the gradient is 0, as torch's).

    Args:
        margin: the margin the pair must be ranked by. Default: 0.0
        size_average, reduce: deprecated, see ``reduction``.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``

    Shape:
        - Input1: :math:`(N)` or :math:`()`. Input2, Target: the same number of dimensions; the
          three broadcast against each other.
        - Output: scalar; with ``reduction='none'`` the broadcast shape.

    Examples::

        >>> loss = torchlayers.nn.MarginRankingLoss(margin=0.5)
        >>> x1, x2 = torch.randn(3, requires_grad=True), torch.randn(3, requires_grad=True)
        >>> output = loss(x1, x2, torch.randn(3).sign())
        >>> output.backward()
    """

    __constants__ = ["margin", "reduction"]
    margin: float

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class L2Regularization(Module):
    r"""The lecture's regulariser :math:`R(W) = \lambda \sum_W \lVert W \rVert^2`, a term to add
    to a data loss: ``loss = criterion(model(x), y) + regularizer(model.weight)``.

    .. math::
        \frac{\partial R}{\partial W} = 2 \lambda W

    (plain gradient descent on :math:`R` is weight decay by :math:`2 \lambda \varepsilon`).

    Args:
        weight: the regularisation strength :math:`\lambda`.

    Shape:
        - Inputs: any number of tensors of any shapes. Output: scalar.

    Examples::

        >>> model = torchlayers.nn.Linear(3072, 10)
        >>> regularizer = torchlayers.nn.L2Regularization(weight=1e-3)
        >>> penalty = regularizer(model.weight)
    """

    __constants__ = ["weight"]
    weight: float

    def __init__(self, weight: float) -> None:
        super().__init__()
        self.weight = weight

    def forward(self, *tensors: Tensor) -> Tensor:
        return F.l2_regularization(*tensors, weight=self.weight)

    def extra_repr(self) -> str:
        return f"weight={self.weight}"
