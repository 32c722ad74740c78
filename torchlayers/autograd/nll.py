"""Negative log-likelihood and cross entropy: the softmax classifier's cost.

* ``NLLLossFunction``: ℓ = -w_y x_y per position, for log-probabilities x and a class index y
  (w the class weights, 0 where y is ``ignore_index``); 'mean' divides by Z = Σ w_y. Forward
  gathers x_y (:func:`nll_forward`); backward scatters -w_y g / Z into the target slots
  (:func:`nll_grad`), never touching the other C - 1 classes.
* ``CrossEntropyFunction``: ℓ = -w_y log softmax(z)_y, ``nll_loss(log_softmax(z), y)`` as one
  node (label smoothing included). Its backward is the lecture's softmax-classifier gradient
  w_y (softmax(z) - onehot(y)) / Z (:func:`cross_entropy_grad`): softmax(z) from the cached
  log p, scaled, with the target slots scatter-subtracted.
* ``SoftTargetNLLLossFunction``: ℓ = -Σ_c w_c q_c log p_c for a probability target q; cross
  entropy with class probabilities (torch composes it from plain ops too: no kernel).

Every formula is in plain differentiable ops, so double and higher backward differentiate them;
ATen's NLL and log-softmax kernels stand in for them through the kernel table (``kernels.py``).
Half-precision tensors are computed in float32 and rounded once (``opmath``), as ATen's kernels
accumulate.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd import Function

from torchlayers.autograd._function import (
    opmath,
    opmath_dtype,
    per_position_grad,
    reduce,
    sum_tangents,
)
from torchlayers.autograd.kernels import stand_in
from torchlayers.autograd.softmax import log_softmax_forward, log_softmax_grad, log_softmax_tangent


def class_dim_of(input: Tensor) -> int:
    """The class dimension: 0 for an unbatched ``(C,)`` input, else 1 (``(N, C, d1, ...)``)."""
    return 0 if input.dim() == 1 else 1


def target_weights(target: Tensor, weight: Tensor | None, ignore_index: int, dtype: torch.dtype):
    """(target with ignored entries replaced by class 0, w_y per position, 0 where ignored)."""
    ignored = target == ignore_index
    safe_target = target.masked_fill(ignored, 0)  # any valid class: its weight is zeroed below
    if weight is None:
        return safe_target, (~ignored).to(dtype)
    return safe_target, weight.to(dtype)[safe_target].masked_fill(ignored, 0)


def _class_slice(per_position: Tensor, class_dim: int) -> Tensor:
    """A per-position tensor shaped as one slice along the class dimension (for gather/scatter)."""
    return per_position.reshape(1) if class_dim == 0 else per_position.unsqueeze(1)


def _class_weight_view(weight: Tensor | None, log_probs: Tensor, class_dim: int):
    """The class weights shaped to broadcast along the class dimension of ``log_probs``."""
    if weight is None:
        return None
    return weight.reshape((-1,) + (1,) * (log_probs.dim() - class_dim - 1))


def _nll(input: Tensor, safe_target: Tensor, w: Tensor, reduction: str, normaliser) -> Tensor:
    """-w_y x_y at each position, reduced ('mean' divides by ``normaliser``, Σ w_y)."""
    class_dim = class_dim_of(input)
    picked = input.gather(class_dim, _class_slice(safe_target, class_dim)).reshape(safe_target.shape)
    return reduce(-w * opmath(picked), reduction, normaliser).to(input.dtype)


@stand_in
def nll_forward(input: Tensor, target: Tensor, weight, reduction: str, ignore_index: int):
    """(ℓ = -w_y x_y reduced, Z = Σ w_y)."""
    safe_target, w = target_weights(target, weight, ignore_index, opmath_dtype(input.dtype))
    total_weight = w.sum()
    return _nll(input, safe_target, w, reduction, total_weight), total_weight.to(input.dtype)


@stand_in
def nll_grad(
    grad: Tensor, input: Tensor, target: Tensor, weight, reduction: str, ignore_index: int, total_weight
) -> Tensor:
    """g · dℓ/dx: -w_y g / Z in each position's target slot, 0 in the other classes (Z = Σ w_y
    for 'mean', else 1). ``input`` gives only the shape and dtype."""
    class_dim = class_dim_of(input)
    safe_target, w = target_weights(target, weight, ignore_index, opmath_dtype(input.dtype))
    g = per_position_grad(opmath(grad), reduction, total_weight, target.shape)
    slots = (-w * g).to(input.dtype)  # d/dx_{n,c} (-w_{y_n} x_{n,y_n}) = -w_{y_n} 1[c = y_n]
    index = _class_slice(safe_target, class_dim)
    return slots.new_zeros(input.shape).scatter_(class_dim, index, _class_slice(slots, class_dim))


class NLLLossFunction(Function):
    """ℓ = -w_y x_y per position (x log-probabilities, y a class index); mean divides by Σ w_y.

    Outputs (loss, Σ w_y), the second not differentiable. Saves what ``torch.nn.NLLLoss``
    saves: input (for its shape), target, weight.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, weight, reduction, ignore_index):
        return nll_forward(input, target, weight, reduction, ignore_index)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, weight, reduction, ignore_index = inputs
        ctx.mark_non_differentiable(output[1])
        ctx.set_materialize_grads(False)  # no zeros for Σ w_y's gradient in every backward
        ctx.reduction, ctx.ignore_index = reduction, ignore_index
        ctx.save_for_backward(input, target, weight, output[1])
        ctx.save_for_forward(target, weight, output[1])

    @staticmethod
    def backward(ctx, grad_output, _grad_total_weight):
        input, target, weight, total_weight = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0] and grad_output is not None:
            arguments = (target, weight, ctx.reduction, ctx.ignore_index, total_weight)
            grad_input = nll_grad(grad_output, input, *arguments)
        return grad_input, None, None, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _target, _weight, _reduction, _ignore_index):
        target, weight, total_weight = ctx.saved_tensors
        # linear in x: the loss of the tangent
        safe_target, w = target_weights(target, weight, ctx.ignore_index, opmath_dtype(input_tangent.dtype))
        return _nll(input_tangent, safe_target, w, ctx.reduction, total_weight), None


# --- cross entropy: log-softmax and NLL as one node ------------------------------------------


def smoothing_loss(log_probs, target, weight, reduction: str, ignore_index: int, total_weight) -> Tensor:
    """Σ_c -w_c log p_c per position (0 where ignored), reduced; 'mean' divides by Σ w_y, as the
    NLL term does (torch's label smoothing of class indices)."""
    class_dim = class_dim_of(log_probs)
    w = _class_weight_view(weight, log_probs, class_dim)
    per_position = -(log_probs if w is None else log_probs * w).sum(class_dim)
    per_position = per_position.masked_fill(target == ignore_index, 0)
    return reduce(per_position, reduction, total_weight)


@stand_in
def cross_entropy_grad(
    grad, log_probs, target, weight, reduction: str, ignore_index: int, total_weight, label_smoothing: float
) -> Tensor:
    """g · dℓ/dz from the cached log p = log softmax(z): the softmax classifier's gradient
    c (softmax(z) - onehot(y)), c = w_y g / Z per position (0 where ignored; Z = Σ w_y for 'mean',
    else 1). With label smoothing ε, (1 - ε) of that plus the smoothing term's gradient
    s (softmax(z) Σ_c w_c - w), s = ε g / (C Z) (0 where ignored)."""
    class_dim = class_dim_of(log_probs)
    safe_target, w_y = target_weights(target, weight, ignore_index, opmath_dtype(log_probs.dtype))
    g = per_position_grad(opmath(grad), reduction, total_weight, target.shape)
    p = torch.exp(opmath(log_probs))  # softmax(z)
    c = w_y * g
    if label_smoothing == 0:
        grad_input = p * _class_slice(c, class_dim)
    else:
        # d/dz Σ_c -w_c log softmax(z)_c = softmax(z) Σ_c w_c - w
        n_classes = log_probs.shape[class_dim]
        c = (1 - label_smoothing) * c
        s = (label_smoothing / n_classes) * g.masked_fill(target == ignore_index, 0)
        if weight is None:
            grad_input = p * _class_slice(c + s * n_classes, class_dim) - _class_slice(s, class_dim)
        else:
            w = opmath(weight)
            spread = _class_slice(s, class_dim) * _class_weight_view(w, log_probs, class_dim)
            grad_input = p * _class_slice(c + s * w.sum(), class_dim) - spread
    # dℓ/dz = c (softmax(z) - onehot(y)): -c in each position's target slot
    index = _class_slice(safe_target, class_dim)
    return grad_input.scatter_add_(class_dim, index, -_class_slice(c, class_dim)).to(log_probs.dtype)


class CrossEntropyFunction(Function):
    """ℓ = -w_y log softmax(z)_y = w_y (log Σⱼ e^{zⱼ} - z_y) per sample, for a class-index target;
    'mean' divides by Σ w_y. One node for ``nll_loss(log_softmax(z))``; backward is the lecture's

        dℓ/dz = w_y (softmax(z) - onehot(y)) / Z        (:func:`cross_entropy_grad`)

    in one pass over the classes (ATen's NLL and log-softmax backward kernels stand in, as
    torch.nn's pair computes it).

    With label smoothing ε, torch's mix: (1 - ε) ℓ + ε/C Σ_c -w_c log softmax(z)_c (the target
    spread over every class).

    Outputs (loss, log p, Σ w_y). Log p is the tensor backward reads (torch.nn's log_softmax
    caches the same one); returning it makes the cached copy part of the graph, so double
    backward differentiates through it, and a gradient arriving at it goes through log-softmax's
    backward. Σ w_y is not differentiable. Inputs (C,), (N, C) or (N, C, d1, ...).
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, weight, reduction, ignore_index, label_smoothing):
        log_probs = log_softmax_forward(input, class_dim_of(input))
        loss, total_weight = nll_forward(log_probs, target, weight, reduction, ignore_index)
        if label_smoothing > 0:
            smooth = smoothing_loss(log_probs, target, weight, reduction, ignore_index, total_weight)
            n_classes = log_probs.shape[class_dim_of(input)]
            loss = (1 - label_smoothing) * loss + smooth * (label_smoothing / n_classes)  # torch's order
        return loss, log_probs, total_weight

    @staticmethod
    def setup_context(ctx, inputs, output):
        _input, target, weight, reduction, ignore_index, label_smoothing = inputs
        _loss, log_probs, total_weight = output
        ctx.mark_non_differentiable(total_weight)
        ctx.set_materialize_grads(False)  # a gradient for log p arrives only in double backward
        ctx.reduction, ctx.ignore_index, ctx.label_smoothing = reduction, ignore_index, label_smoothing
        ctx.class_dim = class_dim_of(log_probs)
        ctx.save_for_backward(log_probs, target, weight, total_weight)
        ctx.save_for_forward(log_probs, target, weight, total_weight)

    @staticmethod
    def backward(ctx, grad_loss, grad_log_probs, _grad_total_weight):
        grad_input = None
        if ctx.needs_input_grad[0]:
            log_probs, target, weight, total_weight = ctx.saved_tensors
            arguments = (log_probs, target, weight, ctx.reduction, ctx.ignore_index, total_weight)
            grad_input = sum_tangents(
                None if grad_loss is None else cross_entropy_grad(grad_loss, *arguments, ctx.label_smoothing),
                # a gradient reaching log p itself (double backward), through log-softmax's backward
                None
                if grad_log_probs is None
                else log_softmax_grad(grad_log_probs, log_probs, ctx.class_dim),
            )
        return grad_input, None, None, None, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _target, _weight, _reduction, _ignore_index, _label_smoothing):
        log_probs, target, weight, total_weight = ctx.saved_tensors
        # d log p = dz - Σⱼ pⱼ dzⱼ;   dℓ = -w_y d log p_y / Z  (both terms are linear in log p)
        log_probs_tangent = log_softmax_tangent(input_tangent, log_probs, ctx.class_dim)
        safe_target, w = target_weights(target, weight, ctx.ignore_index, opmath_dtype(log_probs.dtype))
        loss_tangent = _nll(log_probs_tangent, safe_target, w, ctx.reduction, total_weight)
        smoothing = ctx.label_smoothing
        if smoothing > 0:
            n_classes = log_probs.shape[ctx.class_dim]
            arguments = (target, weight, ctx.reduction, ctx.ignore_index, total_weight)
            smooth = smoothing_loss(log_probs_tangent, *arguments)
            loss_tangent = (1 - smoothing) * loss_tangent + smooth * (smoothing / n_classes)
        return loss_tangent, log_probs_tangent, None


# --- cross entropy with class probabilities --------------------------------------------------


def _smoothed(target: Tensor, label_smoothing: float, n_classes: int) -> Tensor:
    """q = (1 - ε) target + ε/C: the target mixed with the uniform distribution."""
    if label_smoothing <= 0:
        return target
    return target * (1 - label_smoothing) + label_smoothing / n_classes


def _soft_normaliser(log_probs: Tensor, class_dim: int):
    """What 'mean' divides by: the number of positions (numel / C)."""
    n_classes = log_probs.shape[class_dim]
    return log_probs.numel() // n_classes if n_classes else 0


class SoftTargetNLLLossFunction(Function):
    """ℓ = -Σ_c w_c q_c log p_c per position, q = (1 - ε) target + ε/C (ε = label_smoothing).

    'mean' divides by the number of positions, as torch does for probability targets.
    Differentiable in the log-probabilities, the target and the weights.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(log_probs, target, weight, label_smoothing, reduction):
        class_dim = class_dim_of(log_probs)
        dtype = opmath_dtype(torch.promote_types(log_probs.dtype, target.dtype))
        q = _smoothed(target.to(dtype), label_smoothing, log_probs.shape[class_dim])
        w = _class_weight_view(weight, log_probs, class_dim)
        weighted = q * log_probs.to(dtype) if w is None else w.to(dtype) * q * log_probs.to(dtype)
        normaliser = _soft_normaliser(log_probs, class_dim)
        out_dtype = torch.promote_types(log_probs.dtype, target.dtype)
        return reduce(-weighted.sum(class_dim), reduction, normaliser).to(out_dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        log_probs, target, weight, label_smoothing, reduction = inputs
        ctx.label_smoothing, ctx.reduction = label_smoothing, reduction
        ctx.class_dim = class_dim_of(log_probs)
        ctx.dtypes = (log_probs.dtype, target.dtype, None if weight is None else weight.dtype)
        ctx.normaliser = _soft_normaliser(log_probs, ctx.class_dim)
        # log p is needed only for the target's and the weights' gradients.
        needs_log_probs = ctx.needs_input_grad[1] or ctx.needs_input_grad[2]
        ctx.save_for_backward(log_probs if needs_log_probs else None, target, weight)
        ctx.save_for_forward(log_probs, target, weight)

    @staticmethod
    def backward(ctx, grad_output):
        log_probs, target, weight = ctx.saved_tensors
        class_dim, smoothing = ctx.class_dim, ctx.label_smoothing
        dtype = opmath_dtype(torch.promote_types(grad_output.dtype, target.dtype))
        positions = target.shape[:class_dim] + target.shape[class_dim + 1 :]
        g = per_position_grad(grad_output.to(dtype), ctx.reduction, ctx.normaliser, positions)
        g = g.unsqueeze(class_dim)
        w = _class_weight_view(weight, target, class_dim)
        gw = g if w is None else g * w.to(dtype)
        grad_log_probs = grad_target = grad_weight = None
        if ctx.needs_input_grad[0]:
            # d/d log p_c = -w_c q_c
            q = _smoothed(target.to(dtype), smoothing, target.shape[class_dim])
            grad_log_probs = (-gw * q).to(ctx.dtypes[0])
        if ctx.needs_input_grad[1]:
            # d/d target_c = -(1 - ε) w_c log p_c
            grad_target = (-(1 - smoothing) * gw * log_probs.to(dtype)).to(ctx.dtypes[1])
        if ctx.needs_input_grad[2]:
            # d/dw_c = -Σ_positions q_c log p_c
            q = _smoothed(target.to(dtype), smoothing, target.shape[class_dim])
            per_class = -g * q * log_probs.to(dtype)
            grad_weight = per_class.sum_to_size(w.shape).reshape(weight.shape).to(ctx.dtypes[2])
        return grad_log_probs, grad_target, grad_weight, None, None

    @staticmethod
    def jvp(ctx, log_probs_tangent, target_tangent, weight_tangent, _smoothing, _reduction):
        log_probs, target, weight = ctx.saved_tensors
        class_dim, smoothing = ctx.class_dim, ctx.label_smoothing
        dtype = opmath_dtype(torch.promote_types(log_probs.dtype, target.dtype))
        n_classes = log_probs.shape[class_dim]
        logp = log_probs.to(dtype)
        q = _smoothed(target.to(dtype), smoothing, n_classes)
        w = _class_weight_view(weight, log_probs, class_dim)
        w = None if w is None else w.to(dtype)

        def weighted(term):
            return term if w is None else w * term

        # d(-w q log p) = -w (q d log p + (1 - ε) dq log p) - dw q log p
        tangent = sum_tangents(
            None if log_probs_tangent is None else weighted(q * log_probs_tangent.to(dtype)),
            None if target_tangent is None else weighted((1 - smoothing) * target_tangent.to(dtype) * logp),
            None
            if weight_tangent is None
            else _class_weight_view(weight_tangent, log_probs, class_dim).to(dtype) * q * logp,
        )
        out_dtype = torch.promote_types(ctx.dtypes[0], ctx.dtypes[1])
        return reduce(-tangent.sum(class_dim), ctx.reduction, ctx.normaliser).to(out_dtype)
