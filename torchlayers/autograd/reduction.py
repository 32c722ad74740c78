"""Reductions (Lua Torch's ``nn.Max``, ``nn.Min``, ``nn.Mean``): the maximum, the minimum and
the mean of a tensor, along a dimension or over all of it.

* max/min along ``dim`` return the values and, marked non-differentiable, the index of the first
  extremum in each slice (the first NaN, if the slice has one), as :func:`torch.max` does. The
  gradient goes to that index only (:func:`extremum_grad`); the cache is the indices.
* max/min of the whole tensor return one value; where several elements attain it, the gradient
  is shared evenly among them, as torch's (:func:`evenly_distributed_grad`); the cache is the
  input and the output.
* the mean over ``dim`` sends ``g / N`` to each of the ``N`` elements it averaged
  (:func:`mean_grad`); it caches nothing but shapes.

The forwards are torch's own reductions, so out-of-range dimensions and empty slices raise
torch's errors; each backward is a formula in differentiable ops (a scatter, a mask, an expand),
so double backward differentiates the formula.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.autograd import Function

from torchlayers.autograd._function import per_position_grad


def _normalised_dim(dim: int, ndim: int) -> int:
    """``dim`` in ``[0, ndim)`` (a 0-d tensor's only dimension, 0 or -1, is 0)."""
    return dim % max(ndim, 1)


# --- max and min along a dimension ------------------------------------------------------------


def extremum_grad(grad_output: Tensor, indices: Tensor, dim: int, keepdim: bool, input_shape) -> Tensor:
    """∂L/∂x of max/min along ``dim``: g at the returned index of each slice, 0 elsewhere."""
    if not keepdim and len(input_shape) > 0:
        grad_output, indices = grad_output.unsqueeze(dim), indices.unsqueeze(dim)
    # Out of place into zeros made from grad_output: under vmap those zeros are batched like it.
    return grad_output.new_zeros(input_shape).scatter(dim, indices, grad_output)  # ∂ max/∂xᵢ = 1[i = argmax]


def extremum_tangent(tangent: Tensor, indices: Tensor, dim: int, keepdim: bool) -> Tensor:
    """d(max/min along ``dim``) = dx at the returned index of each slice."""
    if keepdim or tangent.dim() == 0:
        return tangent.gather(dim, indices)
    return tangent.gather(dim, indices.unsqueeze(dim)).squeeze(dim)


class MaxFunction(Function):
    """The maximum along ``dim`` and its index (the first on ties, as :func:`torch.max`).
    Caches the indices."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, dim, keepdim):
        values, indices = torch.max(input, dim, keepdim)
        return values, indices

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, dim, keepdim = inputs
        indices = output[1]
        ctx.dim, ctx.keepdim, ctx.input_shape = _normalised_dim(dim, input.dim()), keepdim, input.shape
        ctx.mark_non_differentiable(indices)
        ctx.set_materialize_grads(False)  # no zeros the size of the output when only indices are used
        ctx.save_for_backward(indices)
        ctx.save_for_forward(indices)

    @staticmethod
    def backward(ctx, grad_output, _grad_indices):
        if grad_output is None or not ctx.needs_input_grad[0]:  # only the indices were used
            return None, None, None
        (indices,) = ctx.saved_tensors
        return extremum_grad(grad_output, indices, ctx.dim, ctx.keepdim, ctx.input_shape), None, None

    @staticmethod
    def jvp(ctx, input_tangent, _dim, _keepdim):
        (indices,) = ctx.saved_tensors
        return extremum_tangent(input_tangent, indices, ctx.dim, ctx.keepdim), None


class MinFunction(MaxFunction):
    """The minimum along ``dim`` and its index (the first on ties, as :func:`torch.min`).
    Caches the indices; the derivative is the maximum's (:func:`extremum_grad`)."""

    @staticmethod
    def forward(input, dim, keepdim):
        values, indices = torch.min(input, dim, keepdim)
        return values, indices


# --- max and min of the whole tensor ----------------------------------------------------------


def _attains(input: Tensor, output: Tensor) -> Tensor:
    """Where the input attains the extremum (where it is NaN, if the extremum is NaN)."""
    return (input == output) | (input.isnan() & output.isnan())


def evenly_distributed_grad(grad_output: Tensor, input: Tensor, output: Tensor) -> Tensor:
    """∂L/∂x of the max/min of all elements: g shared evenly among the elements that attain it."""
    attains = _attains(input, output)
    return attains * (grad_output / attains.sum())  # ∂ max/∂xᵢ = 1[xᵢ = max] / #{j : xⱼ = max}


def evenly_distributed_tangent(tangent: Tensor, input: Tensor, output: Tensor) -> Tensor:
    """d(max/min of all elements) = the mean of dx over the elements that attain it."""
    attains = _attains(input, output)
    return (attains * tangent).sum() / attains.sum()


class MaxAllFunction(Function):
    """The maximum of all elements (Lua Torch's ``torch.max(x)``, TH's ``maxall``). Caches the
    input and the output."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.max(input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        (input,) = inputs
        ctx.save_for_backward(input, output)
        ctx.save_for_forward(input, output)

    @staticmethod
    def backward(ctx, grad_output):
        input, output = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = evenly_distributed_grad(grad_output, input, output)
        return grad_input

    @staticmethod
    def jvp(ctx, input_tangent):
        input, output = ctx.saved_tensors
        return evenly_distributed_tangent(input_tangent, input, output)


class MinAllFunction(MaxAllFunction):
    """The minimum of all elements (Lua Torch's ``torch.min(x)``, TH's ``minall``). Caches the
    input and the output; the derivative is the maximum's (:func:`evenly_distributed_grad`)."""

    @staticmethod
    def forward(input):
        return torch.min(input)


# --- mean -------------------------------------------------------------------------------------


def reduced_dims(dim, ndim: int) -> tuple[int, ...]:
    """The dimensions a reduction over ``dim`` averages, in ``[0, ndim)``: all of them for
    ``None`` or ``()`` (torch's full reduction), none for a 0-d tensor."""
    if ndim == 0:
        return ()
    if dim is None or (not isinstance(dim, int) and len(dim) == 0):
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else dim
    return tuple(sorted([d % ndim for d in dims]))


def mean_grad(grad_output: Tensor, input_shape, dims: tuple[int, ...], keepdim: bool) -> Tensor:
    """∂L/∂x of the mean over ``dims``: g / N at each of the N elements each mean averaged."""
    if not keepdim:
        for d in dims:  # ascending, so each lands where it was reduced
            grad_output = grad_output.unsqueeze(d)
    count = math.prod([input_shape[d] for d in dims])
    return per_position_grad(grad_output, "mean", count, input_shape)  # ∂ mean/∂xᵢ = 1/N


class MeanFunction(Function):
    """The mean over ``dim`` (all dimensions for ``None``). Caches nothing but shapes."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, dim, keepdim):
        return torch.mean(input, dim, keepdim)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, dim, keepdim = inputs
        ctx.input_shape, ctx.dims, ctx.keepdim = input.shape, reduced_dims(dim, input.dim()), keepdim

    @staticmethod
    def backward(ctx, grad_output):
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = mean_grad(grad_output, ctx.input_shape, ctx.dims, ctx.keepdim)
        return grad_input, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _dim, _keepdim):
        # d mean(x) = mean(dx), over the same dimensions
        return input_tangent.mean(ctx.dims, ctx.keepdim) if ctx.dims else input_tangent.clone()
