"""The softmax, its logarithm and the softmin: scores z to probabilities p along a dimension.

Both forwards shift the scores by their maximum before exponentiating (softmax is invariant to
a shift, and e^{z - max z} ≤ 1 never overflows); log-softmax is the log-sum-exp
``z - max z - log Σ e^{z - max z}``, never ``log(softmax)``, which would turn a tiny probability
into -inf. Both Functions cache their output, from which each backward is one formula:

* softmax:     dz = p ⊙ (g - Σⱼ gⱼ pⱼ)           (:func:`softmax_grad`, the Jacobian diag(p) - p pᵀ)
* log-softmax: dz = g - e^y Σⱼ gⱼ, y = log p    (:func:`log_softmax_grad`, the Jacobian 1 - 1 pᵀ)

The softmin, softmax(-z), is the softmax's forward and backward with the sign of its input
flipped by the chain rule: no formula of its own.

The formulas are plain differentiable ops, so double and higher backward differentiate them;
ATen's fused kernels stand in for them through the kernel table (``kernels.py``). Half-precision
tensors are computed in float32 and rounded once (``opmath``), as ATen's kernels do.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd import Function

from torchlayers.autograd._function import opmath
from torchlayers.autograd.kernels import stand_in


def _shifted(x: Tensor, dim: int) -> Tensor:
    """z - max z along ``dim`` (a NaN or +inf in the slice makes the whole slice NaN, as torch)."""
    return x - x.amax(dim, keepdim=True)


@stand_in
def softmax_forward(input: Tensor, dim: int) -> Tensor:
    """pᵢ = e^{zᵢ - max z} / Σⱼ e^{zⱼ - max z}."""
    if input.numel() == 0:  # amax refuses an empty slice
        return input.clone()
    e = torch.exp(_shifted(opmath(input), dim))
    return (e / e.sum(dim, keepdim=True)).to(input.dtype)


@stand_in
def log_softmax_forward(input: Tensor, dim: int) -> Tensor:
    """log pᵢ = (zᵢ - max z) - log Σⱼ e^{zⱼ - max z}: the log-sum-exp."""
    if input.numel() == 0:
        return input.clone()
    shifted = _shifted(opmath(input), dim)
    return (shifted - torch.exp(shifted).sum(dim, keepdim=True).log()).to(input.dtype)


@stand_in
def softmax_grad(grad_output: Tensor, output: Tensor, dim: int) -> Tensor:
    """g · ∂p/∂z from the cached output p."""
    g, p = opmath(grad_output), opmath(output)
    return (p * (g - (g * p).sum(dim, keepdim=True))).to(grad_output.dtype)  # ∂pᵢ/∂zⱼ = pᵢ(δᵢⱼ - pⱼ)


@stand_in
def log_softmax_grad(grad_output: Tensor, output: Tensor, dim: int) -> Tensor:
    """g · ∂ log p/∂z from the cached output y = log p."""
    g, y = opmath(grad_output), opmath(output)
    return (g - torch.exp(y) * g.sum(dim, keepdim=True)).to(grad_output.dtype)  # ∂yᵢ/∂zⱼ = δᵢⱼ - pⱼ


def log_softmax_tangent(tangent: Tensor, output: Tensor, dim: int) -> Tensor:
    """∂ log p/∂z · dz from the cached output y = log p (the Jacobian is not symmetric: this is
    the transpose of :func:`log_softmax_grad`)."""
    t = opmath(tangent)
    return (t - (torch.exp(opmath(output)) * t).sum(dim, keepdim=True)).to(tangent.dtype)  # dzᵢ - Σⱼ pⱼ dzⱼ


class SoftmaxFunction(Function):
    """softmax(z)ᵢ = e^{zᵢ} / Σⱼ e^{zⱼ} along ``dim``. Caches its output."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, dim):
        return softmax_forward(input, dim)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dim = inputs[1]
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = softmax_grad(grad_output, output, ctx.dim)
        return grad_input, None

    @staticmethod
    def jvp(ctx, input_tangent, _dim):
        (output,) = ctx.saved_tensors
        return softmax_grad(input_tangent, output, ctx.dim)  # the Jacobian is symmetric


class LogSoftmaxFunction(Function):
    """log softmax(z)ᵢ = zᵢ - log Σⱼ e^{zⱼ} along ``dim``. Caches its output (p = e^{output})."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, dim):
        return log_softmax_forward(input, dim)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dim = inputs[1]
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = log_softmax_grad(grad_output, output, ctx.dim)
        return grad_input, None

    @staticmethod
    def jvp(ctx, input_tangent, _dim):
        (output,) = ctx.saved_tensors
        return log_softmax_tangent(input_tangent, output, ctx.dim)


class SoftminFunction(Function):
    """softmin(z) = softmax(-z) along ``dim``: the probabilities favour the smallest scores.
    Caches its output p, as the softmax. Its formulas are the softmax's: backward is
    :func:`softmax_grad` with the sign the chain rule gives d(-z)/dz = -1."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, dim):
        return softmax_forward(-input, dim)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dim = inputs[1]
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = -softmax_grad(grad_output, output, ctx.dim)  # ∂ softmax(-z)/∂z = -softmax'(-z)
        return grad_input, None

    @staticmethod
    def jvp(ctx, input_tangent, _dim):
        (output,) = ctx.saved_tensors
        return -softmax_grad(input_tangent, output, ctx.dim)  # the Jacobian is symmetric
