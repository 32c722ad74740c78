"""Affine layers and the matrix products they are made of: the linear score ``Wx + b``, maxout
``max_p(W_p x + b_p)``, and Lua Torch's ``MM`` (``A B``) and ``MV`` (``A v``).

Each caches its two factors (what ``x Wᵀ`` needs for its two gradients, the same tensors
``torch.nn.Linear`` keeps); linear and maxout compute their forward with the fused ``addmm`` of
``torch.nn.functional.linear``. Gradients are matrix products over the flattened batch, so
no Jacobian is ever formed. ``A B`` is the linear score of the rows of ``A`` with ``W = Bᵀ``, and
``A v`` that of the vector ``v`` with ``W = A``: their gradients are the linear ones.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.autograd import Function
from torch.nn.functional import linear as _fused_linear

from torchlayers.autograd._function import sum_tangents


def _rows(tensor: Tensor) -> Tensor:
    """A ``(*, features)`` tensor as the ``(N, features)`` matrix of its rows (no copy for 2-d;
    a vector is one row). Not ``reshape(-1, features)``, which is ambiguous for 0 features."""
    if tensor.dim() == 2:
        return tensor
    return tensor.reshape(math.prod(tensor.shape[:-1]), tensor.shape[-1])


def linear_grad_input(grad_output: Tensor, weight: Tensor) -> Tensor:
    """∂L/∂x of y = x Wᵀ + b: g W (for inputs of shape ``(*, in)``)."""
    # (N, out): mm directly, no reshape (each costs a dispatch)
    return grad_output.mm(weight) if grad_output.dim() == 2 else grad_output.matmul(weight)  # dy/dx = W


def linear_grad_weight(grad_output: Tensor, input: Tensor) -> Tensor:
    """∂L/∂W of y = x Wᵀ + b: gᵀ x, summed over the flattened batch."""
    return _rows(grad_output).t().mm(_rows(input))  # dy/dW = x (outer)


def linear_grad_bias(grad_output: Tensor) -> Tensor:
    """∂L/∂b of y = x Wᵀ + b: Σ g over the flattened batch."""
    return _rows(grad_output).sum(0)  # dy/db = 1, summed over the batch


def linear_tangent(input, weight, input_tangent, weight_tangent, bias_tangent):
    """d(x Wᵀ + b) = dx Wᵀ + x dWᵀ + db (``None`` tangents are zero)."""
    return sum_tangents(
        None if input_tangent is None else input_tangent.matmul(weight.t()),
        None if weight_tangent is None else input.matmul(weight_tangent.t()),
        bias_tangent,
    )


def _linear_backward(ctx, grad_output, input, weight, needs_bias):
    """The gradients of ``y = x Wᵀ + b`` that ``ctx`` asks for (its first three inputs)."""
    needs_input, needs_weight = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
    return (
        linear_grad_input(grad_output, weight) if needs_input else None,
        linear_grad_weight(grad_output, input) if needs_weight else None,
        linear_grad_bias(grad_output) if needs_bias else None,
    )


class LinearFunction(Function):
    """y = x Wᵀ + b, the lecture's linear score function."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, weight, bias):
        return _fused_linear(input, weight, bias)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight, _bias = inputs
        needs_input, needs_weight = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.save_for_backward(input if needs_weight else None, weight if needs_input else None)
        ctx.save_for_forward(input, weight)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight = ctx.saved_tensors
        needs_bias = ctx.needs_input_grad[2]
        return _linear_backward(ctx, grad_output, input, weight, needs_bias)

    @staticmethod
    def jvp(ctx, input_tangent, weight_tangent, bias_tangent):
        input, weight = ctx.saved_tensors
        return linear_tangent(input, weight, input_tangent, weight_tangent, bias_tangent)


class MaxoutFunction(Function):
    """max over p of (x W_pᵀ + b_p): ``pieces`` linear maps, piece-major rows of ``weight``.

    Returns the maximum and, marked non-differentiable, the index of the winning piece
    (the first on ties, as ``torch.max``), which backward uses to route the gradient.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, weight, bias, pieces):
        scores = _fused_linear(input, weight, bias)
        scores = scores.reshape(*scores.shape[:-1], pieces, -1)
        output, winner = scores.max(dim=-2)
        return output, winner

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight, _bias, pieces = inputs
        ctx.pieces = pieces
        winner = output[1]
        ctx.mark_non_differentiable(winner)
        ctx.set_materialize_grads(False)  # not a tensor of zeros the size of winner per backward
        ctx.save_for_backward(input, weight, winner)
        ctx.save_for_forward(input, weight, winner)

    @staticmethod
    def backward(ctx, grad_output, _grad_winner):
        if grad_output is None:  # the maximum was not used
            return None, None, None, None
        input, weight, winner = ctx.saved_tensors
        # d max_p(s_p)/ds_q = 1[q is the winning piece]: scatter the gradient into its slot
        # Written in place into zeros made from grad_output (as torch's max backward): under
        # vmap those zeros are batched like it, so the in-place scatter stays legal.
        grad_scores = grad_output.new_zeros((*grad_output.shape[:-1], ctx.pieces, grad_output.shape[-1]))
        grad_scores.scatter_(-2, winner.unsqueeze(-2), grad_output.unsqueeze(-2))
        grad_scores = grad_scores.reshape(*grad_output.shape[:-1], -1)
        grads = _linear_backward(ctx, grad_scores, input, weight, ctx.needs_input_grad[2])
        return (*grads, None)

    @staticmethod
    def jvp(ctx, input_tangent, weight_tangent, bias_tangent, _pieces):
        input, weight, winner = ctx.saved_tensors
        tangent = linear_tangent(input, weight, input_tangent, weight_tangent, bias_tangent)
        tangent = tangent.reshape(*tangent.shape[:-1], ctx.pieces, -1)
        if tangent.dim() != winner.dim() + 1:  # only the bias moved: broadcast it over the batch
            tangent = tangent.expand(*winner.shape[:-1], *tangent.shape[-2:])
        return tangent.gather(-2, winner.unsqueeze(-2)).squeeze(-2), None


class MMFunction(Function):
    """A B for matrices A (n, k) and B (k, m). Caches A for ∂B and B for ∂A."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, mat2):
        return torch.mm(input, mat2)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, mat2 = inputs
        needs_input, needs_mat2 = ctx.needs_input_grad
        ctx.save_for_backward(input if needs_mat2 else None, mat2 if needs_input else None)
        ctx.save_for_forward(input, mat2)

    @staticmethod
    def backward(ctx, grad_output):
        input, mat2 = ctx.saved_tensors
        grad_input = grad_mat2 = None
        # A B is the linear score x Wᵀ of the rows x of A, with W = Bᵀ
        if ctx.needs_input_grad[0]:
            grad_input = linear_grad_input(grad_output, mat2.t())  # ∂(AB)/∂A: G Bᵀ
        if ctx.needs_input_grad[1]:
            grad_mat2 = linear_grad_weight(grad_output, input).t()  # ∂(AB)/∂B: Aᵀ G = (Gᵀ A)ᵀ
        return grad_input, grad_mat2

    @staticmethod
    def jvp(ctx, input_tangent, mat2_tangent):
        input, mat2 = ctx.saved_tensors
        # d(AB) = dA B + A dB
        return linear_tangent(input, mat2.t(), input_tangent, _transposed(mat2_tangent), None)


class MVFunction(Function):
    """A v for a matrix A (n, m) and a vector v (m,). Caches v for ∂A and A for ∂v."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, vec):
        return torch.mv(input, vec)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, vec = inputs
        needs_input, needs_vec = ctx.needs_input_grad
        ctx.save_for_backward(input if needs_vec else None, vec if needs_input else None)
        ctx.save_for_forward(input, vec)

    @staticmethod
    def backward(ctx, grad_output):
        input, vec = ctx.saved_tensors
        grad_input = grad_vec = None
        # A v is the linear score v Aᵀ of the vector v, with W = A
        if ctx.needs_input_grad[0]:
            grad_input = linear_grad_weight(grad_output, vec)  # ∂(Av)/∂A: g vᵀ (outer)
        if ctx.needs_input_grad[1]:
            grad_vec = linear_grad_input(grad_output, input)  # ∂(Av)/∂v: Aᵀ g
        return grad_input, grad_vec

    @staticmethod
    def jvp(ctx, input_tangent, vec_tangent):
        input, vec = ctx.saved_tensors
        # d(Av) = dA v + A dv
        return linear_tangent(vec, input, vec_tangent, input_tangent, None)


def _transposed(tangent: Tensor | None) -> Tensor | None:
    return None if tangent is None else tangent.t()
