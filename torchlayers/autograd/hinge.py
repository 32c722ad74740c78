"""Margin losses: the hinge on class scores, on ranked pairs, and its smooth (logistic) twin.

* ``MultiMarginLossFunction`` (the multi-class SVM): for scores x (C per sample) and the target
  class y, ℓ = w_y / C · Σ_{i≠y} max(0, margin - x_y + x_i)^p, p ∈ {1, 2}: every class scoring
  within ``margin`` of the target's costs its shortfall (squared for p = 2). Its gradient is
  p max(0, zᵢ)^{p-1} w_y / C at each violated margin zᵢ = margin - x_y + x_i > 0, and minus
  their sum at the target's score, which every violated margin pulls down. A NaN score violates
  no margin (NaN > 0 is false), so it adds nothing to the loss or the gradient, as in ATen's
  kernels.
* ``MarginRankingLossFunction``: for two scores x₁, x₂ and y = ±1 (which should rank higher),
  ℓ = max(0, -y (x₁ - x₂) + margin). While the margin is violated (u = -y (x₁ - x₂) + margin
  > 0) the gradient is -y for x₁, +y for x₂ and -(x₁ - x₂) for y, else 0: at u = 0 too, as
  torch's in-place clamp. torch composes it from native ops, so no kernel stands in.
* ``SoftMarginLossFunction``: ℓ = log(1 + e^{-y x}), the logistic loss on labels y = ±1 (a
  smooth hinge). Its gradient is -y σ(-y x) = -y e^{-y x} / (1 + e^{-y x}); the target is not
  differentiable, as in torch. Computed as torch's: e^{-y x} overflows past -y x ≈ 88 in
  float32, where the loss is inf and the gradient NaN, in either mode.

The forwards and gradients are formulas in plain differentiable ops, named beside the
Functions; ATen's fused kernels stand in through the kernel table (``kernels.py``) where torch
has them (multi_margin_loss for float32 and float64; soft_margin_loss). Double backward
differentiates the formulas (the hinges are piecewise linear, so their second derivative is 0
for p = 1, except in the target of the ranking loss). Half-precision scores are computed in
float32 and rounded once (``opmath``).
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

__all__ = ["MarginRankingLossFunction", "MultiMarginLossFunction", "SoftMarginLossFunction"]


def _margins(input: Tensor, target: Tensor, margin: float) -> tuple[Tensor, Tensor]:
    """(z, violated) as (N, C) matrices: zᵢ = margin - x_y + xᵢ, violated = zᵢ > 0 for i ≠ y."""
    n_classes = input.shape[-1] if input.dim() else 1
    x = opmath(input).reshape(-1, n_classes)
    y = target.reshape(-1, 1)
    z = margin - x.gather(1, y) + x
    return z, (z > 0).scatter(1, y, False)  # the target's own slot is no margin


@stand_in
def multi_margin_loss_forward(
    input: Tensor, target: Tensor, p: int, margin: float, weight: Tensor | None, reduction: str
) -> Tensor:
    """w_y / C · Σ_{i≠y} max(0, margin - x_y + xᵢ)^p per sample, reduced ('mean' over N)."""
    z, violated = _margins(input, target, margin)
    hinge = torch.where(violated, z, 0)  # max(0, zᵢ), i ≠ y
    if p == 2:
        hinge = hinge * hinge
    per_sample = hinge.sum(1) / z.shape[1]
    if weight is not None:
        per_sample = per_sample * weight.to(z.dtype)[target.reshape(-1)]
    return reduce(per_sample.reshape(target.shape), reduction, target.numel()).to(input.dtype)


@stand_in
def multi_margin_loss_grad(
    grad_output: Tensor,
    input: Tensor,
    target: Tensor,
    p: int,
    margin: float,
    weight: Tensor | None,
    reduction: str,
) -> Tensor:
    """g · dℓ/dx: p max(0, zᵢ)^{p-1} w_y g / C at each violated margin i ≠ y, minus their sum at y."""
    z, violated = _margins(input, target, margin)
    y = target.reshape(-1, 1)
    g = per_position_grad(opmath(grad_output), reduction, target.numel(), target.shape)
    g = g.reshape(-1, 1) / z.shape[1]
    if weight is not None:
        g = g * weight.to(g.dtype)[y]
    # d/dxᵢ max(0, zᵢ)^p = p max(0, zᵢ)^{p-1} for i ≠ y
    h = torch.where(violated, g, 0) if p == 1 else torch.where(violated, 2 * z * g, 0)
    # d/dx_y = -Σ_{i≠y} d/dxᵢ (zᵢ falls as x_y rises)
    return h.scatter(1, y, -h.sum(1, keepdim=True)).reshape(input.shape).to(input.dtype)


class MultiMarginLossFunction(Function):
    """The multi-class hinge loss: ℓ = w_y / C · Σ_{i≠y} max(0, margin - x_y + xᵢ)^p, p ∈ {1, 2}.

    Differentiable in the scores; the class weights are constants, as in torch. Saves the
    scores, the target and the weights.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, p, margin, weight, reduction):
        return multi_margin_loss_forward(input, target, p, margin, weight, reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, p, margin, weight, reduction = inputs
        ctx.p, ctx.margin, ctx.reduction = p, margin, reduction
        ctx.save_for_backward(input, target, weight)
        ctx.save_for_forward(input, target, weight)

    @staticmethod
    def backward(ctx, grad_output):
        input, target, weight = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = multi_margin_loss_grad(
                grad_output, input, target, ctx.p, ctx.margin, weight, ctx.reduction
            )
        return grad_input, None, None, None, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _target, _p, _margin, _weight, _reduction):
        input, target, weight = ctx.saved_tensors
        # dℓₙ = ⟨∂ℓₙ/∂xₙ, dxₙ⟩: each sample's gradient (at g = 1) against its tangent
        ones = torch.ones_like(target, dtype=input.dtype)
        rows = multi_margin_loss_grad(ones, input, target, ctx.p, ctx.margin, weight, "none")
        per_sample = (opmath(rows) * opmath(input_tangent)).sum(-1)
        return reduce(per_sample, ctx.reduction, target.numel()).to(input.dtype)


# --- margin ranking ----------------------------------------------------------------------------


def _ranking_dtypes(input1: Tensor, input2: Tensor, target: Tensor) -> tuple[torch.dtype, torch.dtype]:
    """(the loss's dtype, the dtype it is computed in): the three tensors' promoted dtype, the
    default float dtype for integer tensors (torch adds the float margin)."""
    dtype = result_dtype((input1, input2, target))
    if not dtype.is_floating_point:
        dtype = torch.get_default_dtype()
    return dtype, opmath_dtype(dtype)


def margin_ranking_loss_forward(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float, reduction: str
) -> Tensor:
    """max(0, -y (x₁ - x₂) + margin) per position, reduced ('mean' over the broadcast positions)."""
    dtype, compute = _ranking_dtypes(input1, input2, target)
    u = -target.to(compute) * (input1.to(compute) - input2.to(compute)) + margin
    loss = u.clamp_min(0)
    return reduce(loss, reduction, loss.numel()).to(dtype)


def margin_ranking_loss_grad(
    grad_output: Tensor,
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float,
    reduction: str,
    target_grad: bool,
) -> tuple[Tensor, Tensor | None]:
    """(g · ∂ℓ/∂x₂, g · ∂ℓ/∂y if ``target_grad``) at every position of the broadcast shape;
    ∂ℓ/∂x₁ = -∂ℓ/∂x₂. Both vanish where the margin holds, at u = 0 too (torch's clamp); ∂ℓ/∂y is
    NaN where x₁ - x₂ is, as torch's."""
    dtype, compute = _ranking_dtypes(input1, input2, target)
    reversed_diff = input2.to(compute) - input1.to(compute)  # x₂ - x₁
    y = target.to(compute)
    # u = y (x₂ - x₁) + margin > 0, compared without the addition (exact in floating point)
    violated = y * reversed_diff > -margin
    g = per_position_grad(opmath(grad_output), reduction, violated.numel(), violated.shape)
    g = torch.where(violated, g, 0)
    grad_input2 = y * g  # ∂ℓ/∂x₂ = y 1[u > 0], ∂ℓ/∂x₁ = -y 1[u > 0]
    grad_target = g * reversed_diff if target_grad else None  # ∂ℓ/∂y = -(x₁ - x₂) 1[u > 0]
    return grad_input2.to(dtype), None if grad_target is None else grad_target.to(dtype)


class MarginRankingLossFunction(Function):
    """ℓ = max(0, -y (x₁ - x₂) + margin): x₁ should score above x₂ by the margin where y = 1,
    below where y = -1. The three tensors broadcast and are all differentiable, as in torch.
    Saves the three inputs."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input1, input2, target, margin, reduction):
        return margin_ranking_loss_forward(input1, input2, target, margin, reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input1, input2, target, margin, reduction = inputs
        ctx.margin, ctx.reduction = margin, reduction
        ctx.save_for_backward(input1, input2, target)
        ctx.save_for_forward(input1, input2, target)

    @staticmethod
    def backward(ctx, grad_output):
        input1, input2, target = ctx.saved_tensors
        grad_input1 = grad_input2 = grad_target = None
        if any(ctx.needs_input_grad[:3]):
            # one pass for all three: ℓ depends on x₁ - x₂, so ∂/∂x₁ = -∂/∂x₂
            grad, grad_y = margin_ranking_loss_grad(
                grad_output, input1, input2, target, ctx.margin, ctx.reduction, ctx.needs_input_grad[2]
            )
            if ctx.needs_input_grad[0]:
                grad_input1 = unbroadcast(-grad, input1.shape).to(input1.dtype)
            if ctx.needs_input_grad[1]:
                grad_input2 = unbroadcast(grad, input2.shape).to(input2.dtype)
            if ctx.needs_input_grad[2]:
                grad_target = unbroadcast(grad_y, target.shape).to(target.dtype)
        return grad_input1, grad_input2, grad_target, None, None

    @staticmethod
    def jvp(ctx, input1_tangent, input2_tangent, target_tangent, _margin, _reduction):
        input1, input2, target = ctx.saved_tensors
        dtype, compute = _ranking_dtypes(input1, input2, target)
        one = torch.ones((), dtype=compute, device=input1.device)
        slope, target_slope = margin_ranking_loss_grad(
            one, input1, input2, target, ctx.margin, "none", target_tangent is not None
        )
        # dℓ = ∂ℓ/∂x₂ (dx₂ - dx₁) + ∂ℓ/∂y dy, position by position
        d_diff = sum_tangents(
            None if input2_tangent is None else opmath(input2_tangent),
            None if input1_tangent is None else -opmath(input1_tangent),
        )
        tangent = sum_tangents(
            None if d_diff is None else opmath(slope) * d_diff,
            None if target_tangent is None else opmath(target_slope) * opmath(target_tangent),
        ).expand(slope.shape)
        return reduce(tangent, ctx.reduction, slope.numel()).to(dtype)


# --- soft margin -------------------------------------------------------------------------------


def _soft_margin_compute_dtype(input: Tensor, target: Tensor) -> torch.dtype:
    """What -y x is computed in: the promoted dtype (an integer ±1 target counts as the input's),
    float32 for half precision. The loss has the input's dtype, as torch's."""
    return opmath_dtype(result_dtype((input, target)))


@stand_in
def soft_margin_loss_forward(input: Tensor, target: Tensor, reduction: str) -> Tensor:
    """log(1 + e^{-y x}) per position, reduced ('mean' over N)."""
    compute = _soft_margin_compute_dtype(input, target)
    loss = torch.log1p(torch.exp(-input.to(compute) * target.to(compute)))
    return reduce(loss, reduction, loss.numel()).to(input.dtype)


@stand_in
def soft_margin_loss_grad(grad_output: Tensor, input: Tensor, target: Tensor, reduction: str) -> Tensor:
    """g · dℓ/dx at every position."""
    compute = _soft_margin_compute_dtype(input, target)
    y = target.to(compute)
    z = torch.exp(-input.to(compute) * y)
    g = per_position_grad(grad_output.to(compute), reduction, input.numel(), input.shape)
    return (-y * z / (1 + z) * g).to(input.dtype)  # d/dx log(1 + e^{-yx}) = -y e^{-yx} / (1 + e^{-yx})


class SoftMarginLossFunction(Function):
    """ℓ = log(1 + e^{-y x}) for labels y = ±1 (broadcast to the input's shape). Differentiable
    in the scores; the target is a constant, as in torch. Saves the input and the target."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, reduction):
        return soft_margin_loss_forward(input, target, reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, reduction = inputs
        ctx.reduction = reduction
        ctx.save_for_backward(input, target)
        ctx.save_for_forward(input, target)

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = soft_margin_loss_grad(grad_output, input, target, ctx.reduction)
        return grad_input, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _target, _reduction):
        input, target = ctx.saved_tensors
        # dℓ = dℓ/dx dx, position by position
        tangent = opmath(soft_margin_loss_grad(input_tangent, input, target, "none"))
        return reduce(tangent, ctx.reduction, input.numel()).to(input.dtype)
