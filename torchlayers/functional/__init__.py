"""Functional interface: one snake_case wrapper per ``*Function``, named as in
``torch.nn.functional``. Each validates its arguments where the user called (``_checks.py``:
torch's exception types and messages), casts them by autocast's rule for the op (``_autocast.py``,
one table), and calls ``Function.apply``.
"""

from __future__ import annotations

import builtins
import numbers

import torch
from torch import Tensor

from torchlayers.autograd import (
    AdaptiveAvgPool2dFunction,
    AdaptiveMaxPool2dFunction,
    AddConstantFunction,
    AddFunction,
    BCELossFunction,
    CrossEntropyFunction,
    DropoutFunction,
    ELUFunction,
    EmbeddingFunction,
    ExpFunction,
    L2RegularizationFunction,
    LayerNormFunction,
    LeakyReLUFunction,
    LinearFunction,
    LogFunction,
    LogSigmoidFunction,
    LogSoftmaxFunction,
    MarginRankingLossFunction,
    MaxAllFunction,
    MaxFunction,
    MaxoutFunction,
    MeanFunction,
    MinAllFunction,
    MinFunction,
    MMFunction,
    MSELossFunction,
    MulConstantFunction,
    MulFunction,
    MultiMarginLossFunction,
    MVFunction,
    NLLLossFunction,
    PReLUFunction,
    ReciprocalFunction,
    ReLUFunction,
    SigmoidFunction,
    SmoothL1LossFunction,
    SoftMarginLossFunction,
    SoftmaxFunction,
    SoftminFunction,
    SoftplusFunction,
    SoftshrinkFunction,
    SoftsignFunction,
    SoftTargetNLLLossFunction,
    TanhFunction,
    class_dim_of,
)
from torchlayers.autograd._function import dispatcher
from torchlayers.autograd.hinge import multi_margin_loss_forward
from torchlayers.autograd.kernels import kernel_runs_in_forward
from torchlayers.autograd.mlp import MLP_ACTIVATIONS, ActivationLinearFunction, MLPFunction, layer_plan
from torchlayers.autograd.regression import binary_cross_entropy_forward
from torchlayers.autograd.regularization import dropout_mask
from torchlayers.autograd.sparse import embedding_renorm_
from torchlayers.functional._autocast import autocast_inputs, refuse_unsafe
from torchlayers.functional._checks import (
    adaptive_output_size,
    aten_dtype_name,
    broadcast_shape,
    check_adaptive_avg_pool2d,
    check_adaptive_max_pool2d,
    check_bool,
    check_cast,
    check_class_range,
    check_class_target,
    check_dropout,
    check_dropout_input,
    check_dropout_probability,
    check_dtype_argument,
    check_embedding,
    check_embedding_renorm,
    check_extremum_dim,
    check_float,
    check_floating_kernel,
    check_inplace,
    check_int,
    check_layer_norm,
    check_mean_arguments,
    check_mean_dtype,
    check_negation,
    check_no_weight_grad,
    check_number,
    check_same_dtype,
    check_scalar,
    check_softmax_dtype,
    check_softshrink_lambd,
    check_subtraction,
    check_tensor,
    check_tensor_method,
    check_values,
    embedding_padding_idx,
    layer_norm_shape,
    not_implemented_for,
    reduction_mode,
    refuse_sparse_embedding,
    softmax_dim,
    warn_if_sizes_differ,
)

__all__ = [
    "activation_linear",
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "add",
    "add_constant",
    "binary_cross_entropy",
    "cross_entropy",
    "dropout",
    "elu",
    "embedding",
    "exp",
    "l2_regularization",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log",
    "log_softmax",
    "logsigmoid",
    "margin_ranking_loss",
    "max",
    "maxout",
    "mean",
    "min",
    "mlp",
    "mm",
    "mse_loss",
    "mul",
    "mul_constant",
    "multi_margin_loss",
    "mv",
    "nll_loss",
    "prelu",
    "reciprocal",
    "relu",
    "sigmoid",
    "smooth_l1_loss",
    "soft_margin_loss",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
]


# Function.apply, switched to the jvp-free twin under torch.compile (see _function.py).
_apply_add_constant = dispatcher(AddConstantFunction)
_apply_add = dispatcher(AddFunction)
_apply_dropout = dispatcher(DropoutFunction)
_apply_elu = dispatcher(ELUFunction)
_apply_exp = dispatcher(ExpFunction)
_apply_log = dispatcher(LogFunction)
_apply_leaky_relu = dispatcher(LeakyReLUFunction)
_apply_linear = dispatcher(LinearFunction)
_apply_activation_linear = dispatcher(ActivationLinearFunction)
_apply_log_sigmoid = dispatcher(LogSigmoidFunction)
_apply_maxout = dispatcher(MaxoutFunction)
_apply_max = dispatcher(MaxFunction)
_apply_max_all = dispatcher(MaxAllFunction)
_apply_mean = dispatcher(MeanFunction)
_apply_min = dispatcher(MinFunction)
_apply_min_all = dispatcher(MinAllFunction)
_apply_mm = dispatcher(MMFunction)
_apply_mv = dispatcher(MVFunction)
_apply_mlp = dispatcher(MLPFunction)
_apply_mul_constant = dispatcher(MulConstantFunction)
_apply_mul = dispatcher(MulFunction)
_apply_prelu = dispatcher(PReLUFunction)
_apply_relu = dispatcher(ReLUFunction)
_apply_reciprocal = dispatcher(ReciprocalFunction)
_apply_sigmoid = dispatcher(SigmoidFunction)
_apply_softplus = dispatcher(SoftplusFunction)
_apply_softshrink = dispatcher(SoftshrinkFunction)
_apply_softsign = dispatcher(SoftsignFunction)
_apply_tanh = dispatcher(TanhFunction)
_apply_binary_cross_entropy = dispatcher(BCELossFunction)
_apply_cross_entropy = dispatcher(CrossEntropyFunction)
_apply_l2_regularization = dispatcher(L2RegularizationFunction)
_apply_layer_norm = dispatcher(LayerNormFunction)
_apply_log_softmax = dispatcher(LogSoftmaxFunction)
_apply_margin_ranking_loss = dispatcher(MarginRankingLossFunction)
_apply_mse_loss = dispatcher(MSELossFunction)
_apply_multi_margin_loss = dispatcher(MultiMarginLossFunction)
_apply_nll_loss = dispatcher(NLLLossFunction)
_apply_smooth_l1_loss = dispatcher(SmoothL1LossFunction)
_apply_soft_margin_loss = dispatcher(SoftMarginLossFunction)
_apply_soft_target_nll_loss = dispatcher(SoftTargetNLLLossFunction)
_apply_softmax = dispatcher(SoftmaxFunction)
_apply_softmin = dispatcher(SoftminFunction)
_apply_embedding = dispatcher(EmbeddingFunction)
_apply_adaptive_avg_pool2d = dispatcher(AdaptiveAvgPool2dFunction)
_apply_adaptive_max_pool2d = dispatcher(AdaptiveMaxPool2dFunction)


# --- graph nodes ---------------------------------------------------------------------------


def add(input: Tensor, other: Tensor | float) -> Tensor:
    """``input + other`` with broadcasting. See :class:`~torchlayers.autograd.AddFunction`."""
    check_tensor("add", input)
    if not isinstance(other, Tensor):
        if not isinstance(other, numbers.Number):  # torch.add's message: neither Tensor nor Number
            check_tensor("add", other, "other", 2)
        return add_constant(input, other)
    return _apply_add(input, other)


def mul(input: Tensor, other: Tensor | float) -> Tensor:
    """``input * other`` with broadcasting. See :class:`~torchlayers.autograd.MulFunction`."""
    check_tensor("mul", input)
    if not isinstance(other, Tensor):
        if not isinstance(other, numbers.Number):
            check_tensor("mul", other, "other", 2)
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


def log(input: Tensor) -> Tensor:
    """``log x`` elementwise (Lua Torch's ``nn.Log``). See :class:`~torchlayers.autograd.LogFunction`."""
    check_tensor("log", input)
    (input,) = autocast_inputs("log", input)
    return _apply_log(input)


def reciprocal(input: Tensor) -> Tensor:
    """``1/x`` elementwise. See :class:`~torchlayers.autograd.ReciprocalFunction`."""
    check_tensor("reciprocal", input)
    (input,) = autocast_inputs("reciprocal", input)
    return _apply_reciprocal(input)


# --- reductions ----------------------------------------------------------------------------
#
# Named as torch's (torch.max, torch.min, torch.mean; torch.nn.functional has none of them), so
# this module's own calls of the builtins max and min say ``builtins.max``.


def max(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """The maximum along ``dim`` as ``torch.return_types.max(values, indices)``, the index of
    the first maximum (the first NaN, if any) in each slice, which alone gets the gradient; or,
    without ``dim``, the maximum of all elements, whose gradient is shared evenly among the
    elements equal to it. As :func:`torch.max` (Lua Torch's ``nn.Max``); the elementwise
    maximum of two tensors is :func:`torch.maximum`. See
    :class:`~torchlayers.autograd.MaxFunction` and :class:`~torchlayers.autograd.MaxAllFunction`.

    Examples::

        >>> torchlayers.functional.max(torch.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]]), 1)
        torch.return_types.max(
        values=tensor([3., 2.]),
        indices=tensor([1, 0]))
    """
    check_tensor("max", input)
    if check_extremum_dim(torch.max, input, dim, keepdim):
        return _apply_max_all(input)
    return torch.return_types.max(_apply_max(input, dim, keepdim))


def min(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """The minimum along ``dim`` as ``torch.return_types.min(values, indices)``, or of all
    elements without ``dim``: :func:`max` with the order reversed (Lua Torch's ``nn.Min``). See
    :class:`~torchlayers.autograd.MinFunction` and :class:`~torchlayers.autograd.MinAllFunction`."""
    check_tensor("min", input)
    if check_extremum_dim(torch.min, input, dim, keepdim):
        return _apply_min_all(input)
    return torch.return_types.min(_apply_min(input, dim, keepdim))


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype: torch.dtype | None = None) -> Tensor:
    """The mean over ``dim`` (an int, a tuple of ints, or ``None`` for all), as
    :func:`torch.mean` (Lua Torch's ``nn.Mean``); ``dtype`` casts the input first. Each averaged
    element gets ``g / N``. See :class:`~torchlayers.autograd.MeanFunction`.

    Examples::

        >>> torchlayers.functional.mean(torch.tensor([[1.0, 2.0], [3.0, 6.0]]), dim=1)
        tensor([1.5000, 4.5000])
    """
    check_tensor("mean", input)
    check_mean_arguments(input, dim, keepdim, dtype)
    if dtype is not None:
        input = input.to(dtype)
    return _apply_mean(input, tuple(dim) if isinstance(dim, list) else dim, keepdim)


# --- matrix products -----------------------------------------------------------------------


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The matrix product ``input @ mat2`` of an (n, k) and a (k, m) matrix, as :func:`torch.mm`
    (Lua Torch's ``nn.MM``). See :class:`~torchlayers.autograd.MMFunction`."""
    check_tensor("mm", input)
    check_tensor("mm", mat2, "mat2", 2)
    input, mat2 = autocast_inputs("mm", input, mat2)
    return _apply_mm(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """The matrix-vector product ``input @ vec`` of an (n, m) matrix and an (m,) vector, as
    :func:`torch.mv` (Lua Torch's ``nn.MV``). See :class:`~torchlayers.autograd.MVFunction`."""
    check_tensor("mv", input)
    check_tensor("mv", vec, "vec", 2)
    input, vec = autocast_inputs("mv", input, vec)
    return _apply_mv(input, vec)


# --- affine layers -------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``. See :class:`~torchlayers.nn.Linear`."""
    check_tensor("linear", input)
    check_tensor("linear", weight, "weight", 2)
    if bias is not None:
        check_tensor("linear", bias, "bias", 3)
    input, weight, bias = autocast_inputs("linear", input, weight, bias)
    return _apply_linear(input, weight, bias)


def maxout(input: Tensor, weight: Tensor, bias: Tensor | None = None, pieces: int = 2) -> Tensor:
    """Maximum over ``pieces`` affine maps. See :class:`~torchlayers.nn.Maxout`."""
    check_tensor("maxout", input)
    check_tensor("maxout", weight, "weight", 2)
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
    """``mlp``'s activations as ``(name, argument)`` pairs, checked (once per spelling). A tuple
    seen before (the MLP builder passes the same tuple of pairs every call) is looked up as it
    is; other spellings (lists) first become one."""
    try:
        return _MLP_ACTIVATIONS_SEEN[activations]
    except (KeyError, TypeError):  # not seen, or unhashable (a list)
        pass
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


def mlp(input: Tensor, *parameters: Tensor | None, activations, nodes: str = "network") -> Tensor:
    r"""The multilayer perceptron ``W_L a_{L-1}(… a_1(x W_1ᵀ + b_1) …) + b_L`` as one graph node.

    .. math::
        h_0 = x, \qquad h_l = a_l(h_{l-1} W_l^T + b_l), \qquad f(x) = h_{L-1} W_L^T + b_L

    The same values and gradients as the chain ``linear``, activation, ..., ``linear``, from the
    same formulas, with one Python node instead of one per operation (see
    :class:`~torchlayers.autograd.mlp.MLPFunction`), or one per layer (``nodes="layer"``:
    ``linear``, then :func:`activation_linear` per hidden layer). Under autocast its matrix
    products run in the autocast dtype, as ``linear``'s, and its activations in their input's
    dtype.

    One node frees what it saved only when its whole backward is done, so during backward it
    holds every hidden layer's activation while the weights' gradients are made: a step's peak
    memory is above the per-op graph's by those activations. One node per layer frees each
    layer's as the per-op graph does, at one Python call per layer more in each direction.

    Args:
        input: the input :math:`x`
        *parameters: per layer its weight :math:`W_l` and bias :math:`b_l` (``None`` for no
            bias), then, after a PReLU layer's bias, the PReLU's weight
        activations: one per hidden layer (``L - 1`` in all): ``"sigmoid"``, ``"tanh"``,
            ``"relu"``, ``"leaky_relu"``, ``"elu"`` or ``"prelu"``, or a pair ``("leaky_relu",
            negative_slope)`` / ``("elu", alpha)`` (alone they take torch's defaults 0.01 and 1.0)
        nodes: ``"network"`` (one graph node) or ``"layer"`` (one per layer). Default: ``"network"``

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
    if nodes not in ("network", "layer"):
        raise ValueError(f"mlp(): nodes must be 'network' or 'layer', got {nodes!r}")
    if nodes == "network":
        input, *parameters = autocast_inputs("mlp", input, *parameters)
        return _apply_mlp(input, activations, *parameters)[0]
    # the first linear, then per hidden layer its activation with the next linear (see
    # activation_linear: cut there, each node frees its activation as the per-op graph does);
    # each layer's tensors cast for autocast where it runs, as the per-op graph casts them
    plan = layer_plan(activations)
    weight, bias, slope, name, argument, _, _ = plan[0]
    output = _apply_linear(*autocast_inputs("mlp", input, parameters[weight], parameters[bias]))
    for next_weight, next_bias, next_slope, next_name, next_argument, _, _ in plan[1:]:
        layer = autocast_inputs(
            "mlp",
            output,
            parameters[next_weight],
            parameters[next_bias],
            None if slope is None else parameters[slope],
        )
        output = _apply_activation_linear(*layer, name, argument)[0]
        slope, name, argument = next_slope, next_name, next_argument
    return output


def activation_linear(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, activation="relu", slope: Tensor | None = None
) -> Tensor:
    r"""A hidden layer's activation and the next layer's scores, :math:`y = a(z) W^T + b`, as one
    graph node.

    The same values and gradients as the activation followed by ``linear``, from the same
    formulas (see :class:`~torchlayers.autograd.mlp.ActivationLinearFunction`); what
    ``mlp(..., nodes="layer")`` and the MLP builder compute after the first ``linear``. Under
    autocast all its tensors are cast as ``mlp``'s: the activation runs in the autocast dtype
    (in a network its input is a ``linear``'s output, already in that dtype).

    Args:
        input: the hidden layer's scores :math:`z`
        weight: the next layer's :math:`W`, of shape ``(out_features, in_features)``
        bias: its :math:`b`, or ``None``
        activation: :math:`a`, as one entry of :func:`mlp`'s ``activations``. Default: ``"relu"``
        slope: PReLU's weight, for ``activation="prelu"`` only

    Shape:
        - Input: :math:`(*, H_{in})`. Output: :math:`(*, H_{out})`.
    """
    check_tensor("activation_linear", input)
    ((name, argument),) = _mlp_activations((activation,))
    if (slope is None) != (name != "prelu"):
        raise ValueError("activation_linear(): slope is PReLU's weight: give it for 'prelu' and only then")
    input, weight, bias, slope = autocast_inputs("mlp", input, weight, bias, slope)
    return _apply_activation_linear(input, weight, bias, slope, name, argument)[0]


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
    check_tensor("relu_" if inplace else "relu", input)
    check_inplace(input, inplace)
    return _apply_relu(input, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``max(negative_slope * x, x)``. See :class:`~torchlayers.nn.LeakyReLU`."""
    name = "leaky_relu_" if inplace else "leaky_relu"
    check_tensor(name, input)
    check_scalar(name, negative_slope, "negative_slope", 2)
    check_inplace(input, inplace)
    return _apply_leaky_relu(input, negative_slope, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x if x > 0 else alpha * (eˣ - 1)``. See :class:`~torchlayers.nn.ELU`."""
    name = "elu_" if inplace else "elu"
    check_tensor(name, input)
    check_scalar(name, alpha, "alpha", 2)
    check_inplace(input, inplace)
    return _apply_elu(input, alpha, inplace)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x if x > 0 else weight * x``, one weight per channel. See :class:`~torchlayers.nn.PReLU`."""
    check_tensor("prelu", input)
    check_tensor("prelu", weight, "weight", 2)
    input, weight = autocast_inputs("prelu", input, weight)
    # ATen's checks, in its order
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"prelu: Type promoting not supported. Got {aten_dtype_name(input.dtype)} and "
            f"{aten_dtype_name(weight.dtype)}"
        )
    if weight.numel() != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() > 1 else 1
        if weight.numel() != channels:
            raise RuntimeError(
                "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                f"{weight.numel()} and channel size = {channels}."
            )
    if weight.dim() > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}"
        )
    return _apply_prelu(input, weight)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(1 / (1 + e⁻ˣ))``, computed without overflow. See :class:`~torchlayers.nn.LogSigmoid`."""
    check_tensor("log_sigmoid", input)  # torch's message names the ATen op, log_sigmoid
    check_floating_kernel(input, "log_sigmoid_cpu", "log_sigmoid_forward_cuda")
    return _apply_log_sigmoid(input)[0]


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + e^(beta x)) / beta``, ``x`` where ``beta x > threshold``.
    See :class:`~torchlayers.nn.Softplus`."""
    check_tensor("softplus", input)
    check_scalar("softplus", beta, "beta", 2)
    check_scalar("softplus", threshold, "threshold", 3)
    check_floating_kernel(input, "softplus_cpu", "softplus_cuda")
    (input,) = autocast_inputs("softplus", input)
    return _apply_softplus(input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``. See :class:`~torchlayers.nn.Softsign`."""
    check_tensor_method(input, "abs")  # torch's softsign is input / (input.abs() + 1)
    return _apply_softsign(input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` if ``x > lambd``, ``x + lambd`` if ``x < -lambd``, else 0.
    See :class:`~torchlayers.nn.Softshrink`."""
    check_tensor("softshrink", input)
    check_scalar("softshrink", lambd, "lambd", 2, converted_to="double")
    check_floating_kernel(input, "softshrink_check")
    check_softshrink_lambd(input, lambd)
    return _apply_softshrink(input, lambd)


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
    check_layer_norm(input, normalized_shape, weight, bias, eps)
    input, weight, bias = autocast_inputs("layer_norm", input, weight, bias)
    return _apply_layer_norm(input, normalized_shape, weight, bias, eps)[0]


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1/(1 - p)`` (the input
    itself when not ``training``, for ``p = 0`` and for an empty input, as torch).
    See :class:`~torchlayers.nn.Dropout`."""
    check_dropout_probability(p)  # torch checks p in Python before the input
    check_dropout(input, p, training)
    if not training or p == 0 or input.numel() == 0:
        return input
    if p < 1:  # p = 1 multiplies by zeros, drawing no mask
        check_dropout_input(input)
    check_inplace(input, inplace)
    return _apply_dropout(input, dropout_mask(input, p), p, inplace)


# --- losses ---------------------------------------------------------------------------------
#
# Each wrapper checks its arguments where torch does (same exception types), applies autocast's
# rule for losses (float16/bfloat16 computed in float32 on CPU and CUDA) and calls the loss
# Functions of torchlayers.autograd. cross_entropy = nll_loss(log_softmax(input)), as in torch.


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``. See :class:`~torchlayers.nn.Softmax`."""
    dim = softmax_dim("softmax", input, dim, _stacklevel)
    check_tensor_method(input, "softmax")
    check_dtype_argument("softmax", dtype)
    (input,) = (input.to(dtype),) if dtype is not None else autocast_inputs("softmax", input)
    check_softmax_dtype("softmax", input, dim)
    return _apply_softmax(input, dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``x - log(sum(exp(x)))`` along ``dim``. See :class:`~torchlayers.nn.LogSoftmax`."""
    dim = softmax_dim("log_softmax", input, dim, _stacklevel)
    check_tensor_method(input, "log_softmax")
    check_dtype_argument("log_softmax", dtype)
    (input,) = (input.to(dtype),) if dtype is not None else autocast_inputs("log_softmax", input)
    check_softmax_dtype("log_softmax", input, dim)
    return _apply_log_softmax(input, dim)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim``. See :class:`~torchlayers.nn.Softmin`."""
    if dim is None:
        dim = softmax_dim("softmin", input, dim, _stacklevel)
    check_negation(input)  # torch's softmin is (-input).softmax(dim, dtype=dtype)
    check_int("softmax", dim, "dim", 1)
    check_dtype_argument("softmax", dtype)
    (input,) = (input.to(dtype),) if dtype is not None else autocast_inputs("softmin", input)
    check_softmax_dtype("softmax", input, dim)
    return _apply_softmin(input, dim)


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
    reduction = reduction_mode(size_average, reduce, reduction)
    _check_class_arguments("nll_loss_nd", input, target, weight, ignore_index)
    input, weight = autocast_inputs("nll_loss", input, weight)
    target = check_class_target(input, target, weight)
    check_class_range(input, target, ignore_index)
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
    reduction = reduction_mode(size_average, reduce, reduction)
    _check_class_arguments("cross_entropy_loss", input, target, weight, ignore_index)
    check_float("cross_entropy_loss", label_smoothing, "label_smoothing", 6)
    input, target, weight = autocast_inputs("cross_entropy", input, target, weight)
    if input.shape == target.shape:  # as torch: equal shapes mean class probabilities
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing)
    _check_label_smoothing(label_smoothing)
    if input.dim() == 0:  # torch's log_softmax along the class dimension 1
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    target = check_class_target(input, target, weight)
    check_class_range(input, target, ignore_index)
    smoothing = builtins.max(float(label_smoothing), 0.0)
    return _apply_cross_entropy(input, target, weight, reduction, ignore_index, smoothing)[0]


def _check_class_arguments(name: str, input, target, weight, ignore_index) -> None:
    """The argument types of ATen's ``nll_loss_nd`` / ``cross_entropy_loss``."""
    check_tensor(name, input)
    check_tensor(name, target, "target", 2)
    if weight is not None:
        check_tensor(name, weight, "weight", 3)
    check_int(name, ignore_index, "ignore_index", 5)


def _check_label_smoothing(label_smoothing) -> None:
    if label_smoothing > 1.0:  # printed as C++ prints a double
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {float(label_smoothing):g}")


def _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing):
    if not target.is_floating_point():
        raise RuntimeError(
            "Expected floating point type for target with class probabilities, got "
            f"{aten_dtype_name(target.dtype)}"
        )
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if input.dim() == 0:  # torch's class-dimension lookup on a 0-d input
        raise IndexError("Dimension specified as 1 but tensor has no dimensions")
    class_dim = class_dim_of(input)
    if weight is not None and (weight.dim() != 1 or weight.numel() != input.shape[class_dim]):
        raise RuntimeError(
            f"cross_entropy: weight tensor should be defined either for all {input.shape[class_dim]} "
            f"classes or no classes but got weight tensor of shape: {list(weight.shape)}"
        )
    _check_label_smoothing(label_smoothing)
    log_probs = _apply_log_softmax(input, class_dim)
    smoothing = builtins.max(label_smoothing, 0.0)
    return _apply_soft_target_nll_loss(log_probs, target, weight, smoothing, reduction)


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error (optionally weighted per element). See :class:`~torchlayers.nn.MSELoss`."""
    check_tensor_method(target, "size")  # torch's first use of its arguments: target.size()
    check_tensor_method(input, "size")
    warn_if_sizes_differ(input, target)
    if size_average is not None or reduce is not None:
        reduction = reduction_mode(size_average, reduce, reduction)
    broadcast_shape(input, target)  # RuntimeError when they cannot broadcast
    if weight is not None:
        check_tensor_method(weight, "size")
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        if reduction not in ("none", "mean", "sum"):  # torch's message for the weighted loss
            raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    reduction = reduction_mode(None, None, reduction)
    input, target = autocast_inputs("mse_loss" if weight is None else "weighted_mse_loss", input, target)
    if not (input.is_floating_point() or target.is_floating_point()):
        dtype = torch.promote_types(input.dtype, target.dtype)
        raise not_implemented_for("mse_cpu", dtype)
    return _apply_mse_loss(input, target, weight, reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """Squared error below ``beta``, absolute error above. See :class:`~torchlayers.nn.SmoothL1Loss`."""
    check_tensor_method(target, "size")  # torch's first use of its arguments: target.size()
    check_tensor_method(input, "size")
    warn_if_sizes_differ(input, target)
    broadcast_shape(input, target)  # RuntimeError when they cannot broadcast
    reduction = reduction_mode(size_average, reduce, reduction)
    check_float("smooth_l1_loss", beta, "beta", 4)
    if not beta >= 0:  # NaN fails too, as in torch
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = autocast_inputs("smooth_l1_loss", input, target)
    if not (input.is_floating_point() or target.is_floating_point()):
        if beta == 0 and reduction == "mean":  # torch's L1 loss then, whose integer mean fails
            check_mean_dtype(torch.promote_types(input.dtype, target.dtype))
        kernel = "smooth_l1_cpu" if input.device.type == "cpu" else "smooth_l1_cuda"
        raise not_implemented_for(kernel, torch.promote_types(input.dtype, target.dtype))
    return _apply_smooth_l1_loss(input, target, reduction, float(beta))


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross entropy of probabilities. See :class:`~torchlayers.nn.BCELoss`."""
    reduction = reduction_mode(size_average, reduce, reduction)
    check_tensor_method(target, "size")  # torch's first use of its arguments: target.size()
    check_tensor_method(input, "size")
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
            "is deprecated. Please ensure they have the same size."
        )
    if weight is not None:
        check_tensor_method(weight, "size")
        weight = weight.expand(torch.broadcast_shapes(target.shape, weight.shape))
    refuse_unsafe("binary_cross_entropy", input)
    input, target, weight = autocast_inputs("binary_cross_entropy", input, target, weight)
    check_no_weight_grad("binary_cross_entropy", weight)
    if target.dtype != input.dtype:
        raise RuntimeError(
            f"Found dtype {aten_dtype_name(target.dtype)} but expected {aten_dtype_name(input.dtype)}"
        )
    if not input.is_floating_point():
        raise not_implemented_for("binary_cross_entropy", input.dtype)
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
    reduction = reduction_mode(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None:
        check_tensor_method(weight, "dim")
        if weight.dim() != 1:
            raise ValueError("weight must be one-dimensional")
    check_tensor("multi_margin_loss", input)
    check_tensor("multi_margin_loss", target, "target", 2)
    check_scalar("multi_margin_loss", margin, "margin", 4)
    input, weight = autocast_inputs("multi_margin_loss", input, weight)
    check_no_weight_grad("multi_margin_loss", weight)
    n_classes = input.shape[-1] if input.dim() else 1
    if input.dim() > 2 or n_classes == 0:
        raise RuntimeError(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}"
        )
    n_samples = input.shape[0] if input.dim() == 2 else 1
    batched_target = target.dim() == 1 and target.numel() == n_samples
    if not (batched_target or (input.dim() < 2 and target.dim() == 0)):
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
            f"samples (batch size). Expected target size [{n_samples}], but got {list(target.shape)}. "
            f"Input has shape {list(input.shape)}."
        )
    if weight is not None and weight.numel() != n_classes:
        raise RuntimeError(f"inconsistent weight size, expected {n_classes} but got {list(weight.shape)}")
    if not input.is_floating_point():
        kernel = "multi_margin_loss_cpu_kernel" if input.device.type == "cpu" else "multi_margin_loss_cuda"
        raise not_implemented_for(kernel, input.dtype)
    check_same_dtype(torch.empty((), dtype=torch.int64), target)  # ATen reads the target as int64
    if weight is not None:
        check_same_dtype(input, weight)
    if not kernel_runs_in_forward(multi_margin_loss_forward, input, target, p, margin, weight, reduction):
        # the formula does not check the range, ATen's kernel does
        check_values((target >= 0) & (target < n_classes), RuntimeError, lambda: "target out of range")
    return _apply_multi_margin_loss(input, target, int(p), margin, weight, reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """The hinge on ranked pairs. See :class:`~torchlayers.nn.MarginRankingLoss`."""
    reduction = reduction_mode(size_average, reduce, reduction)  # torch's Python wrapper's first step
    for tensor in (input1, input2, target):
        check_tensor_method(tensor, "dim")
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} "
        )
    check_float("margin_ranking_loss", margin, "margin", 4)
    # ATen: (-target * (input1 - input2) + margin).clamp_min_(0)
    check_subtraction(input1, input2)
    check_negation(target)
    broadcast_shape(input1, input2, target)  # RuntimeError when they cannot broadcast
    input1, input2, target = autocast_inputs("margin_ranking_loss", input1, input2, target)
    return _apply_margin_ranking_loss(input1, input2, target, float(margin), reduction)


def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """The logistic loss on ±1 labels. See :class:`~torchlayers.nn.SoftMarginLoss`."""
    reduction = reduction_mode(size_average, reduce, reduction)  # torch's Python wrapper's first step
    check_tensor("soft_margin_loss", input)
    check_tensor("soft_margin_loss", target, "target", 2)
    check_no_weight_grad("soft_margin_loss", target, "target")
    check_negation(input)  # ATen: neg_out(output, input).mul_(target).exp_().log1p_()
    # RuntimeError when they cannot broadcast; torch writes the loss into the input's shape
    shape = input.shape if target.shape == input.shape else broadcast_shape(input, target)
    if shape != input.shape:
        raise RuntimeError(
            f"output with shape {list(input.shape)} doesn't match the broadcast shape {list(shape)}"
        )
    input, target = autocast_inputs("soft_margin_loss", input, target)
    if not input.is_floating_point():  # exp_ of an integer product is a float, in the input's dtype
        product = torch.result_type(input, target)
        check_cast(product if product.is_floating_point else torch.get_default_dtype(), input.dtype)
    return _apply_soft_margin_loss(input, target, reduction)


def l2_regularization(*tensors: Tensor, weight: float) -> Tensor:
    """``weight * Σ ‖t‖²`` over the tensors. See :class:`~torchlayers.nn.L2Regularization`."""
    check_number("l2_regularization", weight, "weight")
    if not tensors:
        raise ValueError("l2_regularization() needs at least one tensor to regularise")
    for tensor in tensors:
        check_tensor("l2_regularization", tensor, "tensors")
    tensors = tuple(autocast_inputs("l2_regularization", tensor)[0] for tensor in tensors)
    return _apply_l2_regularization(weight, *tensors)


# --- lookup table ---------------------------------------------------------------------------


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """The rows of ``weight`` at the indices ``input``. See :class:`~torchlayers.nn.Embedding`.

    With ``max_norm``, the looked-up rows of ``weight`` whose ``norm_type``-norm exceeds it are
    rescaled to norm ``max_norm`` in place first, as torch's. ``sparse=True`` raises
    ``NotImplementedError``: the weight's gradient is always dense.
    """
    if padding_idx is None:
        padding_idx = -1
    elif padding_idx > 0 or padding_idx < 0:  # torch's comparisons, in its order (a non-number fails
        # here as there); only a nonzero index reads weight.size(0), torch's first use of the weight
        check_tensor_method(weight, "size")
        padding_idx = embedding_padding_idx(padding_idx, weight.size(0))
    if max_norm is not None:
        check_tensor_method(input, "contiguous")
        input = input.contiguous()
        check_tensor_method(weight, "detach")  # torch renormalises weight.detach()
        check_float("embedding_renorm_", max_norm, "max_norm", 3)
        check_float("embedding_renorm_", norm_type, "norm_type", 4)
        check_embedding_renorm(weight, input)
        embedding_renorm_(weight, input, max_norm, norm_type)
    check_tensor("embedding", weight, "weight", 1)
    check_tensor("embedding", input, "indices", 2)
    check_int("embedding", padding_idx, "padding_idx", 3)
    check_bool("embedding", scale_grad_by_freq, "scale_grad_by_freq", 4)
    check_bool("embedding", sparse, "sparse", 5)
    refuse_sparse_embedding("embedding()", sparse)
    check_embedding(input, weight)
    return _apply_embedding(input, weight, padding_idx, bool(scale_grad_by_freq))


# --- adaptive pooling -----------------------------------------------------------------------


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """The mean over each of ``output_size`` bins of the last two dimensions.
    See :class:`~torchlayers.nn.AdaptiveAvgPool2d`."""
    output_size = adaptive_output_size("adaptive_avg_pool2d", input, output_size)
    check_adaptive_avg_pool2d(input, output_size)
    return _apply_adaptive_avg_pool2d(input, tuple(output_size))


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """The maximum over each of ``output_size`` bins of the last two dimensions, and with
    ``return_indices`` the flat index of each maximum in its plane.
    See :class:`~torchlayers.nn.AdaptiveMaxPool2d`."""
    output_size = adaptive_output_size("adaptive_max_pool2d", input, output_size)
    check_adaptive_max_pool2d(input, output_size)
    output, indices = _apply_adaptive_max_pool2d(input, tuple(output_size))
    return (output, indices) if return_indices else output
