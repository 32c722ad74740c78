"""Regularisation: the lecture's weight penalty and dropout.

``L2RegularizationFunction``: R = λ Σ_W ‖W‖² = λ Σ_W Σ_ij W_ij² over any number of tensors, with
gradient 2 λ W for each. No fused ATen kernel computes it, so it has no kernel-table entry:
the formulas always run.

``DropoutFunction``: inverted dropout as the lecture's multiply gate, y = x ⊙ m / (1 - p) with
mᵢ ~ Bernoulli(1 - p), and ∂y/∂x = m / (1 - p). The mask is drawn by :func:`dropout_mask` as
``torch.nn.Dropout`` draws it on the CPU (``bernoulli_(1 - p)`` on a tensor like the input, from
the global generator), so the same seed gives the same mask there, and passed to the Function,
which caches it as booleans (one byte an element). ATen's ``native_dropout_backward`` stands in
for the backward formula through the kernel table (``native_dropout``, the fused forward, draws
its own mask on CUDA, so it cannot stand in for a formula given one). Half-precision tensors are
computed in float32 and rounded once.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd import Function

from torchlayers.autograd._function import opmath, result_dtype, sum_tangents, updated_in_place
from torchlayers.autograd.kernels import stand_in

__all__ = ["DropoutFunction", "L2RegularizationFunction"]


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


# --- dropout ---------------------------------------------------------------------------------


def dropout_scale(p: float) -> float:
    """1/(1 - p), the factor that keeps E[y] = x; 0 for p = 1, where every element is dropped."""
    return 0.0 if p == 1 else 1 / (1 - p)


def dropout_mask(input: Tensor, p: float) -> Tensor:
    """m with mᵢ ~ Bernoulli(1 - p), as booleans, drawn as torch.nn.Dropout draws its mask on the
    CPU (``bernoulli_(1 - p)`` on a tensor like the input: the same numbers from the same generator
    state, whatever the dtype); for p = 1 all False, drawing nothing (torch draws nothing either)."""
    if p == 1:
        return torch.zeros_like(input, dtype=torch.bool)
    return torch.empty_like(input, dtype=torch.bool).bernoulli_(1 - p)


def dropout_forward(input: Tensor, mask: Tensor, p: float) -> Tensor:
    """x ⊙ m / (1 - p). A product, not a ``where``: a dropped NaN or ±inf gives NaN, as torch's x · 0."""
    return (opmath(input) * mask * dropout_scale(p)).to(input.dtype)


@stand_in
def dropout_grad(grad_output: Tensor, mask: Tensor, scale: float) -> Tensor:
    """g · ∂y/∂x from the cached mask, ``scale`` = 1/(1 - p)."""
    return (opmath(grad_output) * mask * scale).to(grad_output.dtype)  # d/dx (x m / (1 - p)) = m / (1 - p)


class DropoutFunction(Function):
    """y = x ⊙ m / (1 - p): inverted dropout as the multiply gate by the mask m / (1 - p).

    ``mask`` is boolean, drawn by :func:`dropout_mask` (the functional draws it, before the node,
    as torch draws its noise before its multiply); it is all the node caches.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, mask, p, inplace):
        output = dropout_forward(input, mask, p)
        if inplace:
            input.copy_(output)
            return input  # the very tensor (Dynamo checks a dirtied input is returned)
        return output

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, mask, p, inplace = inputs
        ctx.scale, ctx.inplace = dropout_scale(p), inplace
        if inplace:
            ctx.mark_dirty(input)
        ctx.save_for_backward(mask)
        ctx.save_for_forward(mask)

    @staticmethod
    def backward(ctx, grad_output):
        (mask,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = dropout_grad(grad_output, mask, ctx.scale)
        return grad_input, None, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _mask_tangent, _p, _inplace):
        (mask,) = ctx.saved_tensors
        tangent = dropout_grad(input_tangent, mask, ctx.scale)  # the Jacobian is diagonal
        # the tangent of a dirtied input is updated in place too
        return updated_in_place(input_tangent.copy_(tangent)) if ctx.inplace else tangent
