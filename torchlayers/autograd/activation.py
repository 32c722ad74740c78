"""Activations: the lecture's non-linearities ``f`` in ``f(Wx + b)``.

Each backward is the activation's derivative times the incoming gradient, evaluated from
whatever the node cached (its output for sigmoid, tanh and ReLU; its input where the output
does not determine the derivative). That product is one fused ATen kernel, called through a
backward Function of our own (``_fused.py``) whose backward is the second derivative, so
double (and higher) backward works. Forward-mode ``jvp`` multiplies the tangent by the same
derivative, with the same Function: an elementwise op's Jacobian is diagonal, so it is never
materialised.
"""

from __future__ import annotations

import torch
from torch.autograd import Function

from torchlayers.autograd._function import updated_in_place
from torchlayers.autograd._fused import (
    elu_backward,
    leaky_relu_backward,
    prelu_backward,
    prelu_weight_view,
    relu_backward,
    sigmoid_backward,
    tanh_backward,
)


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
            # d/dx σ(x) = σ(x)(1 - σ(x)), from the cached output (Caffe's SigmoidLayer::Backward)
            grad_input = sigmoid_backward(grad_output, output)
        return grad_input

    @staticmethod
    def jvp(ctx, input_tangent):
        (output,) = ctx.saved_tensors
        return sigmoid_backward(input_tangent, output)


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
            grad_input = tanh_backward(grad_output, output)  # d/dx tanh(x) = 1 - tanh(x)²
        return grad_input

    @staticmethod
    def jvp(ctx, input_tangent):
        (output,) = ctx.saved_tensors
        return tanh_backward(input_tangent, output)


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
            # d/dx max(0, x) = 1[x > 0]; the subgradient at 0 is 0. Masking on ``output <= 0``
            # (not ``output > 0``) lets a NaN through, as ATen's threshold_backward does.
            grad_input = relu_backward(grad_output, output)
        return grad_input, None

    @staticmethod
    def jvp(ctx, input_tangent, _):
        (output,) = ctx.saved_tensors
        tangent = relu_backward(input_tangent, output)
        # the tangent of a dirtied input is updated in place too
        return updated_in_place(input_tangent.copy_(tangent)) if ctx.inplace else tangent


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
            # d/dx max(a x, x) = 1 if x > 0 else a (a at the kink). ``saved`` is the input, or
            # the output after an in-place forward (same sign for a >= 0), as torch's leaky_relu_.
            grad_input = leaky_relu_backward(grad_output, saved, ctx.negative_slope, ctx.inplace)
        return grad_input, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _slope, _inplace):
        (saved,) = ctx.saved_tensors
        tangent = leaky_relu_backward(input_tangent, saved, ctx.negative_slope, ctx.inplace)
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
            # d/dx ELU(x) = 1 if x > 0 else α eˣ (α at the kink); after an in-place forward the
            # output y = α(eˣ - 1) gives α eˣ = y + α, as torch's elu_.
            grad_input = elu_backward(grad_output, saved, ctx.alpha, ctx.inplace)
        return grad_input, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _alpha, _inplace):
        (saved,) = ctx.saved_tensors
        tangent = elu_backward(input_tangent, saved, ctx.alpha, ctx.inplace)
        return updated_in_place(input_tangent.copy_(tangent)) if ctx.inplace else tangent


class PReLUFunction(Function):
    """Parametric ReLU: x if x > 0 else w x, with a learned slope w per channel (dim 1)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, weight):
        return torch.prelu(input, weight)  # one kernel: x if x > 0 else w x

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight = inputs
        ctx.save_for_backward(input, weight)
        ctx.save_for_forward(input, weight)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight = ctx.saved_tensors
        grad_input = grad_weight = None
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            # d/dx = 1 if x > 0 else w (w at the kink); d/dw = 0 if x > 0 else x, summed over
            # every position that shares the weight. One pass computes both.
            grad_input, grad_weight = prelu_backward(grad_output, input, weight)
        return (
            grad_input if ctx.needs_input_grad[0] else None,
            grad_weight if ctx.needs_input_grad[1] else None,
        )

    @staticmethod
    def jvp(ctx, input_tangent, weight_tangent):
        input, weight = ctx.saved_tensors
        # d PReLU = (1 if x > 0 else w) dx + (0 if x > 0 else x) dw, position by position
        w = prelu_weight_view(weight, input)
        negative_side = None
        if input_tangent is not None:
            negative_side = w * input_tangent
        if weight_tangent is not None:
            weight_term = prelu_weight_view(weight_tangent, input) * input
            negative_side = weight_term if negative_side is None else negative_side + weight_term
        positive_side = input_tangent if input_tangent is not None else torch.zeros_like(input)
        return torch.where(input > 0, positive_side, negative_side)
