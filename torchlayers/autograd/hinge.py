"""The multi-class SVM: the hinge loss on class scores.

``MultiMarginLossFunction``: for scores x (C per sample) and the target class y,
ℓ = w_y / C · Σ_{i≠y} max(0, margin - x_y + x_i)^p, p ∈ {1, 2}: every class scoring within
``margin`` of the target's costs its shortfall (squared for p = 2). Its gradient is
p max(0, zᵢ)^{p-1} w_y / C at each violated margin zᵢ = margin - x_y + x_i > 0, and minus their
sum at the target's score, which every violated margin pulls down.

The forward and the gradient are formulas in plain differentiable ops, named beside the
Function; ATen's fused kernels for them stand in through the kernel table (``kernels.py``) for
float32 and float64. Double backward differentiates the formulas (the hinge is piecewise linear
in x for p = 1, so its second derivative is 0; piecewise quadratic for p = 2). A NaN score
violates no margin (NaN > 0 is false), so it adds nothing to the loss or the gradient, as in
ATen's kernels. Half-precision scores are computed in float32 and rounded once (``opmath``).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd import Function

from torchlayers.autograd._function import opmath, per_position_grad, reduce
from torchlayers.autograd.kernels import stand_in

__all__ = ["MultiMarginLossFunction"]


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
