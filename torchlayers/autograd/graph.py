"""The lecture's computational-graph nodes: ``x + y``, ``x * y``, ``a x``, ``c + x``, ``eˣ``, ``1/x``,
and Lua Torch's ``log x``.

These are the gates of the worked examples (``(x + y) z`` and the sigmoid neuron built from
``*``, ``+``, ``exp``, ``+1`` and ``1/x``). Binary nodes broadcast as torch does; their
backward sums the gradient back to each input's shape.
"""

from __future__ import annotations

import torch
from torch.autograd import Function

from torchlayers.autograd._function import opmath, sum_tangents, unbroadcast, updated_in_place


class AddFunction(Function):
    """x + y: the add gate distributes the gradient unchanged to both inputs."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, other):
        return torch.add(input, other)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, other = inputs
        ctx.input_shape, ctx.other_shape = input.shape, other.shape

    @staticmethod
    def backward(ctx, grad_output):
        grad_input = grad_other = None
        if ctx.needs_input_grad[0]:
            grad_input = unbroadcast(grad_output, ctx.input_shape)  # d(x + y)/dx = 1
        if ctx.needs_input_grad[1]:
            grad_other = unbroadcast(grad_output, ctx.other_shape)  # d(x + y)/dy = 1
        return grad_input, grad_other

    @staticmethod
    def jvp(ctx, input_tangent, other_tangent):
        if input_tangent is None:
            return other_tangent.expand(torch.broadcast_shapes(ctx.input_shape, ctx.other_shape))
        if other_tangent is None:
            return input_tangent.expand(torch.broadcast_shapes(ctx.input_shape, ctx.other_shape))
        return input_tangent + other_tangent


class MulFunction(Function):
    """x * y: the multiply gate swaps its inputs. Caches only the input each gradient needs."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, other):
        return torch.mul(input, other)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, other = inputs
        ctx.input_shape, ctx.other_shape = input.shape, other.shape
        needs_input, needs_other = ctx.needs_input_grad
        ctx.save_for_backward(input if needs_other else None, other if needs_input else None)
        ctx.save_for_forward(input, other)

    @staticmethod
    def backward(ctx, grad_output):
        input, other = ctx.saved_tensors
        grad_input = grad_other = None
        if ctx.needs_input_grad[0]:
            grad_input = unbroadcast(grad_output * other, ctx.input_shape)  # d(xy)/dx = y
        if ctx.needs_input_grad[1]:
            grad_other = unbroadcast(grad_output * input, ctx.other_shape)  # d(xy)/dy = x
        return grad_input, grad_other

    @staticmethod
    def jvp(ctx, input_tangent, other_tangent):
        input, other = ctx.saved_tensors
        # d(xy) = y dx + x dy
        return sum_tangents(
            None if input_tangent is None else input_tangent * other,
            None if other_tangent is None else input * other_tangent,
        )


class MulConstantFunction(Function):
    """a x for a Python number a (Lua Torch's ``nn.MulConstant``). Caches nothing but a."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, constant_scalar, inplace):
        if inplace:
            input.mul_(constant_scalar)
            return input
        return input * constant_scalar

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, constant_scalar, inplace = inputs
        ctx.constant_scalar = constant_scalar
        ctx.inplace = inplace
        if inplace:
            ctx.mark_dirty(input)

    @staticmethod
    def backward(ctx, grad_output):
        grad_input = None
        if ctx.needs_input_grad[0]:
            # d(a x)/dx = a. Unlike Lua Torch, a new tensor: the incoming gradient is not mutated.
            grad_input = grad_output * ctx.constant_scalar
        return grad_input, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _constant, _inplace):
        if ctx.inplace:
            return updated_in_place(input_tangent.mul_(ctx.constant_scalar))
        return input_tangent * ctx.constant_scalar


class AddConstantFunction(Function):
    """c + x for a Python number c (Lua Torch's ``nn.AddConstant``). Caches nothing."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, constant_scalar, inplace):
        if inplace:
            input.add_(constant_scalar)
            return input
        return input + constant_scalar

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, _constant_scalar, inplace = inputs
        ctx.inplace = inplace
        if inplace:
            ctx.mark_dirty(input)

    @staticmethod
    def backward(ctx, grad_output):
        # d(c + x)/dx = 1: the incoming gradient passed on as is, as torch's add backward does
        # (the autograd engine copies a gradient before it ever accumulates into one it shares)
        grad_input = grad_output if ctx.needs_input_grad[0] else None
        return grad_input, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _constant, _inplace):
        # d(c + x) = dx: the same values, as a new tensor unless the input was updated in place
        return updated_in_place(input_tangent) if ctx.inplace else input_tangent.clone()


class ExpFunction(Function):
    """eˣ. Caches its output, which is also its derivative."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.exp(input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output * output  # d/dx eˣ = eˣ
        return grad_input

    @staticmethod
    def jvp(ctx, input_tangent):
        (output,) = ctx.saved_tensors
        return input_tangent * output


class LogFunction(Function):
    """log x (Lua Torch's ``nn.Log``). Caches its input, since d/dx log x = 1/x."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.log(input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        (input,) = inputs
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output / input  # d/dx log x = 1/x
        return grad_input

    @staticmethod
    def jvp(ctx, input_tangent):
        (input,) = ctx.saved_tensors
        return input_tangent / input


class ReciprocalFunction(Function):
    """1/x. Caches its output y, since d/dx (1/x) = -1/x² = -y²."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.reciprocal(input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            y = opmath(output)
            grad_input = (-opmath(grad_output) * y * y).to(grad_output.dtype)  # d/dx 1/x = -y²
        return grad_input

    @staticmethod
    def jvp(ctx, input_tangent):
        (output,) = ctx.saved_tensors
        y = opmath(output)
        return (-opmath(input_tangent) * y * y).to(input_tangent.dtype)
