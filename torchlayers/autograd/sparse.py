"""The lookup table (Lua Torch's ``LookupTable``, torch.nn's ``Embedding``): y = W[idx].

Forward reads one row of the weight per index; backward scatter-adds the incoming gradient back
into those rows, so a row looked up k times receives the sum of its k gradients:

    ∂L/∂W[i] = Σ_{k: idx_k = i} g_k        (0 for the padding row)

With ``scale_grad_by_freq`` each g_k is divided by the number of times its index occurs in the
batch first. The node caches the indices only (the weight's gradient needs no weight). Half
precision gradients are accumulated in float32 and rounded once (``opmath``).

``max_norm`` is not part of the derivative: :func:`embedding_renorm_` rescales the looked-up rows
of the weight in place, without grad, before the lookup (torch's ``embedding_renorm_``).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd import Function

from torchlayers.autograd._function import opmath, opmath_dtype
from torchlayers.autograd.kernels import stand_in

__all__ = [
    "EmbeddingFunction",
    "embedding_forward",
    "embedding_grad",
    "embedding_renorm_",
    "embedding_tangent",
    "index_counts",
]


@stand_in
def embedding_forward(weight: Tensor, indices: Tensor) -> Tensor:
    """W[idx]: one row of ``weight`` per index, in the indices' shape (``index_select`` refuses
    indices outside [0, num_embeddings), negative ones included, as torch's embedding does)."""
    rows = weight.index_select(0, indices.reshape(-1))
    return rows.reshape(*indices.shape, weight.shape[1])


@stand_in
def embedding_grad(
    grad_output: Tensor, indices: Tensor, num_weights: int, padding_idx: int, scale_grad_by_freq: bool
) -> Tensor:
    """g scatter-added into the looked-up rows: ∂L/∂W[i] = Σ_{k: idx_k = i} g_k (divided by the
    count of i in the batch with ``scale_grad_by_freq``), zero for the row ``padding_idx``
    (-1: no padding row, as ATen's convention)."""
    flat = indices.reshape(-1)
    g = opmath(grad_output).reshape(flat.numel(), grad_output.shape[-1])
    g = torch.where((flat != padding_idx).unsqueeze(1), g, 0)  # the padding row learns nothing
    grad_weight = g.new_zeros(num_weights, g.shape[1]).index_add(0, flat, g)  # ∂W[i] = Σ_{idx_k = i} g_k
    if scale_grad_by_freq:
        grad_weight = grad_weight / index_counts(flat, num_weights, g).unsqueeze(1)  # ÷ #{k: idx_k = i}
    return grad_weight.to(grad_output.dtype)


def index_counts(flat_indices: Tensor, num_weights: int, like: Tensor) -> Tensor:
    """How often each row is looked up (at least 1, so rows never looked up divide 0 by 1), in
    ``like``'s dtype and device."""
    ones = torch.ones(flat_indices.shape, dtype=like.dtype, device=like.device)
    counts = torch.zeros(num_weights, dtype=like.dtype, device=like.device).index_add(0, flat_indices, ones)
    return counts.clamp_min(1)


def embedding_renorm_(weight: Tensor, indices: Tensor, max_norm: float, norm_type: float) -> Tensor:
    """Rescale, in place and without grad, every row of ``weight`` that ``indices`` looks up and
    whose p-norm exceeds ``max_norm`` to norm ``max_norm``: W[i] ← W[i] · max_norm / (‖W[i]‖ₚ + 1e-7),
    as torch's ``embedding_renorm_`` (its norm in the weight's dtype, its scale in double, rounded
    to the dtype arithmetic runs in). Rows looked up several times are written several times, with
    the same value."""
    flat = indices.reshape(-1).long()  # index_copy_ takes int64 indices only (int32 ones are valid too)
    with torch.no_grad():
        rows = weight.index_select(0, flat)
        norms = torch.linalg.vector_norm(rows, norm_type, dim=1, keepdim=True)
        scale = (max_norm / (norms.double() + 1e-7)).to(opmath_dtype(weight.dtype))
        rescaled = torch.where(norms > max_norm, opmath(rows) * scale, opmath(rows)).to(weight.dtype)
        weight.index_copy_(0, flat, rescaled)
    return weight


def embedding_tangent(weight_tangent: Tensor, indices: Tensor, padding_idx: int, scale_grad_by_freq: bool):
    """d(W[idx]) = dW[idx], with the Jacobian backward defines: no tangent from the padding row,
    each one divided by its index's count with ``scale_grad_by_freq`` (so forward and reverse
    mode agree; torch's forward mode ignores both)."""
    tangent = embedding_forward(weight_tangent, indices)
    if scale_grad_by_freq:
        flat = indices.reshape(-1)
        counts = index_counts(flat, weight_tangent.shape[0], tangent).index_select(0, flat)
        tangent = tangent / counts.reshape(*indices.shape, 1)
    if padding_idx >= 0:
        tangent = torch.where((indices != padding_idx).unsqueeze(-1), tangent, 0)
    return tangent


class EmbeddingFunction(Function):
    """y = W[idx] (Lua Torch's LookupTable). ``padding_idx`` is a row in [0, num_embeddings), or -1
    for none; ``indices`` (long or int) are not differentiable."""

    generate_vmap_rule = True

    @staticmethod
    def forward(indices, weight, padding_idx, scale_grad_by_freq):
        return embedding_forward(weight, indices)

    @staticmethod
    def setup_context(ctx, inputs, output):
        indices, weight, padding_idx, scale_grad_by_freq = inputs
        ctx.num_weights = weight.shape[0]
        ctx.padding_idx = padding_idx
        ctx.scale_grad_by_freq = scale_grad_by_freq
        ctx.save_for_backward(indices)
        ctx.save_for_forward(indices)

    @staticmethod
    def backward(ctx, grad_output):
        (indices,) = ctx.saved_tensors
        grad_weight = None
        if ctx.needs_input_grad[1]:
            grad_weight = embedding_grad(
                grad_output, indices, ctx.num_weights, ctx.padding_idx, ctx.scale_grad_by_freq
            )
        return None, grad_weight, None, None

    @staticmethod
    def jvp(ctx, _indices_tangent, weight_tangent, _padding_idx, _scale_grad_by_freq):
        (indices,) = ctx.saved_tensors
        return embedding_tangent(weight_tangent, indices, ctx.padding_idx, ctx.scale_grad_by_freq)
