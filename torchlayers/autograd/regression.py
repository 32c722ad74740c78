"""Regression and binary classification: squared error, the smooth L1 (Huber-like) error and the
logistic-regression cost.

* ``MSELossFunction``: ℓ = w (x - y)² per position, reduced; ``input`` and ``target`` broadcast
  against each other, and the optional per-element weight ``w`` (1 without one) is
  differentiable too. Its backward is 2 w (x - y) g, the same term with the sign flipped for y.
* ``SmoothL1LossFunction``: ℓ = 0.5 d²/β where abs(d) < β, else abs(d) - 0.5 β, with d = x - y
  broadcast as MSE's: quadratic near 0, linear (robust to outliers) beyond β. Its backward is
  d/β inside, sign(d) outside, times g (the negative for y); β = 0 is the L1 loss abs(d), whose
  derivative sign(d) is 0 at d = 0, as torch.nn.functional special-cases it.
* ``BCELossFunction``: ℓ = -w [y log x + (1 - y) log(1 - x)], each log clamped at -100 as in
  torch.nn.BCELoss (a prediction of exactly 0 or 1 costs 100, not inf). Its backward in x is
  w (x - y) / (x (1 - x)), the denominator floored at about 1e-12 as torch's; in y it is
  w (log(1 - x) - log x).

The forwards and the input gradients are formulas in plain differentiable ops, named beside
the Functions; ATen's fused kernels for them stand in through the kernel table (``kernels.py``)
where they apply. Double backward differentiates the formulas. ``jvp`` contracts the same
per-position derivatives with the tangents ('none' reduction), then reduces. Half-precision
tensors are computed in float32 and rounded once (``opmath``), as ATen's loss kernels accumulate.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd import Function

from torchlayers.autograd._function import (
    opmath,
    opmath_dtype,
    per_position_grad,
    reduce,
    result_dtype,
    sum_tangents,
    unbroadcast,
)
from torchlayers.autograd.kernels import stand_in

__all__ = ["BCELossFunction", "MSELossFunction", "SmoothL1LossFunction"]

# torch.nn.BCELoss clamps each log at -100 so that a prediction of exactly 0 or 1 costs 100,
# not inf; its backward divides by max(x (1 - x), ε) for the same reason, with ε the float 1e-12
# rounded to the input's dtype: 0 in float16, whose gradient is then ±inf or NaN at x = 0 or 1.
_BCE_LOG_FLOOR = -100.0
_BCE_EPSILON = {
    dtype: torch.tensor(1e-12, dtype=torch.float32).to(dtype).item()
    for dtype in (torch.float64, torch.float32, torch.float16, torch.bfloat16)
}


# --- squared error ---------------------------------------------------------------------------


def _regression_dtypes(
    input: Tensor, target: Tensor, weight: Tensor | None = None
) -> tuple[torch.dtype, torch.dtype]:
    """(the loss's dtype, the dtype it is computed in). torch broadcasts input and target to one
    shape before it subtracts them, so a 0-dim tensor's dtype counts as any other's."""
    dtype = result_dtype((input, target) if weight is None else (input, target, weight))
    return dtype, opmath_dtype(dtype)


def _mse_normaliser(squared: Tensor, weight: Tensor | None):
    """What 'mean' divides by: the number of positions, or Σ w when weighted."""
    return squared.numel() if weight is None else weight.to(squared.dtype).sum()


@stand_in
def mse_loss_forward(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str) -> Tensor:
    """Σ w (x - y)² reduced: 'mean' divides by the number of positions, or by Σ w when weighted."""
    dtype, compute = _regression_dtypes(input, target, weight)
    squared = (input.to(compute) - target.to(compute)).square()  # (x - y)²
    if weight is not None:
        squared = squared * weight.to(compute)  # w (x - y)²
    return reduce(squared, reduction, _mse_normaliser(squared, weight)).to(dtype)


@stand_in
def mse_loss_grad(
    grad_output: Tensor, input: Tensor, target: Tensor, weight: Tensor | None, reduction: str
) -> Tensor:
    """g · dℓ/dx at every position of the broadcast shape (dℓ/dy is its negative)."""
    dtype, compute = _regression_dtypes(input, target, weight)
    diff = input.to(compute) - target.to(compute)
    w = None if weight is None else weight.to(compute)
    g = per_position_grad(grad_output.to(compute), reduction, _mse_normaliser(diff, w), diff.shape)
    if w is not None:
        g = w * g
    return (diff * (2 * g)).to(dtype)  # d/dx w (x - y)² = 2 w (x - y)


def mse_loss_weight_grad(
    grad_output: Tensor, input: Tensor, target: Tensor, weight: Tensor, reduction: str
) -> Tensor:
    """g · dℓ/dw, summed over the positions each weight scales."""
    _, compute = _regression_dtypes(input, target, weight)
    squared = (input.to(compute) - target.to(compute)).square()  # d/dw w (x - y)² = (x - y)²
    g = grad_output.to(compute)
    if reduction == "none":
        return unbroadcast(squared * g, weight.shape).to(weight.dtype)
    grad = unbroadcast(squared, weight.shape)
    if reduction == "mean":
        # d/dwᵢ Σ w (x - y)² / Σ w = (Σ (x - y)² over wᵢ's positions - L) / Σ w
        w = weight.to(compute)
        total = w.sum()
        grad = (grad - (w * squared).sum() / total) / total
    return (grad * g).to(weight.dtype)


class MSELossFunction(Function):
    """ℓ = w (x - y)² per position (w = 1 without a weight); 'mean' divides by the count or Σ w.

    ``input`` and ``target`` broadcast against each other; both are differentiable, and so is
    the (optional, torch.nn.functional only) elementwise ``weight``. Saves the three inputs.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, weight, reduction):
        return mse_loss_forward(input, target, weight, reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, weight, reduction = inputs
        ctx.reduction = reduction
        ctx.save_for_backward(input, target, weight)
        ctx.save_for_forward(input, target, weight)

    @staticmethod
    def backward(ctx, grad_output):
        input, target, weight = ctx.saved_tensors
        grad_input = grad_target = grad_weight = None
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            # one pass for both: d/dy (x - y)² = -d/dx
            grad = mse_loss_grad(grad_output, input, target, weight, ctx.reduction)
            if ctx.needs_input_grad[0]:
                grad_input = unbroadcast(grad, input.shape).to(input.dtype)
            if ctx.needs_input_grad[1]:
                grad_target = unbroadcast(-grad, target.shape).to(target.dtype)
        if ctx.needs_input_grad[2]:
            grad_weight = mse_loss_weight_grad(grad_output, input, target, weight, ctx.reduction)
        return grad_input, grad_target, grad_weight, None

    @staticmethod
    def jvp(ctx, input_tangent, target_tangent, weight_tangent, _reduction):
        input, target, weight = ctx.saved_tensors
        dtype, compute = _regression_dtypes(input, target, weight)
        diff = input.to(compute) - target.to(compute)
        # dℓ = 2 w (x - y)(dx - dy) + (x - y)² dw, position by position
        d_diff = sum_tangents(
            None if input_tangent is None else input_tangent.to(compute),
            None if target_tangent is None else -target_tangent.to(compute),
        )
        tangent = sum_tangents(
            None if d_diff is None else mse_loss_grad(d_diff, input, target, weight, "none").to(compute),
            None if weight_tangent is None else diff.square() * weight_tangent.to(compute),
        ).expand(diff.shape)
        if ctx.reduction == "mean" and weight_tangent is not None:
            # d (A / B) = (dA - L dB) / B with A = Σ w (x - y)², B = Σ w, L = A / B
            w = weight.to(compute)
            loss = (w * diff.square()).sum() / w.sum()
            return ((tangent.sum() - loss * weight_tangent.to(compute).sum()) / w.sum()).to(dtype)
        return reduce(tangent, ctx.reduction, _mse_normaliser(diff, weight)).to(dtype)


# --- smooth L1 --------------------------------------------------------------------------------


@stand_in
def smooth_l1_loss_forward(input: Tensor, target: Tensor, reduction: str, beta: float) -> Tensor:
    """0.5 d²/β where abs(d) < β, else abs(d) - 0.5 β (d = x - y), reduced ('mean' over the
    broadcast positions); abs(d) for β = 0."""
    dtype, compute = _regression_dtypes(input, target)
    z = (input.to(compute) - target.to(compute)).abs()
    # β = 0: the L1 loss |x - y|, which torch.nn.functional calls instead
    loss = z if beta == 0 else torch.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta)
    return reduce(loss, reduction, loss.numel()).to(dtype)


@stand_in
def smooth_l1_loss_grad(
    grad_output: Tensor, input: Tensor, target: Tensor, reduction: str, beta: float
) -> Tensor:
    """g · dℓ/dx at every position of the broadcast shape (dℓ/dy is its negative). A NaN
    difference falls in the quadratic branch, whose slope is NaN, as in ATen's kernel; for β = 0
    the slope is sign(d), 0 at d = 0 and at NaN, as the L1 loss's."""
    dtype, compute = _regression_dtypes(input, target)
    d = input.to(compute) - target.to(compute)
    g = per_position_grad(grad_output.to(compute), reduction, d.numel(), d.shape)
    # d/dx ℓ = d/β if |d| < β else sign(d); d/dx |x - y| = sign(x - y) for β = 0
    slope = d.sign() if beta == 0 else torch.where(d.abs() >= beta, d.sign(), d / beta)
    return (g * slope).to(dtype)


class SmoothL1LossFunction(Function):
    """ℓ = 0.5 d²/β where abs(d) < β, else abs(d) - 0.5 β, d = x - y (β = 0: abs(d)); 'mean'
    divides by the number of positions.

    ``input`` and ``target`` broadcast against each other and are both differentiable, as in
    torch. Saves the two inputs.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, reduction, beta):
        return smooth_l1_loss_forward(input, target, reduction, beta)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, reduction, beta = inputs
        ctx.reduction, ctx.beta = reduction, beta
        ctx.save_for_backward(input, target)
        ctx.save_for_forward(input, target)

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        grad_input = grad_target = None
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            # one pass for both: ℓ depends on x - y, so d/dy = -d/dx
            grad = smooth_l1_loss_grad(grad_output, input, target, ctx.reduction, ctx.beta)
            if ctx.needs_input_grad[0]:
                grad_input = unbroadcast(grad, input.shape).to(input.dtype)
            if ctx.needs_input_grad[1]:
                grad_target = unbroadcast(-grad, target.shape).to(target.dtype)
        return grad_input, grad_target, None, None

    @staticmethod
    def jvp(ctx, input_tangent, target_tangent, _reduction, _beta):
        input, target = ctx.saved_tensors
        dtype, compute = _regression_dtypes(input, target)
        # dℓ = dℓ/dd (dx - dy), position by position
        d_diff = sum_tangents(
            None if input_tangent is None else input_tangent.to(compute),
            None if target_tangent is None else -target_tangent.to(compute),
        )
        shape = torch.broadcast_shapes(input.shape, target.shape)
        tangent = smooth_l1_loss_grad(d_diff, input, target, "none", ctx.beta).to(compute).expand(shape)
        return reduce(tangent, ctx.reduction, tangent.numel()).to(dtype)


# --- binary cross entropy --------------------------------------------------------------------


def _clamped_logs(x: Tensor) -> tuple[Tensor, Tensor]:
    """(max(log x, -100), max(log(1 - x), -100)): torch.nn.BCELoss's clamped logarithms."""
    return torch.log(x).clamp_min(_BCE_LOG_FLOOR), torch.log1p(-x).clamp_min(_BCE_LOG_FLOOR)


@stand_in
def binary_cross_entropy_forward(
    input: Tensor, target: Tensor, weight: Tensor | None, reduction: str
) -> Tensor:
    """-w [y log x + (1 - y) log(1 - x)], each log clamped at -100, reduced ('mean' over N)."""
    x, y = opmath(input), opmath(target)
    log_x, log_1mx = _clamped_logs(x)
    loss = -(y * log_x + (1 - y) * log_1mx)
    if weight is not None:
        loss = loss * weight.to(x.dtype)
    return reduce(loss, reduction, loss.numel()).to(input.dtype)


@stand_in
def binary_cross_entropy_grad(
    grad_output: Tensor, input: Tensor, target: Tensor, weight: Tensor | None, reduction: str
) -> Tensor:
    """g · dℓ/dx, the denominator floored at ε ≈ 1e-12 as torch's."""
    x, y = opmath(input), opmath(target)
    g = per_position_grad(opmath(grad_output), reduction, input.numel(), input.shape)
    if weight is not None:
        g = g * weight.to(x.dtype)
    floor = _BCE_EPSILON[input.dtype]
    slope = (x - y) / (x * (1 - x)).clamp_min(floor)  # d/dx ℓ = w (x - y) / (x (1 - x))
    return (g * slope).to(input.dtype)


@stand_in
def binary_cross_entropy_target_grad(
    grad_output: Tensor, input: Tensor, weight: Tensor | None, reduction: str
) -> Tensor:
    """g · dℓ/dy. The logs are not clamped here, as in torch (-logit(x)): the clamp keeps the
    loss finite, while the slope at x = 0 or 1 is infinite."""
    x = opmath(input)
    g = per_position_grad(opmath(grad_output), reduction, input.numel(), input.shape)
    if weight is not None:
        g = g * weight.to(x.dtype)
    return (g * (torch.log1p(-x) - torch.log(x))).to(input.dtype)  # d/dy ℓ = w (log(1 - x) - log x)


class BCELossFunction(Function):
    """ℓ = -w [y log x + (1 - y) log(1 - x)], each log clamped at -100 (the lecture's
    logistic-regression cost). Differentiable in the prediction x and the target y; the weight
    is a constant, as in torch. Saves the three inputs."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, weight, reduction):
        return binary_cross_entropy_forward(input, target, weight, reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, weight, reduction = inputs
        ctx.reduction = reduction
        ctx.save_for_backward(input, target, weight)
        ctx.save_for_forward(input, target, weight)

    @staticmethod
    def backward(ctx, grad_output):
        input, target, weight = ctx.saved_tensors
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_input = binary_cross_entropy_grad(grad_output, input, target, weight, ctx.reduction)
        if ctx.needs_input_grad[1]:
            grad_target = binary_cross_entropy_target_grad(grad_output, input, weight, ctx.reduction)
        return grad_input, grad_target, None, None

    @staticmethod
    def jvp(ctx, input_tangent, target_tangent, _weight, _reduction):
        input, target, weight = ctx.saved_tensors
        # dℓ = dℓ/dx dx + dℓ/dy dy, position by position
        tangent = sum_tangents(
            None
            if input_tangent is None
            else opmath(binary_cross_entropy_grad(input_tangent, input, target, weight, "none")),
            None
            if target_tangent is None
            else opmath(binary_cross_entropy_target_grad(target_tangent, input, weight, "none")),
        )
        return reduce(tangent.expand(input.shape), ctx.reduction, input.numel()).to(input.dtype)
