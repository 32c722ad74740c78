"""Backward Functions: each activation's derivative as an ``autograd.Function`` of its own.

The backward of ``y = f(x)`` is itself an elementwise function, ``dL/dx = g · f'(·)`` of the
incoming gradient ``g`` and the tensor the node cached. Written as ``g * y * (1 - y)`` it costs
several passes over memory; ATen has each one as a single fused kernel (the ones ``torch.nn``'s
own backward runs). So each Function here has:

* ``forward``: that fused kernel, which also computes float16/bfloat16 in float32 internally;
* ``backward``: the derivative of ``g · f'`` with respect to ``g`` and to the cached tensor,
  written out (second order of the activation; it reuses the same Function for ``d/dg``, so
  third and higher orders keep working);
* ``jvp`` and ``generate_vmap_rule``, like every Function of the package.

The activations call them through the module-level helpers at the bottom (``sigmoid_backward``
etc.): when nothing will differentiate the result (plain ``.backward()``, no forward-mode AD,
no ``torch.func`` transform) the helper runs the kernel alone (one pass, no graph to
record); otherwise it calls ``Function.apply``, so ``create_graph=True`` differentiates our
formulas. While ``torch.compile`` traces it runs the kernel too: a compiled backward cannot be
differentiated again (AOTAutograd has no double backward), so the graph would only cost tracing.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.autograd import Function
from torch.autograd import forward_ad as _forward_ad

from torchlayers.autograd._function import bind_positionally, dispatcher, opmath, sum_tangents

_aten = torch.ops.aten


def prelu_weight_view(weight: torch.Tensor, input: torch.Tensor) -> torch.Tensor:
    """The weight shaped to broadcast over ``input``'s channel dimension (dim 1)."""
    if weight.numel() == 1 or input.dim() < 2:
        return weight.reshape(())
    return weight.reshape((-1,) + (1,) * (input.dim() - 2))


class SigmoidBackwardFunction(Function):
    """(g, y) ↦ g · y(1 - y): σ's backward from its cached output y (ATen's sigmoid_backward)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(grad, output):
        return _aten.sigmoid_backward.default(grad, output)

    @staticmethod
    def setup_context(ctx, inputs, result):
        grad, output = inputs
        ctx.save_for_backward(grad if ctx.needs_input_grad[1] else None, output)
        ctx.save_for_forward(grad, output)

    @staticmethod
    def backward(ctx, grad_result):
        grad, output = ctx.saved_tensors
        grad_grad = grad_output = None
        if ctx.needs_input_grad[0]:
            grad_grad = sigmoid_backward(grad_result, output)  # d/dg [g y(1 - y)] = y(1 - y)
        if ctx.needs_input_grad[1]:
            y = opmath(output)  # d/dy [g y(1 - y)] = g (1 - 2y)
            grad_output = (opmath(grad_result) * opmath(grad) * (1 - 2 * y)).to(output.dtype)
        return grad_grad, grad_output

    @staticmethod
    def jvp(ctx, grad_tangent, output_tangent):
        grad, output = ctx.saved_tensors
        # d[g y(1 - y)] = y(1 - y) dg + g (1 - 2y) dy
        return sum_tangents(
            None if grad_tangent is None else sigmoid_backward(grad_tangent, output),
            None
            if output_tangent is None
            else (opmath(output_tangent) * opmath(grad) * (1 - 2 * opmath(output))).to(output.dtype),
        )


class TanhBackwardFunction(Function):
    """(g, y) ↦ g · (1 - y²): tanh's backward from its cached output y (ATen's tanh_backward)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(grad, output):
        return _aten.tanh_backward.default(grad, output)

    @staticmethod
    def setup_context(ctx, inputs, result):
        grad, output = inputs
        ctx.save_for_backward(grad if ctx.needs_input_grad[1] else None, output)
        ctx.save_for_forward(grad, output)

    @staticmethod
    def backward(ctx, grad_result):
        grad, output = ctx.saved_tensors
        grad_grad = grad_output = None
        if ctx.needs_input_grad[0]:
            grad_grad = tanh_backward(grad_result, output)  # d/dg [g (1 - y²)] = 1 - y²
        if ctx.needs_input_grad[1]:
            # d/dy [g (1 - y²)] = -2 g y
            grad_output = (-2 * opmath(grad_result) * opmath(grad) * opmath(output)).to(output.dtype)
        return grad_grad, grad_output

    @staticmethod
    def jvp(ctx, grad_tangent, output_tangent):
        grad, output = ctx.saved_tensors
        # d[g (1 - y²)] = (1 - y²) dg - 2 g y dy
        return sum_tangents(
            None if grad_tangent is None else tanh_backward(grad_tangent, output),
            None
            if output_tangent is None
            else (-2 * opmath(output_tangent) * opmath(grad) * opmath(output)).to(output.dtype),
        )


class ReLUBackwardFunction(Function):
    """(g, y) ↦ g · 1[y > 0]: ReLU's backward from its cached output (ATen's threshold_backward).

    The mask zeroes where ``y <= 0``, so a NaN output lets its gradient through (as torch).
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(grad, output):
        return _aten.threshold_backward.default(grad, output, 0)

    @staticmethod
    def setup_context(ctx, inputs, result):
        _grad, output = inputs
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_result):
        (output,) = ctx.saved_tensors
        grad_grad = None
        if ctx.needs_input_grad[0]:
            grad_grad = relu_backward(grad_result, output)  # d/dg [g 1[y > 0]] = 1[y > 0]
        # d/dy [g 1[y > 0]] = 0: the mask is piecewise constant
        return grad_grad, None

    @staticmethod
    def jvp(ctx, grad_tangent, _output_tangent):
        (output,) = ctx.saved_tensors
        return None if grad_tangent is None else relu_backward(grad_tangent, output)


class LeakyReLUBackwardFunction(Function):
    """(g, s) ↦ g if s > 0 else a g: leaky ReLU's backward (ATen's leaky_relu_backward).

    ``s`` is the input, or the output after an in-place forward (``saved_is_result``): the
    same sign for a >= 0, and ATen refuses a negative slope then, as torch's in-place backward.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(grad, saved, negative_slope, saved_is_result):
        return _aten.leaky_relu_backward.default(grad, saved, negative_slope, saved_is_result)

    @staticmethod
    def setup_context(ctx, inputs, result):
        _grad, saved, negative_slope, saved_is_result = inputs
        ctx.negative_slope, ctx.saved_is_result = negative_slope, saved_is_result
        ctx.save_for_backward(saved)
        ctx.save_for_forward(saved)

    @staticmethod
    def backward(ctx, grad_result):
        (saved,) = ctx.saved_tensors
        grad_grad = None
        if ctx.needs_input_grad[0]:
            # d/dg [g if s > 0 else a g] = 1 if s > 0 else a
            grad_grad = leaky_relu_backward(grad_result, saved, ctx.negative_slope, ctx.saved_is_result)
        # d/ds = 0: piecewise constant in s
        return grad_grad, None, None, None

    @staticmethod
    def jvp(ctx, grad_tangent, _saved_tangent, _slope, _saved_is_result):
        (saved,) = ctx.saved_tensors
        if grad_tangent is None:
            return None
        return leaky_relu_backward(grad_tangent, saved, ctx.negative_slope, ctx.saved_is_result)


def _elu_second(grad, saved, alpha, saved_is_result):
    """d/ds of ELU's backward ``g · ELU'``: on the negative side ``g`` when s is the output
    (d/dy [g (y + α)] = g), ``g α eˣ`` when s is the input (d/dx [g α eˣ] = g α eˣ); 0 for s > 0.
    In float32 for float16/bfloat16."""
    g, s = opmath(grad), opmath(saved)
    negative_side = g if saved_is_result else g * alpha * torch.exp(s)
    return torch.where(s <= 0, negative_side, 0)


class ELUBackwardFunction(Function):
    """(g, s) ↦ g if s > 0 else g α eˣ: ELU's backward (ATen's elu_backward).

    ``s`` is the input x, or, after an in-place forward, the output y = α(eˣ - 1), from which
    α eˣ = y + α (``saved_is_result``). At s = NaN the result is the kernel's, as torch.nn's:
    NaN from ATen's vectorised CPU loop, the incoming gradient from its scalar tail and on CUDA.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(grad, saved, alpha, saved_is_result):
        return _aten.elu_backward.default(grad, alpha, 1, 1, saved_is_result, saved)

    @staticmethod
    def setup_context(ctx, inputs, result):
        grad, saved, alpha, saved_is_result = inputs
        ctx.alpha, ctx.saved_is_result = alpha, saved_is_result
        ctx.save_for_backward(grad if ctx.needs_input_grad[1] else None, saved)
        ctx.save_for_forward(grad, saved)

    @staticmethod
    def backward(ctx, grad_result):
        grad, saved = ctx.saved_tensors
        grad_grad = grad_saved = None
        if ctx.needs_input_grad[0]:
            # d/dg [g ELU'(x)] = ELU'(x)
            grad_grad = elu_backward(grad_result, saved, ctx.alpha, ctx.saved_is_result)
        if ctx.needs_input_grad[1]:
            # d/ds [g ELU'(x)]: g (s is y) or g α eˣ (s is x) on the negative side, else 0
            second = _elu_second(grad, saved, ctx.alpha, ctx.saved_is_result)
            grad_saved = (opmath(grad_result) * second).to(saved.dtype)
        return grad_grad, grad_saved, None, None

    @staticmethod
    def jvp(ctx, grad_tangent, saved_tangent, _alpha, _saved_is_result):
        grad, saved = ctx.saved_tensors
        # d[g ELU'] = ELU' dg + (d/ds [g ELU']) ds
        return sum_tangents(
            None
            if grad_tangent is None
            else elu_backward(grad_tangent, saved, ctx.alpha, ctx.saved_is_result),
            None
            if saved_tangent is None
            else (opmath(saved_tangent) * _elu_second(grad, saved, ctx.alpha, ctx.saved_is_result)).to(
                saved.dtype
            ),
        )


class PReLUBackwardFunction(Function):
    """(g, x, w) ↦ (g if x > 0 else w g,  Σ (0 if x > 0 else x g)): PReLU's two gradients.

    ATen's ``_prelu_kernel_backward`` writes both in one pass, the weight's per element; the sum
    over every position that shares a slope is autograd's reduction of a broadcast weight, as in
    torch's own prelu (each product rounded to the dtype before the sum).
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(grad, input, weight):
        w = prelu_weight_view(weight, input)
        grad_input, grad_weight = _aten._prelu_kernel_backward.default(grad, input, w)
        return grad_input, grad_weight.sum_to_size(w.shape).reshape(weight.shape)

    @staticmethod
    def setup_context(ctx, inputs, result):
        grad, input, weight = inputs
        needs_grad, needs_input, needs_weight = ctx.needs_input_grad
        ctx.save_for_backward(
            grad if needs_input or needs_weight else None, input, weight if needs_grad else None
        )
        ctx.save_for_forward(grad, input, weight)

    @staticmethod
    def backward(ctx, grad_grad_input, grad_grad_weight):
        grad, input, weight = ctx.saved_tensors
        ggw = prelu_weight_view(grad_grad_weight, input)  # each slope's gradient, per position
        positive = input > 0
        grad_grad = grad_input = grad_weight = None
        if ctx.needs_input_grad[0]:
            # d/dg: 1 or w from grad_input = (g or w g), 0 or x from grad_weight = Σ (0 or x g)
            w = prelu_weight_view(weight, input)
            grad_grad = torch.where(positive, grad_grad_input, w * grad_grad_input + ggw * input)
        if ctx.needs_input_grad[1]:
            # d/dx: g on x <= 0 from grad_weight's x g; grad_input is piecewise constant in x
            grad_input = torch.where(positive, 0, ggw * grad)
        if ctx.needs_input_grad[2]:
            # d/dw: g on x <= 0 from grad_input's w g, summed over the positions sharing w
            per_element = torch.where(positive, 0, grad_grad_input * grad)
            grad_weight = per_element.sum_to_size(ggw.shape).reshape(grad_grad_weight.shape)
        return grad_grad, grad_input, grad_weight

    @staticmethod
    def jvp(ctx, grad_tangent, input_tangent, weight_tangent):
        grad, input, weight = ctx.saved_tensors
        w = prelu_weight_view(weight, input)
        # d(grad_input) = dg if x > 0 else w dg + dw g (x only selects the branch);
        # d(grad_weight) = Σ (0 if x > 0 else x dg + dx g)
        zeros = torch.zeros_like(input)
        positive_input = zeros if grad_tangent is None else grad_tangent
        negative_input = sum_tangents(
            zeros,
            None if grad_tangent is None else w * grad_tangent,
            None if weight_tangent is None else prelu_weight_view(weight_tangent, input) * grad,
        )
        negative_weight = sum_tangents(
            zeros,
            None if grad_tangent is None else input * grad_tangent,
            None if input_tangent is None else input_tangent * grad,
        )
        positive = input > 0
        per_element = torch.where(positive, 0, negative_weight)
        return (
            torch.where(positive, positive_input, negative_input),
            per_element.sum_to_size(w.shape).reshape(weight.shape),
        )


def _fused_call(cls: type[Function]) -> Callable:
    """Call ``cls``: its bare kernel (``cls.forward``) where no graph of the result is needed,
    else ``cls.apply``. A graph is needed under grad mode (``create_graph=True``), an active
    forward-AD level (dual tensors) or a ``torch.func`` transform."""
    kernel = bind_positionally(cls).forward
    apply = dispatcher(cls)  # cls itself under torch.func transforms, its ctx-forward twin else
    transforms_active = torch._C._are_functorch_transforms_active

    def call(*args):
        # (grad mode first: it is off in the common backward, which then skips the other checks)
        if (
            not (torch.is_grad_enabled() or _forward_ad._current_level >= 0 or transforms_active())
            or torch.compiler.is_compiling()
        ):
            return kernel(*args)
        return apply(*args)

    call.__name__ = call.__qualname__ = f"{cls.__name__}.call"
    return call


sigmoid_backward = _fused_call(SigmoidBackwardFunction)
tanh_backward = _fused_call(TanhBackwardFunction)
relu_backward = _fused_call(ReLUBackwardFunction)
leaky_relu_backward = _fused_call(LeakyReLUBackwardFunction)
elu_backward = _fused_call(ELUBackwardFunction)
prelu_backward = _fused_call(PReLUBackwardFunction)
