"""Functional interface: one snake_case wrapper per ``*Function``, named as in
``torch.nn.functional``. Each validates its arguments where the user called (``_checks.py``:
torch's exception types and messages), casts them by autocast's rule for the op (``_autocast.py``,
one table), and calls ``Function.apply``.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

from torchlayers.autograd import (
    AddConstantFunction,
    AddFunction,
    BCELossFunction,
    CrossEntropyFunction,
    DropoutFunction,
    ELUFunction,
    ExpFunction,
    L2RegularizationFunction,
    LayerNormFunction,
    LeakyReLUFunction,
    LinearFunction,
    LogSoftmaxFunction,
    MaxoutFunction,
    MSELossFunction,
    MulConstantFunction,
    MulFunction,
    MultiMarginLossFunction,
    NLLLossFunction,
    PReLUFunction,
    ReciprocalFunction,
    ReLUFunction,
    SigmoidFunction,
    SoftmaxFunction,
    SoftTargetNLLLossFunction,
    TanhFunction,
    class_dim_of,
)
from torchlayers.autograd._function import dispatcher
from torchlayers.autograd.hinge import multi_margin_loss_forward
from torchlayers.autograd.kernels import kernel_runs_in_forward
from torchlayers.autograd.mlp import MLP_ACTIVATIONS, MLPFunction, layer_plan
from torchlayers.autograd.regression import binary_cross_entropy_forward
from torchlayers.autograd.regularization import dropout_mask
from torchlayers.functional._autocast import autocast_inputs, refuse_unsafe
from torchlayers.functional._checks import (
    check_class_range,
    check_class_target,
    check_class_weight,
    check_dropout_probability,
    check_inplace,
    check_layer_norm,
    check_no_weight_grad,
    check_number,
    check_tensor,
    check_values,
    layer_norm_shape,
    reduction_mode,
    softmax_dim,
)

__all__ = [
    "add",
    "add_constant",
    "binary_cross_entropy",
    "cross_entropy",
    "dropout",
    "elu",
    "exp",
    "l2_regularization",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "maxout",
    "mlp",
    "mse_loss",
    "mul",
    "mul_constant",
    "multi_margin_loss",
    "nll_loss",
    "prelu",
    "reciprocal",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]


# Function.apply, switched to the jvp-free twin under torch.compile (see _function.py).
_apply_add_constant = dispatcher(AddConstantFunction)
_apply_add = dispatcher(AddFunction)
_apply_dropout = dispatcher(DropoutFunction)
_apply_elu = dispatcher(ELUFunction)
_apply_exp = dispatcher(ExpFunction)
_apply_leaky_relu = dispatcher(LeakyReLUFunction)
_apply_linear = dispatcher(LinearFunction)
_apply_maxout = dispatcher(MaxoutFunction)
_apply_mlp = dispatcher(MLPFunction)
_apply_mul_constant = dispatcher(MulConstantFunction)
_apply_mul = dispatcher(MulFunction)
_apply_prelu = dispatcher(PReLUFunction)
_apply_relu = dispatcher(ReLUFunction)
_apply_reciprocal = dispatcher(ReciprocalFunction)
_apply_sigmoid = dispatcher(SigmoidFunction)
_apply_tanh = dispatcher(TanhFunction)
_apply_binary_cross_entropy = dispatcher(BCELossFunction)
_apply_cross_entropy = dispatcher(CrossEntropyFunction)
_apply_l2_regularization = dispatcher(L2RegularizationFunction)
_apply_layer_norm = dispatcher(LayerNormFunction)
_apply_log_softmax = dispatcher(LogSoftmaxFunction)
_apply_mse_loss = dispatcher(MSELossFunction)
_apply_multi_margin_loss = dispatcher(MultiMarginLossFunction)
_apply_nll_loss = dispatcher(NLLLossFunction)
_apply_soft_target_nll_loss = dispatcher(SoftTargetNLLLossFunction)
_apply_softmax = dispatcher(SoftmaxFunction)


# --- graph nodes ---------------------------------------------------------------------------


def add(input: Tensor, other: Tensor | float) -> Tensor:
    """``input + other`` with broadcasting. See :class:`~torchlayers.autograd.AddFunction`."""
    check_tensor("add", input)
    if not isinstance(other, Tensor):
        return add_constant(input, other)
    return _apply_add(input, other)


def mul(input: Tensor, other: Tensor | float) -> Tensor:
    """``input * other`` with broadcasting. See :class:`~torchlayers.autograd.MulFunction`."""
    check_tensor("mul", input)
    if not isinstance(other, Tensor):
        return mul_constant(input, other)
    return _apply_mul(input, other)


def mul_constant(input: Tensor, constant_scalar: float, inplace: bool = False) -> Tensor:
    """``constant_scalar * input``. See :class:`~torchlayers.nn.MulConstant`."""
    check_tensor("mul_constant", input)
    check_number("mul_constant", constant_scalar, "constant_scalar")
    check_inplace(input, inplace)
    return _apply_mul_constant(input, constant_scalar, inplace)


def add_constant(input: Tensor, constant_scalar: float, inplace: bool = False) -> Tensor:
    """``constant_scalar + input``. See :class:`~torchlayers.nn.AddConstant`."""
    check_tensor("add_constant", input)
    check_number("add_constant", constant_scalar, "constant_scalar")
    check_inplace(input, inplace)
    return _apply_add_constant(input, constant_scalar, inplace)


def exp(input: Tensor) -> Tensor:
    """``eˣ`` elementwise. See :class:`~torchlayers.autograd.ExpFunction`."""
    check_tensor("exp", input)
    (input,) = autocast_inputs("exp", input)
    return _apply_exp(input)


def reciprocal(input: Tensor) -> Tensor:
    """``1/x`` elementwise. See :class:`~torchlayers.autograd.ReciprocalFunction`."""
    check_tensor("reciprocal", input)
    (input,) = autocast_inputs("reciprocal", input)
    return _apply_reciprocal(input)


# --- affine layers -------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``. See :class:`~torchlayers.nn.Linear`."""
    check_tensor("linear", input)
    check_tensor("linear", weight, "weight")
    input, weight, bias = autocast_inputs("linear", input, weight, bias)
    return _apply_linear(input, weight, bias)


def maxout(input: Tensor, weight: Tensor, bias: Tensor | None = None, pieces: int = 2) -> Tensor:
    """Maximum over ``pieces`` affine maps. See :class:`~torchlayers.nn.Maxout`."""
    check_tensor("maxout", input)
    check_tensor("maxout", weight, "weight")
    if isinstance(pieces, bool) or not isinstance(pieces, int):
        raise TypeError(f"maxout(): argument 'pieces' must be int, not {type(pieces).__name__}")
    if pieces < 1:
        raise ValueError(f"maxout(): pieces must be at least 1, got {pieces}")
    if weight.dim() != 2 or weight.shape[0] % pieces != 0:
        raise RuntimeError(
            f"maxout(): weight must have shape (out_features * pieces, in_features) with "
            f"pieces={pieces}, got {tuple(weight.shape)}"
        )
    if bias is not None and bias.shape != weight.shape[:1]:
        raise RuntimeError(
            f"maxout(): bias must have shape ({weight.shape[0]},) to match weight, got {tuple(bias.shape)}"
        )
    input, weight, bias = autocast_inputs("maxout", input, weight, bias)
    return _apply_maxout(input, weight, bias, pieces)[0]


# The activation arguments ``mlp`` fills in when a name comes alone: torch.nn.functional's defaults.
_MLP_DEFAULT_ARGUMENT = {"leaky_relu": 0.01, "elu": 1.0}


_MLP_ACTIVATIONS_SEEN: dict[tuple, tuple] = {}


def _mlp_activations(activations) -> tuple:
    """``mlp``'s activations as ``(name, argument)`` pairs, checked (once per spelling)."""
    key = tuple(entry if isinstance(entry, str) else tuple(entry) for entry in activations)
    pairs = _MLP_ACTIVATIONS_SEEN.get(key)
    if pairs is None:
        pairs = _MLP_ACTIVATIONS_SEEN[key] = _checked_mlp_activations(key)
    return pairs


def _checked_mlp_activations(activations: tuple) -> tuple:
    pairs = []
    for entry in activations:
        name, argument = (entry, None) if isinstance(entry, str) else entry
        if name not in MLP_ACTIVATIONS:
            raise ValueError(
                f"mlp(): unknown activation {name!r}; expected one of {', '.join(MLP_ACTIVATIONS)}"
            )
        if argument is None:
            argument = _MLP_DEFAULT_ARGUMENT.get(name)
        elif name in _MLP_DEFAULT_ARGUMENT:
            check_number("mlp", argument, f"{name}'s argument")
        else:
            raise ValueError(f"mlp(): activation {name!r} takes no argument, got {argument!r}")
        pairs.append((name, argument))
    return tuple(pairs)


def mlp(input: Tensor, *parameters: Tensor | None, activations) -> Tensor:
    r"""The multilayer perceptron ``W_L a_{L-1}(… a_1(x W_1ᵀ + b_1) …) + b_L`` as one graph node.

    .. math::
        h_0 = x, \qquad h_l = a_l(h_{l-1} W_l^T + b_l), \qquad f(x) = h_{L-1} W_L^T + b_L

    The same values and gradients as the chain ``linear``, activation, ..., ``linear``, from the
    same formulas, with one Python node instead of one per operation (see
    :class:`~torchlayers.autograd.mlp.MLPFunction`). Under autocast its matrix products run in
    the autocast dtype, as ``linear``'s, and its activations in their input's dtype.

    Args:
        input: the input :math:`x`
        *parameters: per layer its weight :math:`W_l` and bias :math:`b_l` (``None`` for no
            bias), then, after a PReLU layer's bias, the PReLU's weight
        activations: one per hidden layer (``L - 1`` in all): ``"sigmoid"``, ``"tanh"``,
            ``"relu"``, ``"leaky_relu"``, ``"elu"`` or ``"prelu"``, or a pair ``("leaky_relu",
            negative_slope)`` / ``("elu", alpha)`` (alone they take torch's defaults 0.01 and 1.0)

    Shape:
        - Input: :math:`(*, H_{in})`. Output: :math:`(*, H_{out})`.

    Examples::

        >>> w1, b1, w2, b2 = torch.randn(32, 64), torch.randn(32), torch.randn(10, 32), torch.randn(10)
        >>> torchlayers.functional.mlp(torch.randn(8, 64), w1, b1, w2, b2, activations=["relu"]).shape
        torch.Size([8, 10])
    """
    check_tensor("mlp", input)
    activations = _mlp_activations(activations)
    expected = layer_plan(activations)[-1][1] + 1  # the last bias's position, plus one
    if len(parameters) != expected:
        raise ValueError(
            f"mlp(): {len(activations)} hidden layers take {expected} parameters (weight and bias "
            f"per layer, PReLU's weight after its layer's bias), got {len(parameters)}"
        )
    input, *parameters = autocast_inputs("mlp", input, *parameters)
    return _apply_mlp(input, activations, *parameters)[0]


# --- activations ---------------------------------------------------------------------------


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + e⁻ˣ)``. See :class:`~torchlayers.nn.Sigmoid`."""
    check_tensor("sigmoid", input)
    return _apply_sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent. See :class:`~torchlayers.nn.Tanh`."""
    check_tensor("tanh", input)
    return _apply_tanh(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(0, x)``. See :class:`~torchlayers.nn.ReLU`."""
    check_tensor("relu", input)
    check_inplace(input, inplace)
    return _apply_relu(input, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``max(negative_slope * x, x)``. See :class:`~torchlayers.nn.LeakyReLU`."""
    check_tensor("leaky_relu", input)
    check_number("leaky_relu", negative_slope, "negative_slope")
    check_inplace(input, inplace)
    return _apply_leaky_relu(input, negative_slope, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x if x > 0 else alpha * (eˣ - 1)``. See :class:`~torchlayers.nn.ELU`."""
    check_tensor("elu", input)
    check_number("elu", alpha, "alpha")
    check_inplace(input, inplace)
    return _apply_elu(input, alpha, inplace)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x if x > 0 else weight * x``, one weight per channel. See :class:`~torchlayers.nn.PReLU`."""
    check_tensor("prelu", input)
    check_tensor("prelu", weight, "weight")
    if weight.dim() > 1:
        raise RuntimeError(
            f"prelu(): expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}"
        )
    channels = input.shape[1] if input.dim() > 1 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(
            f"prelu(): PReLU with {weight.numel()} parameters got an input with {channels} "
            f"channels in dim 1; use num_parameters=1 or num_parameters={channels}."
        )
    input, weight = autocast_inputs("prelu", input, weight)
    return _apply_prelu(input, weight)


# --- normalisation and regularisation ------------------------------------------------------


def layer_norm(
    input: Tensor,
    normalized_shape: list[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Layer normalisation over the last ``len(normalized_shape)`` dimensions.
    See :class:`~torchlayers.nn.LayerNorm`."""
    check_tensor("layer_norm", input)
    normalized_shape = layer_norm_shape(normalized_shape)
    check_layer_norm(input, normalized_shape, weight, bias)
    input, weight, bias = autocast_inputs("layer_norm", input, weight, bias)
    return _apply_layer_norm(input, normalized_shape, weight, bias, eps)[0]


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1/(1 - p)`` (the input
    itself when not ``training``, for ``p = 0`` and for an empty input, as torch).
    See :class:`~torchlayers.nn.Dropout`."""
    check_tensor("dropout", input)
    check_dropout_probability(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    check_inplace(input, inplace)
    return _apply_dropout(input, dropout_mask(input, p), p, inplace)


# --- losses ---------------------------------------------------------------------------------
#
# Each wrapper checks its arguments where torch does (same exception types), applies autocast's
# rule for losses (float16/bfloat16 computed in float32 on CPU and CUDA) and calls the loss
# Functions of torchlayers.autograd. cross_entropy = nll_loss(log_softmax(input)), as in torch.


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``. See :class:`~torchlayers.nn.Softmax`."""
    check_tensor("softmax", input)
    dim = softmax_dim("softmax", input, dim, _stacklevel)
    (input,) = (input.to(dtype),) if dtype is not None else autocast_inputs("softmax", input)
    return _apply_softmax(input, dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``x - log(sum(exp(x)))`` along ``dim``. See :class:`~torchlayers.nn.LogSoftmax`."""
    check_tensor("log_softmax", input)
    dim = softmax_dim("log_softmax", input, dim, _stacklevel)
    (input,) = (input.to(dtype),) if dtype is not None else autocast_inputs("log_softmax", input)
    return _apply_log_softmax(input, dim)


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class indices. See :class:`~torchlayers.nn.NLLLoss`."""
    check_tensor("nll_loss", input)
    check_tensor("nll_loss", target, "target")
    reduction = reduction_mode(size_average, reduce, reduction)
    input, weight = autocast_inputs("nll_loss", input, weight)
    target = check_class_target("nll_loss", input, target)
    check_class_weight("nll_loss", weight, input, input.shape[class_dim_of(input)])
    check_class_range(input, target, ignore_index)
    check_no_weight_grad("nll_loss", weight)
    return _apply_nll_loss(input, target, weight, reduction, ignore_index)[0]


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross entropy of class indices or class probabilities.
    See :class:`~torchlayers.nn.CrossEntropyLoss`."""
    check_tensor("cross_entropy", input)
    check_tensor("cross_entropy", target, "target")
    reduction = reduction_mode(size_average, reduce, reduction)
    input, target, weight = autocast_inputs("cross_entropy", input, target, weight)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.shape == target.shape:  # as torch: equal shapes mean class probabilities
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing)
    target = check_class_target("cross_entropy", input, target)
    check_class_weight("cross_entropy", weight, input, input.shape[class_dim_of(input)])
    check_class_range(input, target, ignore_index)
    check_no_weight_grad("cross_entropy", weight)
    smoothing = max(float(label_smoothing), 0.0)
    return _apply_cross_entropy(input, target, weight, reduction, ignore_index, smoothing)[0]


def _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing):
    if not target.is_floating_point():
        raise RuntimeError(
            f"Expected floating point type for target with class probabilities, got {target.dtype}"
        )
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if input.dim() == 0:
        raise IndexError(
            "cross_entropy(): a 0-dimensional input has no class dimension; expected (C,) or (N, C, ...)"
        )
    class_dim = class_dim_of(input)
    if weight is not None:
        check_tensor("cross_entropy", weight, "weight")
        if weight.dim() != 1 or weight.numel() != input.shape[class_dim]:
            raise RuntimeError(
                f"cross_entropy: weight tensor should be defined either for all {input.shape[class_dim]} "
                f"classes or no classes but got weight tensor of shape: {list(weight.shape)}"
            )
    log_probs = _apply_log_softmax(input, class_dim)
    return _apply_soft_target_nll_loss(log_probs, target, weight, max(label_smoothing, 0.0), reduction)


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error (optionally weighted per element). See :class:`~torchlayers.nn.MSELoss`."""
    check_tensor("mse_loss", input)
    check_tensor("mse_loss", target, "target")
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=2,
        )
    reduction = reduction_mode(size_average, reduce, reduction)
    torch.broadcast_tensors(input, target)  # RuntimeError when they cannot broadcast (views, no copy)
    if weight is not None and weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    input, target = autocast_inputs("mse_loss" if weight is None else "weighted_mse_loss", input, target)
    if not (input.is_floating_point() or target.is_floating_point()):
        raise NotImplementedError(
            f"mse_loss(): expected floating point input or target, got {input.dtype} and {target.dtype}"
        )
    return _apply_mse_loss(input, target, weight, reduction)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross entropy of probabilities. See :class:`~torchlayers.nn.BCELoss`."""
    check_tensor("binary_cross_entropy", input)
    check_tensor("binary_cross_entropy", target, "target")
    reduction = reduction_mode(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
            "is deprecated. Please ensure they have the same size."
        )
    refuse_unsafe("binary_cross_entropy", input)
    input, target, weight = autocast_inputs("binary_cross_entropy", input, target, weight)
    if target.dtype != input.dtype:
        raise RuntimeError(
            f"binary_cross_entropy: found target of dtype {target.dtype} but expected {input.dtype} "
            "(the input's dtype)"
        )
    if not input.is_floating_point():
        raise NotImplementedError(
            f"binary_cross_entropy(): expected a floating point input, got {input.dtype}"
        )
    if weight is not None:
        check_tensor("binary_cross_entropy", weight, "weight")
        weight = weight.expand(torch.broadcast_shapes(target.shape, weight.shape))
        check_no_weight_grad("binary_cross_entropy", weight)
    if kernel_runs_in_forward(binary_cross_entropy_forward, input, target, weight, reduction):
        return _apply_binary_cross_entropy(input, target, weight, reduction)  # the kernel checks the ranges
    for name, tensor in (("input", input), ("target", target)):
        check_values(
            (tensor >= 0) & (tensor <= 1),  # False for NaN too
            RuntimeError,
            lambda name=name: f"all elements of {name} should be between 0 and 1",
        )
    return _apply_binary_cross_entropy(input, target, weight, reduction)


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss (the multi-class SVM). See :class:`~torchlayers.nn.MultiMarginLoss`."""
    check_tensor("multi_margin_loss", input)
    check_tensor("multi_margin_loss", target, "target")
    reduction = reduction_mode(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    input, weight = autocast_inputs("multi_margin_loss", input, weight)
    n_classes = input.shape[-1] if input.dim() else 1
    if input.dim() > 2 or n_classes == 0:
        raise RuntimeError(
            "multi_margin_loss: expected a non-empty vector (C,) or matrix (N, C) of class scores, "
            f"but got shape {tuple(input.shape)}"
        )
    n_samples = input.shape[0] if input.dim() == 2 else 1
    batched_target = target.dim() == 1 and target.numel() == n_samples
    if not (batched_target or (input.dim() < 2 and target.dim() == 0)):
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
            f"samples (batch size). Expected target size [{n_samples}], but got {list(target.shape)}. "
            f"Input has shape {list(input.shape)}."
        )
    if target.dtype != torch.int64:
        raise RuntimeError(f"multi_margin_loss: expected a target of dtype torch.int64, got {target.dtype}")
    if weight is not None:
        if weight.numel() != n_classes:
            raise RuntimeError(f"inconsistent weight size, expected {n_classes} but got {list(weight.shape)}")
        if weight.dtype != input.dtype:
            raise RuntimeError(
                f"multi_margin_loss: expected weight of dtype {input.dtype} (the input's), got {weight.dtype}"
            )
        check_no_weight_grad("multi_margin_loss", weight)
    if not kernel_runs_in_forward(multi_margin_loss_forward, input, target, p, margin, weight, reduction):
        # the formula does not check the range, ATen's kernel does
        check_values((target >= 0) & (target < n_classes), RuntimeError, lambda: "target out of range")
    return _apply_multi_margin_loss(input, target, int(p), margin, weight, reduction)


def l2_regularization(*tensors: Tensor, weight: float) -> Tensor:
    """``weight * Σ ‖t‖²`` over the tensors. See :class:`~torchlayers.nn.L2Regularization`."""
    check_number("l2_regularization", weight, "weight")
    if not tensors:
        raise ValueError("l2_regularization() needs at least one tensor to regularise")
    for tensor in tensors:
        check_tensor("l2_regularization", tensor, "tensors")
    tensors = tuple(autocast_inputs("l2_regularization", tensor)[0] for tensor in tensors)
    return _apply_l2_regularization(weight, *tensors)
