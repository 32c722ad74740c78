"""Layer normalisation: each sample standardised over its last dimensions, then scaled and shifted.

Over the ``D = len(normalized_shape)`` last dimensions, with N elements in them:

* forward:  μ = mean(x), σ² = mean((x - μ)²) (biased), r = 1/√(σ² + ε), x̂ = (x - μ) r, y = x̂ w + b
* backward: ∂x = r (g w - mean(g w) - x̂ mean(g w x̂)) over the normalised dimensions (the
  vectorised formula: no N x N Jacobian is formed), ∂w = Σ g x̂ and ∂b = Σ g over the batch
  dimensions (:func:`layer_norm_grad`).

``LayerNormFunction`` caches the input, the weight and bias (the tensors ``torch.nn`` keeps) and
the statistics μ and r, as ATen's ``native_layer_norm`` does: it returns them as two more
outputs, so they are graph nodes of their own. A double backward differentiates backward's
formula through them, and their gradients come back to this node (:func:`layer_norm_statistics_grad`):
∂μ/∂x = 1/N and ∂r/∂x = -r² x̂ / N. ATen's fused ``native_layer_norm`` and
``native_layer_norm_backward`` stand in for the forward and backward formulas through the kernel
table (``kernels.py``). Half-precision tensors are computed in float32 and rounded once
(``opmath``); the statistics stay in float32.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd import Function

from torchlayers.autograd._function import opmath, sum_tangents
from torchlayers.autograd.kernels import stand_in

__all__ = ["LayerNormFunction"]


def normalized_dims(normalized_shape) -> tuple[int, ...]:
    """The last ``len(normalized_shape)`` dimensions, counted from the end (never empty: the
    functional refuses an empty ``normalized_shape``, as torch does)."""
    return tuple(range(-len(normalized_shape), 0))


def _sum_over_batch(tensor: Tensor, normalized_shape) -> Tensor:
    """Σ over the batch dimensions, those before the normalised ones (none for a single sample:
    ``sum(())`` would sum everything)."""
    batch = tuple(range(tensor.dim() - len(normalized_shape)))
    return tensor.sum(batch) if batch else tensor


@stand_in
def layer_norm_forward(
    input: Tensor, normalized_shape, weight: Tensor | None, bias: Tensor | None, eps: float
) -> tuple[Tensor, Tensor, Tensor]:
    """(y, μ, r): y = x̂ w + b with x̂ = (x - μ) r, r = 1/√(σ² + ε); μ and r keep the normalised
    dimensions as size 1 (ATen's shapes)."""
    dims = normalized_dims(normalized_shape)
    x = opmath(input)
    mean = x.mean(dims, keepdim=True)
    centred = x - mean
    rstd = torch.rsqrt(centred.square().mean(dims, keepdim=True) + eps)  # biased variance
    output = centred * rstd
    if weight is not None:
        output = output * opmath(weight)
    if bias is not None:
        output = output + opmath(bias)
    return output.to(input.dtype), mean, rstd


@stand_in
def layer_norm_grad(
    grad_output: Tensor,
    input: Tensor,
    mean: Tensor,
    rstd: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    normalized_shape,
    output_mask: tuple[bool, bool, bool],
) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
    """(∂x, ∂w, ∂b) of y = x̂ w + b times g, each only where ``output_mask`` asks for it (the
    bias's values are not used: ``native_layer_norm_backward`` takes it for its shape)."""
    dims = normalized_dims(normalized_shape)
    g, normalized = opmath(grad_output), (opmath(input) - mean) * rstd
    grad_input = grad_weight = grad_bias = None
    if output_mask[0]:
        g_w = g if weight is None else g * opmath(weight)
        # ∂x = r (g w - mean(g w) - x̂ mean(g w x̂)): the Jacobian r (I - 1/N - x̂ x̂ᵀ/N) diag(w), applied
        grad_input = rstd * (
            g_w - g_w.mean(dims, keepdim=True) - normalized * (g_w * normalized).mean(dims, keepdim=True)
        )
        grad_input = grad_input.to(input.dtype)
    if output_mask[1]:
        grad_weight = _sum_over_batch(g * normalized, normalized_shape).to(weight.dtype)  # ∂y/∂w = x̂
    if output_mask[2]:
        grad_bias = _sum_over_batch(g, normalized_shape).to(bias.dtype)  # ∂y/∂b = 1
    return grad_input, grad_weight, grad_bias


def layer_norm_statistics_grad(
    grad_mean: Tensor | None, grad_rstd: Tensor | None, input: Tensor, mean: Tensor, rstd: Tensor, dims
) -> Tensor:
    """∂x from the gradients of the cached statistics (what a double backward sends back):
    ∂μ/∂xᵢ = 1/N, ∂r/∂xᵢ = -r³ (xᵢ - μ)/N = -r² x̂ᵢ / N."""
    count = 1
    for d in dims:
        count *= input.shape[d]
    x = opmath(input)
    grad = sum_tangents(
        None if grad_mean is None else grad_mean / count,
        None if grad_rstd is None else -grad_rstd * rstd.pow(3) * (x - mean) / count,
    )
    return grad.expand(input.shape).to(input.dtype)


def layer_norm_tangent(
    input, mean, rstd, weight, normalized_shape, input_tangent, weight_tangent, bias_tangent
) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
    """(dy, dμ, dr) from the tangents (``None`` is zero): dμ = mean(dx), dr = -r² mean(x̂ dx),
    dx̂ = r (dx - dμ) + (x - μ) dr, dy = dx̂ w + x̂ dw + db."""
    dims = normalized_dims(normalized_shape)
    centred = opmath(input) - mean
    normalized = centred * rstd
    d_output = d_mean = d_rstd = None
    if input_tangent is not None:
        dx = opmath(input_tangent)
        d_mean = dx.mean(dims, keepdim=True)
        d_rstd = -rstd.square() * (normalized * dx).mean(dims, keepdim=True)
        d_normalized = rstd * (dx - d_mean) + centred * d_rstd
        d_output = d_normalized if weight is None else d_normalized * opmath(weight)
    d_output = sum_tangents(
        d_output,
        None if weight_tangent is None else normalized * opmath(weight_tangent),
        None if bias_tangent is None else opmath(bias_tangent),
    )
    if d_output is not None:
        d_output = d_output.expand(input.shape).to(input.dtype)
    if d_mean is None:  # the statistics do not move; forward-mode AD takes no None for an output
        d_mean, d_rstd = torch.zeros_like(mean), torch.zeros_like(rstd)
    return d_output, d_mean, d_rstd


class LayerNormFunction(Function):
    """y = (x - μ)/√(σ² + ε) w + b over the last ``len(normalized_shape)`` dimensions.

    Returns ``(y, μ, r)``, r = 1/√(σ² + ε), as ATen's ``native_layer_norm``; caches the input,
    weight, bias, μ and r.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, normalized_shape, weight, bias, eps):
        return layer_norm_forward(input, normalized_shape, weight, bias, eps)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, normalized_shape, weight, bias, _eps = inputs
        _, mean, rstd = output
        ctx.normalized_shape = normalized_shape
        ctx.set_materialize_grads(False)  # μ and r get a gradient only in a double backward
        ctx.save_for_backward(input, mean, rstd, weight, bias)
        ctx.save_for_forward(input, mean, rstd, weight)

    @staticmethod
    def backward(ctx, grad_output, grad_mean, grad_rstd):
        input, mean, rstd, weight, bias = ctx.saved_tensors
        needs_input, _, needs_weight, needs_bias, _ = ctx.needs_input_grad
        grad_input = grad_weight = grad_bias = None
        if grad_output is not None and (needs_input or needs_weight or needs_bias):
            mask = (needs_input, needs_weight and weight is not None, needs_bias and bias is not None)
            grad_input, grad_weight, grad_bias = layer_norm_grad(
                grad_output, input, mean, rstd, weight, bias, ctx.normalized_shape, mask
            )
        if needs_input and (grad_mean is not None or grad_rstd is not None):
            dims = normalized_dims(ctx.normalized_shape)
            grad_input = sum_tangents(
                grad_input, layer_norm_statistics_grad(grad_mean, grad_rstd, input, mean, rstd, dims)
            )
        return grad_input, None, grad_weight, grad_bias, None

    @staticmethod
    def jvp(ctx, input_tangent, _normalized_shape, weight_tangent, bias_tangent, _eps):
        input, mean, rstd, weight = ctx.saved_tensors
        return layer_norm_tangent(
            input, mean, rstd, weight, ctx.normalized_shape, input_tangent, weight_tangent, bias_tangent
        )
