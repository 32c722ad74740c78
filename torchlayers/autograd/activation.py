"""Activations: the lecture's non-linearities ``f`` in ``f(Wx + b)``.

Each backward is the activation's derivative times the incoming gradient, written with
differentiable torch ops so that double backward works, and evaluated from whatever the
node cached (its output for sigmoid, tanh and ReLU; its input where the output does not
determine the derivative). Forward-mode ``jvp`` multiplies the tangent by the same
derivative: an elementwise op's Jacobian is diagonal, so it is never materialised.
"""

from __future__ import annotations

import torch
from torch.autograd import Function

from torchlayers.autograd._function import opmath, updated_in_place


def _sigmoid_grad(grad: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    # d/dx σ(x) = σ(x)(1 - σ(x)), from the cached output (Caffe's SigmoidLayer::Backward)
    y = opmath(output)
    return (opmath(grad) * y * (1 - y)).to(grad.dtype)


def _tanh_grad(grad: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    # d/dx tanh(x) = 1 - tanh(x)²
    y = opmath(output)
    return (opmath(grad) * (1 - y * y)).to(grad.dtype)


def _relu_grad(grad: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    # d/dx max(0, x) = 1[x > 0]; the subgradient at 0 is 0. Masking on ``output <= 0`` (not
    # ``output > 0``) lets a NaN through, as ATen's threshold_backward does.
    return grad.masked_fill(output <= 0, 0)


def _leaky_relu_grad(grad, saved, negative_slope):
    # d/dx max(a x, x) = 1 if x > 0 else a (a at the kink). ``saved`` is the input, or the
    # output after an in-place forward (same sign for a >= 0).
    return torch.where(saved > 0, grad, grad * negative_slope)


def _elu_grad(grad, saved, alpha, saved_is_output):
    # d/dx ELU(x) = 1 if x > 0 else α eˣ (α at the kink); after an in-place forward the
    # output y = α(eˣ - 1) gives α eˣ = y + α. Selecting on ``x <= 0`` passes the gradient
    # through at NaN, as the definition in ATen's elu_backward (``x <= 0 ? … : grad``) does.
    g = opmath(grad)
    s = opmath(saved)
    negative_side = g * (s + alpha) if saved_is_output else g * alpha * torch.exp(s)
    return torch.where(s <= 0, negative_side, g).to(grad.dtype)


def _inplace_error(name: str, parameter: str) -> RuntimeError:
    return RuntimeError(
        f"In-place {name} backward calculation is triggered with a negative {parameter}, which "
        f"is not supported: the output no longer tells the sign of the input. Call the "
        f"out-of-place version (inplace=False) instead."
    )


class SigmoidFunction(Function):
    """σ(x) = 1 / (1 + e⁻ˣ). Caches its output, like Caffe's sigmoid layer."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.sigmoid(input)  # 1 / (1 + exp(-x)) in one overflow-safe kernel

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = _sigmoid_grad(grad_output, output)
        return grad_input

    @staticmethod
    def jvp(ctx, input_tangent):
        (output,) = ctx.saved_tensors
        return _sigmoid_grad(input_tangent, output)


class TanhFunction(Function):
    """tanh(x) = (eˣ - e⁻ˣ) / (eˣ + e⁻ˣ). Caches its output."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.tanh(input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = _tanh_grad(grad_output, output)
        return grad_input

    @staticmethod
    def jvp(ctx, input_tangent):
        (output,) = ctx.saved_tensors
        return _tanh_grad(input_tangent, output)


class ReLUFunction(Function):
    """max(0, x). Caches its output (the sign of the input is all backward needs)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, inplace):
        if inplace:
            input.clamp_min_(0)  # clamp keeps NaN, as torch.relu does
            return input
        return input.clamp_min(0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, inplace = inputs
        ctx.inplace = inplace
        if inplace:
            ctx.mark_dirty(input)
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = _relu_grad(grad_output, output)
        return grad_input, None

    @staticmethod
    def jvp(ctx, input_tangent, _):
        (output,) = ctx.saved_tensors
        if ctx.inplace:  # the tangent of a dirtied input is updated in place too
            return updated_in_place(input_tangent.masked_fill_(output <= 0, 0))
        return _relu_grad(input_tangent, output)


class LeakyReLUFunction(Function):
    """max(a x, x) for 0 <= a < 1 (the lecture's ``max(0.1x, x)``); x if x > 0 else a x."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, negative_slope, inplace):
        if inplace:
            torch.nn.functional.leaky_relu_(input, negative_slope)
            return input
        return torch.nn.functional.leaky_relu(input, negative_slope)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, negative_slope, inplace = inputs
        ctx.negative_slope = negative_slope
        ctx.inplace = inplace
        if inplace:
            ctx.mark_dirty(input)
            ctx.negative_slope_invalid = negative_slope < 0
        ctx.save_for_backward(output if inplace else input)
        ctx.save_for_forward(output if inplace else input)

    @staticmethod
    def backward(ctx, grad_output):
        (saved,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            if ctx.inplace and ctx.negative_slope_invalid:
                raise _inplace_error("leaky_relu", "slope")
            grad_input = _leaky_relu_grad(grad_output, saved, ctx.negative_slope)
        return grad_input, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _slope, _inplace):
        (saved,) = ctx.saved_tensors
        tangent = _leaky_relu_grad(input_tangent, saved, ctx.negative_slope)
        return updated_in_place(input_tangent.copy_(tangent)) if ctx.inplace else tangent


class ELUFunction(Function):
    """ELU: x if x > 0 else α(eˣ - 1)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, alpha, inplace):
        if inplace:
            torch.nn.functional.elu_(input, alpha)
            return input
        return torch.nn.functional.elu(input, alpha)  # α·expm1(x) on the negative side

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, alpha, inplace = inputs
        ctx.alpha = alpha
        ctx.inplace = inplace
        if inplace:
            ctx.mark_dirty(input)
            ctx.alpha_invalid = alpha < 0
        ctx.save_for_backward(output if inplace else input)
        ctx.save_for_forward(output if inplace else input)

    @staticmethod
    def backward(ctx, grad_output):
        (saved,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            if ctx.inplace and ctx.alpha_invalid:
                raise _inplace_error("elu", "alpha")
            grad_input = _elu_grad(grad_output, saved, ctx.alpha, ctx.inplace)
        return grad_input, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _alpha, _inplace):
        (saved,) = ctx.saved_tensors
        tangent = _elu_grad(input_tangent, saved, ctx.alpha, ctx.inplace)
        return updated_in_place(input_tangent.copy_(tangent)) if ctx.inplace else tangent


def _prelu_weight_view(weight: torch.Tensor, input: torch.Tensor) -> torch.Tensor:
    """The weight shaped to broadcast over ``input``'s channel dimension (dim 1)."""
    if weight.numel() == 1 or input.dim() < 2:
        return weight.reshape(())
    return weight.reshape((-1,) + (1,) * (input.dim() - 2))


class PReLUFunction(Function):
    """Parametric ReLU: x if x > 0 else w x, with a learned slope w per channel (dim 1)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, weight):
        w = _prelu_weight_view(weight, input)
        return torch.where(input > 0, input, w * input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight = inputs
        ctx.save_for_backward(input, weight)
        ctx.save_for_forward(input, weight)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight = ctx.saved_tensors
        w = _prelu_weight_view(weight, input)
        positive = input > 0
        grad_input = grad_weight = None
        if ctx.needs_input_grad[0]:
            # d/dx = 1 if x > 0 else w (w at the kink)
            grad_input = torch.where(positive, grad_output, w * grad_output)
        if ctx.needs_input_grad[1]:
            # d/dw = 0 if x > 0 else x, summed over every position that shares the weight.
            # Each product is rounded to the input's dtype before the sum, as ATen's prelu
            # backward does, so half-precision results match torch's to the last bit.
            per_element = torch.where(positive, 0, input * grad_output)
            grad_weight = per_element.sum_to_size(w.shape).reshape(weight.shape)
        return grad_input, grad_weight

    @staticmethod
    def jvp(ctx, input_tangent, weight_tangent):
        input, weight = ctx.saved_tensors
        w = _prelu_weight_view(weight, input)
        negative_side = torch.zeros_like(input)
        if input_tangent is not None:
            negative_side = negative_side + w * input_tangent
        if weight_tangent is not None:
            negative_side = negative_side + _prelu_weight_view(weight_tangent, input) * input
        positive_side = input_tangent if input_tangent is not None else torch.zeros_like(input)
        return torch.where(input > 0, positive_side, negative_side)
