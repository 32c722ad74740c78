"""Adaptive pooling (Lua Torch's ``SpatialAdaptiveAveragePooling`` and ``SpatialAdaptiveMaxPooling``):
a fixed output size H_out × W_out from any input size.

Output row i pools the input rows of its bin [⌊i·H/H_out⌋, ⌈(i+1)·H/H_out⌉), and likewise for
the columns (torch's bins). Bins may overlap when H_out does not divide H, so a cell can belong
to several bins and its gradient is the sum over them.

* Average: with A (H_out × H) the bin-membership matrix, rows normalised to 1 (A_ij = 1/|bin i|
  for j in bin i), the pooling is two small matrix products, y = A_h X A_wᵀ, and its gradient
  the transposed ones, ∂L/∂X = A_hᵀ G A_w: every cell of a bin receives g / |bin|, summed over
  the bins it lies in. Caches the input (only its shape is read, as by ATen's kernel).
* Max: each bin's window is gathered by one precomputed index table (bins padded to the widest
  by repeating their last cell), its maximum taken, and the argmax cell recorded (the first
  maximum on ties; the last NaN if there is one, as ATen's kernels). Backward scatter-adds g into
  the argmax cells. Caches the input (its shape) and the argmax indices.

Half precision sums are computed in float32 and rounded once (``opmath``). The matrix products
run with autocast off: their dtype is the formula's, not autocast's (torch keeps the input's
dtype for adaptive pooling under autocast).
"""

from __future__ import annotations

import contextlib

import torch
from torch import Tensor
from torch.autograd import Function

from torchlayers.autograd._function import opmath
from torchlayers.autograd.kernels import stand_in

__all__ = [
    "AdaptiveAvgPool2dFunction",
    "AdaptiveMaxPool2dFunction",
    "adaptive_avg_pool2d_forward",
    "adaptive_avg_pool2d_grad",
    "adaptive_max_pool2d_forward",
    "adaptive_max_pool2d_grad",
    "average_matrix",
    "bin_windows",
]


def _bins(in_size: int, out_size: int, device) -> tuple[Tensor, Tensor]:
    """(start, end) of every output bin: start_i = ⌊i·in/out⌋, end_i = ⌈(i+1)·in/out⌉."""
    i = torch.arange(out_size, device=device)
    return (i * in_size) // out_size, ((i + 1) * in_size + out_size - 1) // out_size


def average_matrix(in_size: int, out_size: int, dtype: torch.dtype, device) -> Tensor:
    """A (out × in): A_ij = 1/|bin i| if input position j lies in bin i, else 0."""
    start, end = _bins(in_size, out_size, device)
    j = torch.arange(in_size, device=device)
    member = (j >= start.unsqueeze(1)) & (j < end.unsqueeze(1))
    return member.to(dtype) / (end - start).to(dtype).unsqueeze(1)


def bin_windows(in_size: int, out_size: int, device) -> Tensor:
    """(out × K) input positions of each bin, padded to K (at least the widest bin's width) by
    repeating the bin's last position: a repeat changes neither the maximum nor which cell wins."""
    # widths are ⌈in/out⌉ or ⌊in/out⌋ + 1 when out does not divide in, hence ≤ ⌊in/out⌋ + 2
    width = 1 if out_size == 0 else in_size // out_size + (0 if in_size % out_size == 0 else 2)
    start, end = _bins(in_size, out_size, device)
    positions = start.unsqueeze(1) + torch.arange(width, device=device)
    return torch.minimum(positions, (end - 1).unsqueeze(1))


def _autocast_off(tensor: Tensor):
    """Autocast off for a formula's matrix products (a no-op context when it is off already)."""
    device_type = tensor.device.type
    if device_type in ("cpu", "cuda") and torch.is_autocast_enabled(device_type):
        return torch.autocast(device_type, enabled=False)
    return contextlib.nullcontext()


# --- average ---------------------------------------------------------------------------------


@stand_in
def adaptive_avg_pool2d_forward(input: Tensor, output_size: tuple[int, int]) -> Tensor:
    """y = A_h X A_wᵀ: the mean of every bin, for (C, H, W) or (N, C, H, W) inputs."""
    x = opmath(input)
    a_h = average_matrix(input.shape[-2], output_size[0], x.dtype, x.device)
    a_w = average_matrix(input.shape[-1], output_size[1], x.dtype, x.device)
    with _autocast_off(x):
        return (a_h @ x @ a_w.t()).to(input.dtype)


@stand_in
def adaptive_avg_pool2d_grad(grad_output: Tensor, input: Tensor) -> Tensor:
    """∂L/∂X = A_hᵀ G A_w: each cell gets g / |bin| from every bin it lies in (``input``: its
    shape only)."""
    g = opmath(grad_output)
    a_h = average_matrix(input.shape[-2], grad_output.shape[-2], g.dtype, g.device)
    a_w = average_matrix(input.shape[-1], grad_output.shape[-1], g.dtype, g.device)
    with _autocast_off(g):
        return (a_h.t() @ g @ a_w).to(grad_output.dtype)  # d(A_h X A_wᵀ)/dX: G ↦ A_hᵀ G A_w


class AdaptiveAvgPool2dFunction(Function):
    """y = A_h X A_wᵀ, the mean over each of H_out × W_out bins (overlapping where sizes do not
    divide). ``output_size`` is a pair of ints."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, output_size):
        return adaptive_avg_pool2d_forward(input, output_size)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, output_size = inputs
        ctx.output_size = output_size
        ctx.save_for_backward(input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = adaptive_avg_pool2d_grad(grad_output, input)
        return grad_input, None

    @staticmethod
    def jvp(ctx, input_tangent, _output_size):
        return adaptive_avg_pool2d_forward(input_tangent, ctx.output_size)  # linear: dy = A_h dX A_wᵀ


# --- max -------------------------------------------------------------------------------------


@stand_in
def adaptive_max_pool2d_forward(input: Tensor, output_size: tuple[int, int]) -> tuple[Tensor, Tensor]:
    """(max of every bin, the flat index h·W + w of its argmax cell in the H × W plane): the
    first maximum on ties, the last NaN where the bin holds NaN (ATen's ``val > max || isnan``)."""
    height, width = input.shape[-2:]
    rows = bin_windows(height, output_size[0], input.device)  # (H_out, K_h)
    cols = bin_windows(width, output_size[1], input.device)  # (W_out, K_w)
    # flat[i, j, a·K_w + b] = rows[i, a]·W + cols[j, b]: bin (i, j)'s cells in row-major order
    flat = (rows[:, None, :, None] * width + cols[None, :, None, :]).reshape(
        *output_size, rows.shape[1] * cols.shape[1]
    )
    planes = input.reshape(*input.shape[:-2], height * width)  # (no flatten: vmap has no rule for it)
    windows = planes.index_select(-1, flat.reshape(-1)).reshape(*input.shape[:-2], *flat.shape)
    output, first_max = windows.max(-1)
    position = torch.arange(1, flat.shape[-1] + 1, device=input.device)
    last_nan = (windows.isnan() * position).amax(-1) - 1  # -1 where the bin holds no NaN
    winner = torch.where(last_nan >= 0, last_nan, first_max)
    indices = flat.expand(*windows.shape).gather(-1, winner.unsqueeze(-1)).squeeze(-1)
    return output, indices


@stand_in
def adaptive_max_pool2d_grad(grad_output: Tensor, input: Tensor, indices: Tensor) -> Tensor:
    """g scatter-added into each bin's argmax cell, summed where a cell wins several bins
    (``input``: its shape only)."""
    height, width = input.shape[-2:]
    g = opmath(grad_output).reshape(*grad_output.shape[:-2], -1)
    grad_input = g.new_zeros(*g.shape[:-1], height * width)
    winners = indices.reshape(*indices.shape[:-2], -1)
    grad_input = grad_input.scatter_add(-1, winners, g)  # d max/dx_c = 1[c is the argmax]
    return grad_input.reshape(*g.shape[:-1], height, width).to(grad_output.dtype)


class AdaptiveMaxPool2dFunction(Function):
    """The maximum over each of H_out × W_out bins. Returns it and, marked non-differentiable,
    the flat index of each bin's argmax cell in its H × W plane (what backward routes g to)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, output_size):
        return adaptive_max_pool2d_forward(input, output_size)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, _output_size = inputs
        indices = output[1]
        ctx.mark_non_differentiable(indices)
        ctx.set_materialize_grads(False)  # no zeros the size of indices per backward
        ctx.save_for_backward(input, indices)
        ctx.save_for_forward(indices)

    @staticmethod
    def backward(ctx, grad_output, _grad_indices):
        if grad_output is None:  # the maximum was not used
            return None, None
        input, indices = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = adaptive_max_pool2d_grad(grad_output, input, indices)
        return grad_input, None

    @staticmethod
    def jvp(ctx, input_tangent, _output_size):
        (indices,) = ctx.saved_tensors  # dy = dX at each bin's argmax cell
        planes = input_tangent.reshape(*input_tangent.shape[:-2], -1)
        tangent = planes.gather(-1, indices.reshape(*indices.shape[:-2], -1)).reshape(indices.shape)
        return tangent, None
