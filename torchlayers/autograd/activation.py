"""Activations: the lecture's non-linearities ``f`` in ``f(Wx + b)``.

Each backward is the activation's derivative times the incoming gradient, ``g · f'(·)``,
evaluated from whatever the node cached (its output for sigmoid, tanh and ReLU; its input where
the output does not determine the derivative). Each derivative is a named formula beside its
Function (``sigmoid_grad``, ...), in plain differentiable ops, so double and higher backward
differentiate it; ATen's fused kernel for the same product stands in for it through the kernel
table (``kernels.py``). Forward-mode ``jvp`` multiplies the tangent by the same derivative: an
elementwise op's Jacobian is diagonal, so it is never materialised.

Half-precision tensors are computed in float32 and rounded once (``opmath``), as ATen's kernels do.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd import Function

from torchlayers.autograd._function import opmath, sum_tangents, updated_in_place
from torchlayers.autograd.kernels import stand_in


def _inplace_error(name: str, parameter: str) -> RuntimeError:
    return RuntimeError(
        f"In-place {name} backward calculation is triggered with a negative {parameter}, which "
        f"is not supported: the output no longer tells the sign of the input. Call the "
        f"out-of-place version (inplace=False) instead."
    )


# --- sigmoid ---------------------------------------------------------------------------------


@stand_in
def sigmoid_grad(grad_output: Tensor, output: Tensor) -> Tensor:
    """g · σ'(x) from the cached output y = σ(x) (Caffe's SigmoidLayer::Backward)."""
    g, y = opmath(grad_output), opmath(output)
    return (g * (1 - y) * y).to(grad_output.dtype)  # d/dx σ(x) = σ(x)(1 - σ(x))


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
            grad_input = sigmoid_grad(grad_output, output)
        return grad_input

    @staticmethod
    def jvp(ctx, input_tangent):
        (output,) = ctx.saved_tensors
        return sigmoid_grad(input_tangent, output)


# --- tanh ------------------------------------------------------------------------------------


@stand_in
def tanh_grad(grad_output: Tensor, output: Tensor) -> Tensor:
    """g · tanh'(x) from the cached output y = tanh(x)."""
    g, y = opmath(grad_output), opmath(output)
    return (g * (1 - y * y)).to(grad_output.dtype)  # d/dx tanh(x) = 1 - tanh(x)²


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
            grad_input = tanh_grad(grad_output, output)
        return grad_input

    @staticmethod
    def jvp(ctx, input_tangent):
        (output,) = ctx.saved_tensors
        return tanh_grad(input_tangent, output)


# --- ReLU ------------------------------------------------------------------------------------


@stand_in
def relu_grad(grad_output: Tensor, output: Tensor) -> Tensor:
    """g · 1[x > 0] from the cached output y = max(0, x) (the same sign as x where x > 0).

    Masking where ``y <= 0`` (not keeping ``y > 0``) lets a NaN through, as ATen's
    threshold_backward does; the subgradient at 0 is 0.
    """
    return torch.where(output <= 0, 0, grad_output)  # d/dx max(0, x) = 1[x > 0]


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
            grad_input = relu_grad(grad_output, output)
        return grad_input, None

    @staticmethod
    def jvp(ctx, input_tangent, _):
        (output,) = ctx.saved_tensors
        tangent = relu_grad(input_tangent, output)
        # the tangent of a dirtied input is updated in place too
        return updated_in_place(input_tangent.copy_(tangent)) if ctx.inplace else tangent


# --- leaky ReLU ------------------------------------------------------------------------------


@stand_in
def leaky_relu_forward(input: Tensor, negative_slope: float) -> Tensor:
    """max(a x, x) for 0 <= a < 1: x if x > 0 else a x."""
    x = opmath(input)
    return torch.where(x > 0, x, x * negative_slope).to(input.dtype)


@stand_in
def leaky_relu_forward_(input: Tensor, negative_slope: float) -> Tensor:
    """:func:`leaky_relu_forward` written into ``input``."""
    return input.copy_(leaky_relu_forward(input, negative_slope))


@stand_in
def leaky_relu_grad(
    grad_output: Tensor, saved: Tensor, negative_slope: float, saved_is_result: bool
) -> Tensor:
    """g if s > 0 else a g, where ``s`` is the input, or the output after an in-place forward
    (``saved_is_result``: the same sign for a >= 0, which LeakyReLUFunction checks)."""
    g = opmath(grad_output)
    return torch.where(saved > 0, g, g * negative_slope).to(grad_output.dtype)  # d/dx = 1 or a


class LeakyReLUFunction(Function):
    """max(a x, x) for 0 <= a < 1 (the lecture's ``max(0.1x, x)``); x if x > 0 else a x."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, negative_slope, inplace):
        if inplace:
            leaky_relu_forward_(input, negative_slope)
            return input  # the very tensor (Dynamo checks a dirtied input is returned)
        return leaky_relu_forward(input, negative_slope)

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
            # the slope at the kink x = 0 is a, as torch's
            grad_input = leaky_relu_grad(grad_output, saved, ctx.negative_slope, ctx.inplace)
        return grad_input, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _slope, _inplace):
        (saved,) = ctx.saved_tensors
        tangent = leaky_relu_grad(input_tangent, saved, ctx.negative_slope, ctx.inplace)
        return updated_in_place(input_tangent.copy_(tangent)) if ctx.inplace else tangent


# --- ELU -------------------------------------------------------------------------------------


@stand_in
def elu_forward(input: Tensor, alpha: float) -> Tensor:
    """x if x > 0 else α(eˣ - 1), the negative side by ``expm1`` (exact near 0)."""
    x = opmath(input)
    return torch.where(x > 0, x, alpha * torch.expm1(x)).to(input.dtype)


@stand_in
def elu_forward_(input: Tensor, alpha: float) -> Tensor:
    """:func:`elu_forward` written into ``input``."""
    return input.copy_(elu_forward(input, alpha))


@stand_in
def elu_grad(grad_output: Tensor, saved: Tensor, alpha: float, saved_is_result: bool) -> Tensor:
    """g if s > 0 else g α eˣ. ``s`` is the input x, or, after an in-place forward, the output
    y = α(eˣ - 1), from which α eˣ = y + α (``saved_is_result``).

    eˣ is taken of min(x, 0): the same value on the negative side, and no overflow on the other
    side, whose infinite eˣ would turn the zero gradient ``where`` sends there into NaN in double
    backward. At s = NaN the gradient passes through, as in ATen's formula (its CUDA kernel and
    CPU scalar loop; its vectorised CPU loop gives NaN there).
    """
    g, s = opmath(grad_output), opmath(saved)
    # d/dx ELU(x) = 1 if x > 0 else α eˣ (α at the kink)
    negative_side = g * (s + alpha) if saved_is_result else g * alpha * torch.exp(s.clamp_max(0))
    return torch.where(s <= 0, negative_side, g).to(grad_output.dtype)


class ELUFunction(Function):
    """ELU: x if x > 0 else α(eˣ - 1)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, alpha, inplace):
        if inplace:
            elu_forward_(input, alpha)
            return input  # the very tensor (Dynamo checks a dirtied input is returned)
        return elu_forward(input, alpha)

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
            grad_input = elu_grad(grad_output, saved, ctx.alpha, ctx.inplace)
        return grad_input, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _alpha, _inplace):
        (saved,) = ctx.saved_tensors
        tangent = elu_grad(input_tangent, saved, ctx.alpha, ctx.inplace)
        return updated_in_place(input_tangent.copy_(tangent)) if ctx.inplace else tangent


# --- PReLU -----------------------------------------------------------------------------------


def prelu_weight_view(weight: Tensor, input: Tensor) -> Tensor:
    """The weight shaped to broadcast over ``input``'s channel dimension (dim 1)."""
    if weight.numel() == 1 or input.dim() < 2:
        return weight.reshape(())
    return weight.reshape((-1,) + (1,) * (input.dim() - 2))


@stand_in
def prelu_forward(input: Tensor, weight: Tensor) -> Tensor:
    """x if x > 0 else w x; ``weight`` is shaped by :func:`prelu_weight_view`."""
    return torch.where(input > 0, input, weight * input)


@stand_in
def prelu_grad(grad_output: Tensor, input: Tensor, weight: Tensor) -> tuple[Tensor, Tensor]:
    """(∂/∂x, ∂/∂w) of PReLU times g: (g if x > 0 else w g,  Σ (0 if x > 0 else x g)), the weight's
    summed over every position that shares a slope (each product rounded to the dtype first,
    as torch's prelu); ``weight`` is shaped by :func:`prelu_weight_view`."""
    positive = input > 0
    grad_input = torch.where(positive, grad_output, weight * grad_output)  # d/dx = 1 or w
    grad_weight = torch.where(positive, 0, input * grad_output)  # d/dw = 0 or x
    return grad_input, grad_weight.sum_to_size(weight.shape)


def prelu_tangent(input: Tensor, weight: Tensor, input_tangent, weight_tangent) -> Tensor:
    """d PReLU = (1 if x > 0 else w) dx + (0 if x > 0 else x) dw, position by position
    (``None`` tangents are zero; ``weight`` and its tangent as the module holds them)."""
    w = prelu_weight_view(weight, input)
    negative_side = sum_tangents(
        None if input_tangent is None else w * input_tangent,
        None if weight_tangent is None else prelu_weight_view(weight_tangent, input) * input,
    )
    positive_side = input_tangent if input_tangent is not None else torch.zeros_like(input)
    return torch.where(input > 0, positive_side, negative_side)


class PReLUFunction(Function):
    """Parametric ReLU: x if x > 0 else w x, with a learned slope w per channel (dim 1)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, weight):
        return prelu_forward(input, prelu_weight_view(weight, input))

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
            # one pass for both
            grad_input, grad_weight = prelu_grad(grad_output, input, prelu_weight_view(weight, input))
        return (
            grad_input if ctx.needs_input_grad[0] else None,
            grad_weight.reshape(weight.shape) if ctx.needs_input_grad[1] else None,
        )

    @staticmethod
    def jvp(ctx, input_tangent, weight_tangent):
        input, weight = ctx.saved_tensors
        return prelu_tangent(input, weight, input_tangent, weight_tangent)


# --- log-sigmoid -----------------------------------------------------------------------------


@stand_in
def log_sigmoid_forward(input: Tensor) -> tuple[Tensor, Tensor]:
    """(log σ(x), buffer): log σ(x) = min(x, 0) - log(1 + e^{-|x|}), which never exponentiates a
    positive number (log_sigmoid(-1000) = -1000, not -inf). The buffer is what ATen's kernel
    caches, e^{-|x|} on the CPU and an empty tensor on CUDA and XPU, where its backward
    recomputes it."""
    x = opmath(input)
    z = torch.exp(-x.abs())
    output = (x.clamp_max(0) - torch.log1p(z)).to(input.dtype)  # clamp keeps NaN, as torch.minimum
    buffer = input.new_empty((0,)) if input.device.type in ("cuda", "xpu") else z.to(input.dtype)
    return output, buffer


@stand_in
def log_sigmoid_grad(grad_output: Tensor, input: Tensor, buffer: Tensor) -> Tensor:
    """g · (log σ)'(x) = g σ(-x) from the input, as ATen's kernel: 1/(1 + z) for x < 0 and
    z/(1 + z) otherwise, z = e^{-|x|} ≤ 1 (no exponential overflows).

    ``buffer`` (see :func:`log_sigmoid_forward`) is read by the kernel only: the formula takes
    z from x, so that double backward differentiates it (the buffer is a constant to autograd).
    -|x| is written as a ``where``, whose slope at 0 is -1 (abs's subgradient there is 0), so
    the second derivative at 0 is -1/4 as on either side.
    """
    g, x = opmath(grad_output), opmath(input)
    z = torch.exp(torch.where(x < 0, x, -x))
    # d/dx log σ(x) = 1 - σ(x) = σ(-x)
    return (g * torch.where(x < 0, 1, z) / (1 + z)).to(grad_output.dtype)


class LogSigmoidFunction(Function):
    """log σ(x) = -softplus(-x). Caches its input and, as torch's, ATen's buffer ``e^{-|x|}``
    (returned as a second, non-differentiable output, empty on CUDA)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return log_sigmoid_forward(input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        (input,) = inputs
        buffer = output[1]
        ctx.mark_non_differentiable(buffer)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(input, buffer)
        ctx.save_for_forward(input, buffer)

    @staticmethod
    def backward(ctx, grad_output, _grad_buffer):
        input, buffer = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0] and grad_output is not None:
            grad_input = log_sigmoid_grad(grad_output, input, buffer)
        return grad_input

    @staticmethod
    def jvp(ctx, input_tangent):
        input, buffer = ctx.saved_tensors
        return log_sigmoid_grad(input_tangent, input, buffer), None


# --- softplus --------------------------------------------------------------------------------


@stand_in
def softplus_forward(input: Tensor, beta: float, threshold: float) -> Tensor:
    """(1/β) log(1 + e^{βx}), and x itself where βx > threshold (there the two agree to the
    dtype's precision, and e^{βx} would overflow)."""
    x = opmath(input)
    scaled = x * beta
    return torch.where(scaled > threshold, x, torch.log1p(torch.exp(scaled)) / beta).to(input.dtype)


@stand_in
def softplus_grad(grad_output: Tensor, input: Tensor, beta: float, threshold: float) -> Tensor:
    """g · σ(βx) as ATen's kernel writes it, z / (z + 1) with z = e^{βx}, and g where
    βx > threshold. e^{βx} is taken of min(βx, threshold): the same value where it is used, and
    no overflow on the linear side, whose infinite z would turn the zero gradient ``where``
    sends there into NaN in double backward. (A threshold beyond the dtype's exponent range,
    ~88 for float32, overflows z below it: NaN there, as torch's kernel.)"""
    g, x = opmath(grad_output), opmath(input)
    scaled = x * beta
    z = torch.exp(scaled.clamp_max(threshold))
    # d/dx (1/β) log(1 + e^{βx}) = e^{βx} / (1 + e^{βx}) = σ(βx); 1 on the linear side
    return torch.where(scaled > threshold, g, g * z / (z + 1)).to(grad_output.dtype)


class SoftplusFunction(Function):
    """Softplus: (1/β) log(1 + e^{βx}), linear where βx > threshold. Caches its input."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, beta, threshold):
        return softplus_forward(input, beta, threshold)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, beta, threshold = inputs
        ctx.beta, ctx.threshold = beta, threshold
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = softplus_grad(grad_output, input, ctx.beta, ctx.threshold)
        return grad_input, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _beta, _threshold):
        (input,) = ctx.saved_tensors
        return softplus_grad(input_tangent, input, ctx.beta, ctx.threshold)


# --- softsign --------------------------------------------------------------------------------


def softsign_grad(grad_output: Tensor, input: Tensor) -> Tensor:
    """g · softsign'(x) by the chain rule through x / v, v = |x| + 1: the quotient's two
    partial derivatives, 1/v for the numerator and -(x/v)/v for the denominator, whose own
    derivative is sign x. Their sum is 1/(1 + |x|)² (x sign x = |x|).

    torch has no kernel for softsign: torch.nn's value and gradient are this composition's,
    each op rounding in the input's dtype. So is ours (no float32 opmath here): the same
    numbers in every dtype, NaN at ±inf included (inf/inf), where 1/(1 + |x|)² would give 0.
    """
    v = input.abs() + 1
    # d/dx x/(1+|x|) = 1/v - (x/v)/v · sign x = 1/(1+|x|)²
    return grad_output / v - grad_output * (input / v / v) * torch.sign(input)


class SoftsignFunction(Function):
    """Softsign: ``x / (1 + |x|)``. Caches its input. ATen has no fused kernel for it: the
    forward is torch's composition of native ops (see :func:`softsign_grad`)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return input / (input.abs() + 1)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.save_for_forward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = softsign_grad(grad_output, input)
        return grad_input

    @staticmethod
    def jvp(ctx, input_tangent):
        (input,) = ctx.saved_tensors
        return softsign_grad(input_tangent, input)


# --- softshrink ------------------------------------------------------------------------------


def _threshold_in_dtype(value: float, input: Tensor, opmath_input: Tensor):
    """``value`` rounded to a float16/bfloat16 input's dtype, as ATen's kernels convert their
    scalar arguments (softshrink(x, 0.3) compares a half x with half(0.3) = 0.30005); a number
    as given otherwise (a Python number meets a float32/float64 tensor in its dtype)."""
    if input.dtype == opmath_input.dtype:
        return value
    return torch.scalar_tensor(value, dtype=input.dtype, device=input.device).to(opmath_input.dtype)


@stand_in
def softshrink_forward(input: Tensor, lambd: float) -> Tensor:
    """x - λ if x > λ, x + λ if x < -λ, else 0 (0 · x: NaN stays NaN), for λ >= 0."""
    x = opmath(input)
    lambd = _threshold_in_dtype(lambd, input, x)
    return torch.where(x > lambd, x - lambd, torch.where(x < -lambd, x + lambd, x * 0)).to(input.dtype)


@stand_in
def softshrink_grad(grad_output: Tensor, input: Tensor, lambd: float) -> Tensor:
    """g · 1[|x| > λ]; 0 at the kinks ±λ, as torch's. Masking where -λ <= x <= λ (not keeping
    |x| > λ) lets the gradient through at NaN, as ATen's formula (its CUDA kernel and CPU
    scalar loop; its vectorised CPU loop gives 0 there)."""
    lambd = _threshold_in_dtype(lambd, input, opmath(input))
    return torch.where((input >= -lambd) & (input <= lambd), 0, grad_output)  # d/dx = 1[|x| > λ]


class SoftshrinkFunction(Function):
    """Soft shrinkage: x - λ if x > λ, x + λ if x < -λ, else 0. Caches its input."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, lambd):
        return softshrink_forward(input, lambd)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, lambd = inputs
        ctx.lambd = lambd
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = softshrink_grad(grad_output, input, ctx.lambd)
        return grad_input, None

    @staticmethod
    def jvp(ctx, input_tangent, _lambd):
        (input,) = ctx.saved_tensors
        return softshrink_grad(input_tangent, input, ctx.lambd)
