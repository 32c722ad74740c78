"""The classic models of the lecture's recap, built from torchlayers operations.

* :class:`KNNClassifier`: k-nearest neighbours with L1 or L2 distance, scikit-learn style.
* :class:`LinearRegression`: ``ŷ = xθ + b`` with the squared error, by gradient descent or in
  closed form (least squares).
* :class:`LogisticRegression`: ``ŷ = σ(xθ + b)`` with the binary cross entropy.
* :class:`LinearSVM`: scores ``Wx + b``, multi-class hinge loss and ``λ Σ W²``.
* :class:`SoftmaxClassifier`: scores ``Wx + b``, softmax cross entropy and optional ``λ Σ W²``.

The four linear models are ``torch.nn.Module`` subclasses made of :class:`torchlayers.nn.Linear`
and the losses of :mod:`torchlayers.functional`; their ``fit`` is the lecture's vanilla gradient
descent ``θ ← θ - ε ∇C(θ)``, written out (no ``torch.optim``).
"""

from __future__ import annotations

import numbers

import torch
from torch import Tensor

import torchlayers.functional as F
import torchlayers.nn as tnn

__all__ = ["KNNClassifier", "LinearRegression", "LinearSVM", "LogisticRegression", "SoftmaxClassifier"]


def _check_int(owner: str, name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be at least {minimum}, got {value}")


def _check_number(owner: str, name: str, value, positive: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {type(value).__name__}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{owner}: {name} must be {'positive' if positive else 'non-negative'}, got {value}")


def _check_samples(owner: str, X, y=None) -> None:
    """``X`` a 2-D tensor of samples in rows and ``y`` (when given) one target per row."""
    if not isinstance(X, Tensor):
        raise TypeError(f"{owner}: X must be a Tensor, got {type(X).__name__}")
    if X.dim() != 2:
        raise ValueError(f"{owner}: expected X of shape (n_samples, n_features), got {tuple(X.shape)}")
    if y is None:
        return
    if not isinstance(y, Tensor):
        raise TypeError(f"{owner}: y must be a Tensor, got {type(y).__name__}")
    if y.shape != X.shape[:1]:
        raise ValueError(
            f"{owner}: expected y of shape ({X.shape[0]},), one target per row of X, got {tuple(y.shape)}"
        )


# --- nearest neighbours ----------------------------------------------------------------------


class KNNClassifier:
    r"""k-nearest-neighbour classifier: a test sample gets the majority label of the ``k``
    training samples closest to it,

    .. math::
        d_1(x, x') = \sum_j |x_j - x'_j| \quad (p = 1), \qquad
        d_2(x, x') = \sqrt{\textstyle\sum_j (x_j - x'_j)^2} \quad (p = 2).

    ``fit`` only stores the training data; ``predict`` computes the distances of a batch of
    ``batch_size`` test rows to every training row (``torch.cdist``) on the training data's
    device, so memory stays at ``batch_size × n_train`` distances, and votes for the whole batch
    at once. ``kneighbors`` returns the ranked neighbours and ``vote`` turns them into labels, so
    one search serves every ``j ≤ k`` (``vote(indices[:, :j])``).

    Tie rules, both deterministic:

    * neighbours at equal distance are ranked by their index in the training data (a stable sort);
    * when several classes share the most votes, the one whose member comes first among the
      ``k`` ranked neighbours wins (with ``k = 2`` and two different labels, the nearer one).

    L2 distances come from ``torch.cdist``'s matrix-product formula
    :math:`\lVert x \rVert^2 + \lVert x' \rVert^2 - 2 x \cdot x'`, exact for integer-valued data
    and otherwise accurate to rounding.

    Args:
        k: number of neighbours that vote. Default: 1
        p: 1 for the L1 (Manhattan) distance, 2 for the L2 (Euclidean) distance. Default: 1
        batch_size: test rows per distance computation. Default: 256

    Attributes:
        classes_: the sorted distinct training labels (set by ``fit``, as the two below)
        n_features_in_: number of features seen in ``fit``
        n_samples_fit_: number of training samples

    Examples::

        >>> knn = KNNClassifier(k=5, p=1).fit(X_train, y_train)
        >>> accuracy = (knn.predict(X_test) == y_test).float().mean()
    """

    def __init__(self, k: int = 1, p: int = 1, batch_size: int = 256) -> None:
        _check_int("KNNClassifier", "k", k, 1)
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"KNNClassifier: p must be 1 or 2, got {type(p).__name__}")
        if p not in (1, 2):
            raise ValueError(f"KNNClassifier: p must be 1 (L1 distance) or 2 (L2 distance), got {p}")
        _check_int("KNNClassifier", "batch_size", batch_size, 1)
        self.k, self.p, self.batch_size = int(k), int(p), int(batch_size)
        self._fit_X: Tensor | None = None

    def __repr__(self) -> str:
        return f"KNNClassifier(k={self.k}, p={self.p}, batch_size={self.batch_size})"

    def fit(self, X: Tensor, y: Tensor) -> KNNClassifier:
        """Store the training samples ``X`` ``(n, d)`` and their integer labels ``y`` ``(n,)``."""
        _check_samples("KNNClassifier.fit", X, y)
        if y.is_floating_point() or y.is_complex():
            raise ValueError(f"KNNClassifier.fit: expected integer class labels y, got dtype {y.dtype}")
        if self.k > X.shape[0]:
            raise ValueError(
                f"Expected n_neighbors <= n_samples_fit, but n_neighbors = {self.k}, "
                f"n_samples_fit = {X.shape[0]}"
            )
        self.classes_, encoded = torch.unique(y, sorted=True, return_inverse=True)
        self._fit_X = X if X.is_floating_point() else X.to(torch.get_default_dtype())
        self._fit_y = encoded.to(self._fit_X.device)
        self.n_samples_fit_, self.n_features_in_ = X.shape
        return self

    def _not_fitted_message(self) -> str:
        return (
            f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate "
            "arguments before using this estimator."
        )

    def _check_fitted(self, X: Tensor) -> None:
        if self._fit_X is None:
            raise RuntimeError(self._not_fitted_message())
        _check_samples(f"{type(self).__name__}.predict", X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expected "
                f"{self.n_features_in_} features as input."
            )

    def _ranked_neighbours(self, X: Tensor):
        """Per batch of test rows: the distances to the ``k`` nearest training rows and their
        indices ``(B, k)``, nearest first; a stable sort ranks equal distances by training index."""
        for start in range(0, X.shape[0], self.batch_size):
            batch = X[start : start + self.batch_size].to(self._fit_X.device, self._fit_X.dtype)
            distances = torch.cdist(batch, self._fit_X, p=self.p)  # (B, n_train)
            ranked, order = torch.sort(distances, dim=1, stable=True)
            yield ranked[:, : self.k], order[:, : self.k]

    def kneighbors(self, X: Tensor) -> tuple[Tensor, Tensor]:
        """Distances and training indices of the ``k`` nearest training samples of each row of
        ``X``, nearest first (equal distances by training index): two ``(m, k)`` tensors."""
        self._check_fitted(X)
        batches = list(self._ranked_neighbours(X))
        if not batches:
            empty = torch.empty(0, self.k, dtype=self._fit_X.dtype, device=self._fit_X.device)
            return empty, empty.long()
        return torch.cat([distances for distances, _ in batches]), torch.cat([order for _, order in batches])

    def vote(self, indices: Tensor) -> Tensor:
        """Labels ``(m,)`` voted by ranked training ``indices`` ``(m, j)``, nearest first, as
        :meth:`kneighbors` returns them; ``predict(X)`` is ``vote(kneighbors(X)[1])``, and
        ``vote(indices[:, :j])`` is the ``j``-NN prediction from the same search.

        The majority class wins, ties going to the class that comes first in the ranking: the
        largest ``count · (j + 1) - first_rank`` wins, as a first rank (0 … j-1) can only
        separate equal counts."""
        if self._fit_X is None:
            raise RuntimeError(self._not_fitted_message())
        neighbour_classes = self._fit_y[indices]  # (m, j)
        rows, j = indices.shape
        counts = torch.zeros(rows, self.classes_.numel(), dtype=torch.long, device=indices.device)
        counts.scatter_add_(1, neighbour_classes, torch.ones_like(neighbour_classes))
        rank = torch.arange(j, device=indices.device).expand(rows, j)
        first_rank = torch.full_like(counts, j).scatter_reduce_(1, neighbour_classes, rank, reduce="amin")
        winners = (counts * (j + 1) - first_rank).argmax(dim=1)
        return self.classes_.to(indices.device)[winners]

    def predict(self, X: Tensor) -> Tensor:
        """Predicted labels ``(m,)`` of the rows of ``X`` ``(m, d)``, on the training data's device."""
        self._check_fitted(X)
        labels = [self.vote(indices) for _, indices in self._ranked_neighbours(X)]
        return torch.cat(labels) if labels else self.classes_[:0].to(self._fit_X.device)


# --- linear models trained by gradient descent ------------------------------------------------


class _GradientDescentModel(torch.nn.Module):
    """A model with a scalar cost ``loss(X, y)`` and the lecture's vanilla gradient descent."""

    def loss(self, X: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError

    def _targets(self, y: Tensor, X: Tensor) -> Tensor:
        """``y`` in the dtype the loss expects."""
        return y

    def fit(
        self,
        X: Tensor,
        y: Tensor,
        lr: float = 0.1,
        epochs: int = 100,
        batch_size: int | None = None,
        generator: torch.Generator | None = None,
    ):
        r"""Minimise ``loss(X, y)`` by gradient descent, :math:`\theta \leftarrow \theta -
        \varepsilon \nabla_\theta C(\theta)` for every parameter.

        Args:
            X: samples ``(n, in_features)``
            y: one target per sample ``(n,)``
            lr: the learning rate :math:`\varepsilon`. Default: 0.1
            epochs: passes over the data. Default: 100
            batch_size: ``None`` for full-batch gradient descent (one step per epoch), else
                minibatches of this many samples in a fresh random order every epoch. Default: ``None``
            generator: the random generator that orders the minibatches. Default: torch's global one

        Returns:
            ``self``; the loss before each step is in ``self.losses_``.
        """
        name = f"{type(self).__name__}.fit"
        _check_samples(name, X, y)
        _check_number(name, "lr", lr, positive=True)
        _check_int(name, "epochs", epochs, 0)
        if batch_size is not None:
            _check_int(name, "batch_size", batch_size, 1)
        y = self._targets(y, X)
        n = X.shape[0]
        losses = []
        with torch.enable_grad():
            for _ in range(epochs):
                if batch_size is None:
                    batches = [slice(None)]
                else:
                    order = torch.randperm(n, generator=generator).to(X.device)
                    batches = order.split(batch_size)
                for rows in batches:
                    self.zero_grad()
                    cost = self.loss(X[rows], y[rows])
                    cost.backward()
                    with torch.no_grad():
                        for parameter in self.parameters():
                            if parameter.grad is not None:  # None: frozen (requires_grad=False)
                                parameter.sub_(parameter.grad, alpha=lr)  # θ ← θ - ε ∇C(θ)
                    losses.append(cost.detach())
        self.zero_grad()
        self.losses_ = torch.stack(losses).tolist() if losses else []
        return self


class LinearRegression(_GradientDescentModel):
    r"""Linear regression :math:`\hat y = x \theta + b` with the mean squared error
    :math:`C(\theta) = \frac1n \sum_i (\hat y_i - y_i)^2`.

    ``fit`` minimises it by gradient descent; :meth:`fit_closed_form` solves the least-squares
    problem directly (``torch.linalg.lstsq``). Both reach the same unique minimum when the
    samples (with a column of ones for the bias) have full column rank.

    Args:
        in_features: number of features of each sample
        bias: if ``False``, no intercept :math:`b`. Default: ``True``

    Shape:
        - Input: :math:`(N, H_{in})`. Output: :math:`(N,)`.

    Examples::

        >>> model = LinearRegression(20).fit(X, y, lr=0.1, epochs=500)
        >>> exact = LinearRegression(20).fit_closed_form(X, y)
    """

    def __init__(self, in_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.linear = tnn.Linear(in_features, 1, bias=bias, device=device, dtype=dtype)

    def forward(self, X: Tensor) -> Tensor:
        return self.linear(X).squeeze(-1)

    def _targets(self, y: Tensor, X: Tensor) -> Tensor:
        return y.to(X.dtype)

    def loss(self, X: Tensor, y: Tensor) -> Tensor:
        return F.mse_loss(self(X), self._targets(y, X))

    def predict(self, X: Tensor) -> Tensor:
        with torch.no_grad():
            return self(X)

    @torch.no_grad()
    def fit_closed_form(self, X: Tensor, y: Tensor) -> LinearRegression:
        r"""Set :math:`(\theta, b) = \arg\min \lVert [X\ 1] (\theta, b) - y \rVert^2` by least squares
        (``torch.linalg.lstsq``; on the CPU its default driver also gives the minimum-norm
        solution of a rank-deficient problem, on CUDA it needs full column rank). Returns ``self``."""
        _check_samples(f"{type(self).__name__}.fit_closed_form", X, y)
        weight, bias = self.linear.weight, self.linear.bias
        A = X.to(weight.dtype)
        if bias is not None:
            A = torch.cat([A, torch.ones_like(A[:, :1])], dim=1)
        solution = torch.linalg.lstsq(A, y.to(weight.dtype).unsqueeze(1)).solution.squeeze(1)
        weight.copy_(solution[: X.shape[1]].unsqueeze(0))
        if bias is not None:
            bias.copy_(solution[X.shape[1] :])
        return self


class LogisticRegression(_GradientDescentModel):
    r"""Logistic regression :math:`\hat y = \sigma(x \theta + b)` with the binary cross entropy
    :math:`C(\theta) = -\frac1n \sum_i y_i \log \hat y_i + (1 - y_i) \log(1 - \hat y_i)`.

    ``forward`` returns the probabilities :math:`\hat y \in (0, 1)`; ``predict`` the labels
    ``1[ŷ ≥ 0.5]``.

    Args:
        in_features: number of features of each sample
        bias: if ``False``, no intercept :math:`b`. Default: ``True``

    Shape:
        - Input: :math:`(N, H_{in})`. Output: :math:`(N,)`.
    """

    def __init__(self, in_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.linear = tnn.Linear(in_features, 1, bias=bias, device=device, dtype=dtype)

    def forward(self, X: Tensor) -> Tensor:
        return F.sigmoid(self.linear(X)).squeeze(-1)

    def _targets(self, y: Tensor, X: Tensor) -> Tensor:
        return y.to(X.dtype)  # labels 0/1 (int or bool) as the probabilities the loss compares with

    def loss(self, X: Tensor, y: Tensor) -> Tensor:
        return F.binary_cross_entropy(self(X), self._targets(y, X))

    def predict(self, X: Tensor) -> Tensor:
        with torch.no_grad():
            return (self(X) >= 0.5).long()


class _LinearClassifier(_GradientDescentModel):
    """Scores ``Wx + b`` for ``num_classes`` classes, a data loss and ``λ Σ W²`` (not on ``b``)."""

    def __init__(
        self, in_features: int, num_classes: int, regularization: float, bias: bool, device, dtype
    ) -> None:
        _check_number(type(self).__name__, "regularization", regularization, positive=False)
        super().__init__()
        self.regularization = regularization
        self.linear = tnn.Linear(in_features, num_classes, bias=bias, device=device, dtype=dtype)

    def forward(self, X: Tensor) -> Tensor:
        return self.linear(X)

    def data_loss(self, scores: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError

    def loss(self, X: Tensor, y: Tensor) -> Tensor:
        cost = self.data_loss(self(X), y)
        if self.regularization:
            cost = cost + F.l2_regularization(self.linear.weight, weight=self.regularization)
        return cost

    def predict(self, X: Tensor) -> Tensor:
        with torch.no_grad():
            return self(X).argmax(dim=1)

    def extra_repr(self) -> str:
        return f"regularization={self.regularization}"


class LinearSVM(_LinearClassifier):
    r"""The lecture's linear classifier with hinge loss and regularisation, one combined node:

    .. math::
        C(W, b) = \frac1n \sum_i \frac1K \sum_{j \ne y_i} \max(0, \Delta - s_{y_i} + s_j)
        + \lambda \sum W^2, \qquad s = W x_i + b

    The data term is :func:`torchlayers.functional.multi_margin_loss` (``torch.nn.MultiMarginLoss``),
    which divides the lecture's per-sample sum by the number of classes :math:`K`; that only
    rescales :math:`\lambda` (by :math:`K`) against the lecture's form.

    Args:
        in_features: number of features of each sample
        num_classes: number of classes :math:`K`
        regularization: :math:`\lambda`. Default: 1e-3
        margin: :math:`\Delta`. Default: 1.0
        bias: if ``False``, no bias :math:`b`. Default: ``True``

    Shape:
        - Input: :math:`(N, H_{in})`. Output (scores): :math:`(N, K)`.
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        regularization: float = 1e-3,
        margin: float = 1.0,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(in_features, num_classes, regularization, bias, device, dtype)
        self.margin = margin

    def data_loss(self, scores: Tensor, y: Tensor) -> Tensor:
        return F.multi_margin_loss(scores, y, margin=self.margin)

    def extra_repr(self) -> str:
        return f"regularization={self.regularization}, margin={self.margin}"


class SoftmaxClassifier(_LinearClassifier):
    r"""The softmax (multinomial logistic) classifier:

    .. math::
        C(W, b) = -\frac1n \sum_i \log \frac{e^{s_{i y_i}}}{\sum_j e^{s_{ij}}} + \lambda \sum W^2,
        \qquad s_i = W x_i + b

    Args:
        in_features: number of features of each sample
        num_classes: number of classes
        regularization: :math:`\lambda`. Default: 0
        bias: if ``False``, no bias :math:`b`. Default: ``True``

    Shape:
        - Input: :math:`(N, H_{in})`. Output (scores): :math:`(N, K)`.
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        regularization: float = 0.0,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(in_features, num_classes, regularization, bias, device, dtype)

    def data_loss(self, scores: Tensor, y: Tensor) -> Tensor:
        return F.cross_entropy(scores, y)

    def predict_proba(self, X: Tensor) -> Tensor:
        """Class probabilities ``softmax(Wx + b)`` ``(N, K)``."""
        with torch.no_grad():
            return F.softmax(self(X), dim=1)
