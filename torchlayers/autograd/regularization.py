"""Regularisation: the lecture's weight penalty.

``L2RegularizationFunction``: R = λ Σ_W ‖W‖² = λ Σ_W Σ_ij W_ij² over any number of tensors, with
gradient 2 λ W for each. No fused ATen kernel computes it, so it has no kernel-table entry:
the formulas always run. Half-precision tensors are computed in float32 and rounded once.
"""

from __future__ import annotations

from torch import Tensor
from torch.autograd import Function

from torchlayers.autograd._function import opmath, result_dtype, sum_tangents

__all__ = ["L2RegularizationFunction"]


def l2_regularization_grad(grad_output: Tensor, weight: float, tensor: Tensor) -> Tensor:
    """g · dR/dW for one of the tensors."""
    return (2 * weight * opmath(grad_output) * opmath(tensor)).to(tensor.dtype)  # d/dW λ ‖W‖² = 2 λ W


class L2RegularizationFunction(Function):
    """R = λ Σ_W ‖W‖² = λ Σ_W Σ_ij W_ij², over any number of tensors. Saves the tensors."""

    generate_vmap_rule = True

    @staticmethod
    def forward(weight, *tensors):
        dtype = result_dtype(tensors)
        total = sum(opmath(t).square().sum() for t in tensors)
        return (weight * total).to(dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.weight = inputs[0]
        ctx.save_for_backward(*inputs[1:])
        ctx.save_for_forward(*inputs[1:])

    @staticmethod
    def backward(ctx, grad_output):
        tensors = ctx.saved_tensors
        grads = [None] * len(tensors)
        for i, tensor in enumerate(tensors):
            if ctx.needs_input_grad[i + 1]:
                grads[i] = l2_regularization_grad(grad_output, ctx.weight, tensor)
        return (None, *grads)

    @staticmethod
    def jvp(ctx, _weight_tangent, *tangents):
        tensors = ctx.saved_tensors
        # dR = 2 λ Σ_W ⟨W, dW⟩
        total = sum_tangents(
            *(
                None if dt is None else (opmath(t) * opmath(dt)).sum()
                for t, dt in zip(tensors, tangents, strict=True)
            )
        )
        return (2 * ctx.weight * total).to(result_dtype(tensors))
