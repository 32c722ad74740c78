"""Functional interface: one snake_case wrapper per ``*Function``, named as in
``torch.nn.functional``. Each validates its arguments where the user called (same
exception types as torch), applies autocast's casting rule, and calls ``Function.apply``.
"""

from __future__ import annotations

import numbers

import torch
from torch import Tensor

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

__all__ = [
    "add",
    "add_constant",
    "elu",
    "exp",
    "leaky_relu",
    "linear",
    "maxout",
    "mul",
    "mul_constant",
    "prelu",
    "reciprocal",
    "relu",
    "sigmoid",
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
_apply_mul_constant = dispatcher(MulConstantFunction)
_apply_mul = dispatcher(MulFunction)
_apply_prelu = dispatcher(PReLUFunction)
_apply_relu = dispatcher(ReLUFunction)
_apply_reciprocal = dispatcher(ReciprocalFunction)
_apply_sigmoid = dispatcher(SigmoidFunction)
_apply_tanh = dispatcher(TanhFunction)


def _check_tensor(name: str, value, argument: str = "input") -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{argument}' must be Tensor, not {type(value).__name__}")


def _check_number(name: str, value, argument: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}(): argument '{argument}' must be a real number, not {type(value).__name__}")


def _autocast_low_precision(*tensors):
    """Autocast's rule for matmul-like ops: cast float32 (not float64) to the autocast dtype."""
    if not tensors or tensors[0].device.type not in ("cpu", "cuda", "xpu", "mps"):
        return tensors
    device_type = tensors[0].device.type
    if not torch.is_autocast_enabled(device_type):
        return tensors
    dtype = torch.get_autocast_dtype(device_type)
    return tuple(
        t.to(dtype) if t is not None and t.is_floating_point() and t.dtype != torch.float64 else t
        for t in tensors
    )


def _autocast_float32(tensor: Tensor) -> Tensor:
    """Autocast's rule for ops on CUDA's float32 list (exp, reciprocal, the losses)."""
    if (
        tensor.device.type == "cuda"
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
    return _apply_mul_constant(input, constant_scalar, inplace)


def add_constant(input: Tensor, constant_scalar: float, inplace: bool = False) -> Tensor:
    """``constant_scalar + input``. See :class:`~torchlayers.nn.AddConstant`."""
    _check_tensor("add_constant", input)
    _check_number("add_constant", constant_scalar, "constant_scalar")
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
    return _apply_relu(input, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``max(negative_slope * x, x)``. See :class:`~torchlayers.nn.LeakyReLU`."""
    _check_tensor("leaky_relu", input)
    _check_number("leaky_relu", negative_slope, "negative_slope")
    return _apply_leaky_relu(input, negative_slope, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x if x > 0 else alpha * (eˣ - 1)``. See :class:`~torchlayers.nn.ELU`."""
    _check_tensor("elu", input)
    _check_number("elu", alpha, "alpha")
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
    return _apply_prelu(input, weight)


# ---- losses (issue 3): below this line ----------------------------------------------------
