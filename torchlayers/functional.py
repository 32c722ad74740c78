"""Functional interface: one snake_case wrapper per ``*Function``, named as in
``torch.nn.functional``. Each validates its arguments where the user called (same
exception types as torch), applies autocast's casting rule, and calls ``Function.apply``.
"""

from __future__ import annotations

import numbers
import warnings

import torch
from torch import Tensor
from torch.nn import _reduction as _Reduction

from torchlayers.autograd import (
    AddConstantFunction,
    AddFunction,
    ELUFunction,
    ExpFunction,
    LeakyReLUFunction,
    LinearFunction,
    MaxoutFunction,
    MulConstantFunction,
    MulFunction,
    PReLUFunction,
    ReciprocalFunction,
    ReLUFunction,
    SigmoidFunction,
    TanhFunction,
)
from torchlayers.autograd._function import dispatcher
from torchlayers.autograd.loss import (
    BCELossFunction,
    CrossEntropyFunction,
    L2RegularizationFunction,
    LogSoftmaxFunction,
    MSELossFunction,
    MultiMarginLossFunction,
    NLLLossFunction,
    SoftmaxFunction,
    SoftTargetNLLLossFunction,
    bce_kernel_applies,
    class_dim_of,
    margin_kernel_applies,
)
from torchlayers.autograd.mlp import MLP_ACTIVATIONS, MLPFunction, layer_plan

__all__ = [
    "add",
    "add_constant",
    "binary_cross_entropy",
    "cross_entropy",
    "elu",
    "exp",
    "l2_regularization",
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
_apply_log_softmax = dispatcher(LogSoftmaxFunction)
_apply_mse_loss = dispatcher(MSELossFunction)
_apply_multi_margin_loss = dispatcher(MultiMarginLossFunction)
_apply_nll_loss = dispatcher(NLLLossFunction)
_apply_soft_target_nll_loss = dispatcher(SoftTargetNLLLossFunction)
_apply_softmax = dispatcher(SoftmaxFunction)


def _check_tensor(name: str, value, argument: str = "input") -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{argument}' must be Tensor, not {type(value).__name__}")


def _check_number(name: str, value, argument: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}(): argument '{argument}' must be a real number, not {type(value).__name__}")


def _check_inplace(input: Tensor, inplace: bool) -> None:
    """Refuse, before writing, what ``mark_dirty`` would only refuse after the forward wrote."""
    if inplace and input.requires_grad and input.is_leaf and torch.is_grad_enabled():
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation; "
            "call it out of place (inplace=False) or on a copy of the tensor."
        )


def _autocast_low_precision(*tensors):
    """Autocast's rule for its lower-precision ops (matmuls, prelu): cast float32, not float64.

    The casts run last argument first, the order torch's autocast wrapper casts them in (bias,
    weight, input for ``linear``, as a dispatch trace of ``torch.nn.Linear`` shows): a cast's
    backward node is numbered at creation and the engine runs later nodes first, so this order
    frees each gradient's low-precision copy when torch.nn's does (the other order kept one bias
    gradient more alive at the peak, the weight gradient's cast).
    """
    if not torch._C._is_any_autocast_enabled():  # the common call: one C check, no device lookup
        return tensors
    if not tensors or tensors[0].device.type not in ("cpu", "cuda", "xpu", "mps"):
        return tensors
    device_type = tensors[0].device.type
    if not torch.is_autocast_enabled(device_type):
        return tensors
    dtype = torch.get_autocast_dtype(device_type)
    cast = [
        t.to(dtype) if t is not None and t.is_floating_point() and t.dtype != torch.float64 else t
        for t in reversed(tensors)
    ]
    return tuple(reversed(cast))


def _autocast_float32(tensor: Tensor) -> Tensor:
    """Autocast's rule for ops on CUDA's float32 list (exp, reciprocal, the losses)."""
    if (
        torch._C._is_any_autocast_enabled()
        and tensor.device.type == "cuda"
        and torch.is_autocast_enabled("cuda")
        and tensor.dtype in (torch.float16, torch.bfloat16)
    ):
        return tensor.float()
    return tensor


# --- graph nodes ---------------------------------------------------------------------------


def add(input: Tensor, other: Tensor | float) -> Tensor:
    """``input + other`` with broadcasting. See :class:`~torchlayers.autograd.AddFunction`."""
    _check_tensor("add", input)
    if not isinstance(other, Tensor):
        return add_constant(input, other)
    return _apply_add(input, other)


def mul(input: Tensor, other: Tensor | float) -> Tensor:
    """``input * other`` with broadcasting. See :class:`~torchlayers.autograd.MulFunction`."""
    _check_tensor("mul", input)
    if not isinstance(other, Tensor):
        return mul_constant(input, other)
    return _apply_mul(input, other)


def mul_constant(input: Tensor, constant_scalar: float, inplace: bool = False) -> Tensor:
    """``constant_scalar * input``. See :class:`~torchlayers.nn.MulConstant`."""
    _check_tensor("mul_constant", input)
    _check_number("mul_constant", constant_scalar, "constant_scalar")
    _check_inplace(input, inplace)
    return _apply_mul_constant(input, constant_scalar, inplace)


def add_constant(input: Tensor, constant_scalar: float, inplace: bool = False) -> Tensor:
    """``constant_scalar + input``. See :class:`~torchlayers.nn.AddConstant`."""
    _check_tensor("add_constant", input)
    _check_number("add_constant", constant_scalar, "constant_scalar")
    _check_inplace(input, inplace)
    return _apply_add_constant(input, constant_scalar, inplace)


def exp(input: Tensor) -> Tensor:
    """``eˣ`` elementwise. See :class:`~torchlayers.autograd.ExpFunction`."""
    _check_tensor("exp", input)
    return _apply_exp(_autocast_float32(input))


def reciprocal(input: Tensor) -> Tensor:
    """``1/x`` elementwise. See :class:`~torchlayers.autograd.ReciprocalFunction`."""
    _check_tensor("reciprocal", input)
    return _apply_reciprocal(_autocast_float32(input))


# --- affine layers -------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``. See :class:`~torchlayers.nn.Linear`."""
    _check_tensor("linear", input)
    _check_tensor("linear", weight, "weight")
    input, weight, bias = _autocast_low_precision(input, weight, bias)
    return _apply_linear(input, weight, bias)


def maxout(input: Tensor, weight: Tensor, bias: Tensor | None = None, pieces: int = 2) -> Tensor:
    """Maximum over ``pieces`` affine maps. See :class:`~torchlayers.nn.Maxout`."""
    _check_tensor("maxout", input)
    _check_tensor("maxout", weight, "weight")
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
    input, weight, bias = _autocast_low_precision(input, weight, bias)
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
            _check_number("mlp", argument, f"{name}'s argument")
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
    _check_tensor("mlp", input)
    activations = _mlp_activations(activations)
    expected = layer_plan(activations)[-1][1] + 1  # the last bias's position, plus one
    if len(parameters) != expected:
        raise ValueError(
            f"mlp(): {len(activations)} hidden layers take {expected} parameters (weight and bias "
            f"per layer, PReLU's weight after its layer's bias), got {len(parameters)}"
        )
    input, *parameters = _autocast_low_precision(input, *parameters)
    return _apply_mlp(input, activations, *parameters)[0]


# --- activations ---------------------------------------------------------------------------


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + e⁻ˣ)``. See :class:`~torchlayers.nn.Sigmoid`."""
    _check_tensor("sigmoid", input)
    return _apply_sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent. See :class:`~torchlayers.nn.Tanh`."""
    _check_tensor("tanh", input)
    return _apply_tanh(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(0, x)``. See :class:`~torchlayers.nn.ReLU`."""
    _check_tensor("relu", input)
    _check_inplace(input, inplace)
    return _apply_relu(input, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``max(negative_slope * x, x)``. See :class:`~torchlayers.nn.LeakyReLU`."""
    _check_tensor("leaky_relu", input)
    _check_number("leaky_relu", negative_slope, "negative_slope")
    _check_inplace(input, inplace)
    return _apply_leaky_relu(input, negative_slope, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x if x > 0 else alpha * (eˣ - 1)``. See :class:`~torchlayers.nn.ELU`."""
    _check_tensor("elu", input)
    _check_number("elu", alpha, "alpha")
    _check_inplace(input, inplace)
    return _apply_elu(input, alpha, inplace)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x if x > 0 else weight * x``, one weight per channel. See :class:`~torchlayers.nn.PReLU`."""
    _check_tensor("prelu", input)
    _check_tensor("prelu", weight, "weight")
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
    input, weight = _autocast_low_precision(input, weight)  # prelu is on autocast's low-precision list
    return _apply_prelu(input, weight)


# --- losses ---------------------------------------------------------------------------------
#
# Each wrapper checks its arguments where torch does (same exception types), applies autocast's
# rule for losses (float16/bfloat16 computed in float32 on CPU and CUDA) and calls the Functions
# of torchlayers/autograd/loss.py. cross_entropy = nll_loss(log_softmax(input)), as in torch.


def _reduction_mode(size_average, reduce, reduction: str) -> str:
    """The reduction after torch's handling of the legacy ``size_average``/``reduce`` flags."""
    if size_average is None and reduce is None and reduction in ("mean", "sum", "none"):
        return reduction  # the common call, without the checks below
    if size_average is not None or reduce is not None:
        reduction = _Reduction.legacy_get_string(size_average, reduce)  # warns, as torch does
    _Reduction.get_enum(reduction)  # ValueError: "... is not a valid value for reduction"
    return "mean" if reduction == "elementwise_mean" else reduction


def _autocast_loss(*tensors):
    """Autocast's rule for losses: every torch loss here is on the float32 list of both CPU and
    CUDA autocast (and cross_entropy's parts, log_softmax and nll_loss, on CUDA's), so float16
    and bfloat16 tensors are computed in float32; float64 stays float64."""
    if not torch._C._is_any_autocast_enabled():  # the common call: one C check, no device lookup
        return tensors
    device_type = tensors[0].device.type  # the input, a tensor (checked by every caller)
    if device_type not in ("cpu", "cuda") or not torch.is_autocast_enabled(device_type):
        return tensors
    return tuple(
        t.float() if isinstance(t, Tensor) and t.dtype in (torch.float16, torch.bfloat16) else t
        for t in tensors
    )


def _can_inspect_values() -> bool:
    """Value checks read the data: skipped while torch.compile traces or a torch.func transform
    (vmap) runs, where Python cannot branch on tensor values."""
    return not torch.compiler.is_compiling() and torch._C._functorch.peek_interpreter_stack() is None


def _check_values(valid: Tensor, error: type[Exception], message) -> None:
    """Raise ``error(message())`` unless every element of ``valid`` is true. On CUDA the check is
    asynchronous (no host sync, as torch's kernels assert on the device), so ``message()`` must
    not read the data there."""
    if not _can_inspect_values():
        return
    if valid.device.type == "cuda":
        torch._assert_async(valid.all(), message())
    elif not bool(valid.all()):
        raise error(message())


def _check_no_weight_grad(name: str, weight: Tensor | None) -> None:
    if weight is not None and weight.requires_grad and torch.is_grad_enabled():
        raise RuntimeError(
            f"The function '{name}' is not differentiable with respect to argument 'weight'. "
            "This input cannot have requires_grad True."
        )


def _check_class_weight(name: str, weight: Tensor | None, input: Tensor, n_classes: int) -> None:
    if weight is None:
        return
    _check_tensor(name, weight, "weight")
    if weight.dim() != 1 or weight.numel() != n_classes:
        raise RuntimeError(
            f"{name}: weight tensor should be defined either for all {n_classes} classes or no "
            f"classes but got weight tensor of shape: {list(weight.shape)}"
        )
    if weight.dtype != input.dtype:
        raise RuntimeError(
            f"{name}: expected weight of dtype {input.dtype} (the input's), but got {weight.dtype}"
        )


def _check_class_target(name: str, input: Tensor, target: Tensor) -> Tensor:
    """Shape and dtype checks of a class-index target; returns it as int64. The class range is
    checked by ATen's NLL kernel that reads the target (IndexError on CPU, a device-side assert
    on CUDA), as in torch."""
    common = target.dtype == torch.int64 and input.dim() == 2 and target.dim() == 1
    if common and target.shape[0] == input.shape[0]:
        return target  # the common (N, C) call, all checks passed
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() != 1 and (target.shape[0] if target.dim() else 0) != input.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0] if target.dim() else 0})."
        )
    if target.dtype not in (torch.int64, torch.uint8):
        raise RuntimeError(f"{name}: expected target dtype to be Long or Byte, but got {target.dtype}")
    expected = input.shape[:1] + input.shape[2:] if input.dim() > 1 else None
    if (expected is None and target.numel() != 1) or (expected is not None and target.shape != expected):
        want = "() or (1,)" if expected is None else str(tuple(expected))
        raise RuntimeError(
            f"{name}: expected a target of shape {want} for an input of shape {tuple(input.shape)} "
            f"(classes in dim {0 if input.dim() == 1 else 1}), but got {tuple(target.shape)}"
        )
    return target.long() if input.dim() > 1 else target.long().reshape(())  # (C,) input: one sample


def _softmax_dim(name: str, input: Tensor, dim, stacklevel: int) -> int:
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if input.dim() in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``. See :class:`~torchlayers.nn.Softmax`."""
    _check_tensor("softmax", input)
    dim = _softmax_dim("softmax", input, dim, _stacklevel)
    input = input.to(dtype) if dtype is not None else _autocast_float32(input)
    return _apply_softmax(input, dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``x - log(sum(exp(x)))`` along ``dim``. See :class:`~torchlayers.nn.LogSoftmax`."""
    _check_tensor("log_softmax", input)
    dim = _softmax_dim("log_softmax", input, dim, _stacklevel)
    input = input.to(dtype) if dtype is not None else _autocast_float32(input)
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
    _check_tensor("nll_loss", input)
    _check_tensor("nll_loss", target, "target")
    reduction = _reduction_mode(size_average, reduce, reduction)
    input, weight = _autocast_loss(input, weight)
    target = _check_class_target("nll_loss", input, target)
    _check_class_weight("nll_loss", weight, input, input.shape[class_dim_of(input)])
    _check_no_weight_grad("nll_loss", weight)
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
    _check_tensor("cross_entropy", input)
    _check_tensor("cross_entropy", target, "target")
    reduction = _reduction_mode(size_average, reduce, reduction)
    input, target, weight = _autocast_loss(input, target, weight)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.shape == target.shape:  # as torch: equal shapes mean class probabilities
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing)
    target = _check_class_target("cross_entropy", input, target)
    _check_class_weight("cross_entropy", weight, input, input.shape[class_dim_of(input)])
    _check_no_weight_grad("cross_entropy", weight)
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
        _check_tensor("cross_entropy", weight, "weight")
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
    _check_tensor("mse_loss", input)
    _check_tensor("mse_loss", target, "target")
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=2,
        )
    reduction = _reduction_mode(size_average, reduce, reduction)
    torch.broadcast_tensors(input, target)  # RuntimeError when they cannot broadcast (views, no copy)
    if weight is not None and weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    if weight is None:
        input, target = _autocast_loss(input, target)
    else:  # torch's weighted mse_loss is Python arithmetic: only CUDA autocast's pow goes to float32
        input, target = _autocast_float32(input), _autocast_float32(target)
    if not (input.is_floating_point() or target.is_floating_point()):
        raise NotImplementedError(
            f"mse_loss(): expected floating point input or target, got {input.dtype} and {target.dtype}"
        )
    return _apply_mse_loss(input, target, weight, reduction)


_BCE_AUTOCAST_MESSAGE = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast (and so "
    "are torchlayers.functional.binary_cross_entropy and torchlayers.nn.BCELoss).\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using torch.nn.functional.binary_cross_entropy_with_logits\n"
    "or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
    "safe to autocast."
)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross entropy of probabilities. See :class:`~torchlayers.nn.BCELoss`."""
    _check_tensor("binary_cross_entropy", input)
    _check_tensor("binary_cross_entropy", target, "target")
    reduction = _reduction_mode(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
            "is deprecated. Please ensure they have the same size."
        )
    if input.device.type == "cuda" and torch.is_autocast_enabled("cuda"):
        raise RuntimeError(_BCE_AUTOCAST_MESSAGE)  # torch's CUDA autocast bans it, on any dtype
    input, target, weight = _autocast_loss(input, target, weight)
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
        _check_tensor("binary_cross_entropy", weight, "weight")
        weight = weight.expand(torch.broadcast_shapes(target.shape, weight.shape))
        _check_no_weight_grad("binary_cross_entropy", weight)
    if bce_kernel_applies(input, target, weight):  # ATen's kernel checks both ranges itself
        return _apply_binary_cross_entropy(input, target, weight, reduction)
    for name, tensor in (("input", input), ("target", target)):
        _check_values(
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
    _check_tensor("multi_margin_loss", input)
    _check_tensor("multi_margin_loss", target, "target")
    reduction = _reduction_mode(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    input, weight = _autocast_loss(input, weight)
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
        _check_no_weight_grad("multi_margin_loss", weight)
    if not margin_kernel_applies(input):  # ATen's kernel checks the range itself
        _check_values((target >= 0) & (target < n_classes), RuntimeError, lambda: "target out of range")
    return _apply_multi_margin_loss(input, target, int(p), margin, weight, reduction)


def l2_regularization(*tensors: Tensor, weight: float) -> Tensor:
    """``weight * Σ ‖t‖²`` over the tensors. See :class:`~torchlayers.nn.L2Regularization`."""
    _check_number("l2_regularization", weight, "weight")
    if not tensors:
        raise ValueError("l2_regularization() needs at least one tensor to regularise")
    for tensor in tensors:
        _check_tensor("l2_regularization", tensor, "tensors")
    # as its native composition weight * Σ t.pow(2).sum(): pow and sum are on CUDA autocast's
    # float32 list (and on no CPU list)
    tensors = tuple(_autocast_float32(tensor) for tensor in tensors)
    return _apply_l2_regularization(weight, *tensors)
