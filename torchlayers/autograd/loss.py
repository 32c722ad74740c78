"""Losses and the softmax: the cost functions of the lecture's classic models.

Each Function is one formula, composed the way ``torch.nn.functional`` composes them:

* ``LogSoftmaxFunction`` / ``SoftmaxFunction``: log pᵢ = zᵢ - log Σⱼ e^{zⱼ} (log-sum-exp, never
  ``log(softmax)``) and pᵢ = e^{zᵢ} / Σⱼ e^{zⱼ}.
* ``NLLLossFunction``: ℓ = -w_y log p_y for class-index targets (``weight``, ``ignore_index``):
  pick log p_y forward, scatter -w_y into the target slots backward, never touching the other
  C - 1 classes.
* ``CrossEntropyFunction``: ℓ = -w_y log softmax(z)_y, ``nll_loss(log_softmax(z), y)`` as one
  node; its backward is w_y (softmax(z) - onehot(y)) / Z, the lecture's softmax-classifier
  gradient.
* ``SoftTargetNLLLossFunction``: ℓ = -Σ_c w_c q_c log p_c for a probability target q (label
  smoothing folded in as q ← (1 - ε) q + ε/C); cross entropy with class probabilities. (Label
  smoothing of class indices is part of ``CrossEntropyFunction``.)

Every backward is written from the derivative, in differentiable torch ops evaluated from saved
*inputs* (or the Function's own output), so double backward works; the reduction is undone by
:func:`_per_position_grad` (d mean / dℓᵢ = 1/Z). Half-precision inputs are computed in float32
and rounded once, as ATen's loss kernels accumulate.

Where ATen has the formula as one kernel (the softmaxes' backwards; NLL forward and backward),
the Function runs that kernel, written beside its formula, and the backward pass goes through a
backward Function of its own
(``SoftmaxBackwardFunction``, ``LogSoftmaxBackwardFunction``, ``NLLLossBackwardFunction``)
whose derivatives are written out, as in ``_fused.py``: the same kernels as ``torch.nn`` (equal
to the last bit, tested), and double backward still differentiates our formulas. The plain-ops
forms stay for derivatives and tangents (``_nll`` is NLL's).
"""

from __future__ import annotations

import torch
from torch.autograd import Function

from torchlayers.autograd._function import (
    REDUCTION_ENUM,
    bind_positionally,
    dispatcher,
    opmath,
    opmath_dtype,
    per_position_grad,
    reduce,
    sum_tangents,
)

_forward_ad = torch.autograd.forward_ad


def _fused_call(cls: type[Function]):
    """Interim: the bare kernel of a backward Function where no graph is needed, else its apply."""
    kernel = bind_positionally(cls).forward
    apply = dispatcher(cls)
    transforms_active = torch._C._are_functorch_transforms_active

    def call(*args):
        if (
            not (torch.is_grad_enabled() or _forward_ad._current_level >= 0 or transforms_active())
            or torch.compiler.is_compiling()
        ):
            return kernel(*args)
        return apply(*args)

    return call

_aten = torch.ops.aten

__all__ = [
    "CrossEntropyFunction",
    "LogSoftmaxBackwardFunction",
    "LogSoftmaxFunction",
    "NLLLossBackwardFunction",
    "NLLLossFunction",
    "SoftTargetNLLLossFunction",
    "SoftmaxBackwardFunction",
    "SoftmaxFunction",
]

# --- softmax ---------------------------------------------------------------------------------


class LogSoftmaxBackwardFunction(Function):
    """(g, y) ↦ g - e^y Σⱼ gⱼ: log-softmax's backward from its cached output y = log p
    (ATen's ``_log_softmax_backward_data``, one pass, float32 accumulation for half inputs)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(grad, output, dim):
        return _aten._log_softmax_backward_data.default(grad, output, dim, output.dtype)

    @staticmethod
    def setup_context(ctx, inputs, result):
        grad, output, dim = inputs
        ctx.dim = dim
        ctx.save_for_backward(grad if ctx.needs_input_grad[1] else None, output)
        ctx.save_for_forward(grad, output)

    @staticmethod
    def backward(ctx, grad_result):
        grad, output = ctx.saved_tensors
        r, p = opmath(grad_result), torch.exp(opmath(output))
        grad_grad = grad_output = None
        if ctx.needs_input_grad[0]:
            # d/dg [g - p Σg] applied to R: R - Σⱼ Rⱼ pⱼ (log-softmax's own Jacobian-vector product)
            grad_grad = (r - (r * p).sum(ctx.dim, keepdim=True)).to(grad_result.dtype)
        if ctx.needs_input_grad[1]:
            # d/dy [-e^y Σg] = -e^y Σg, elementwise in y
            grad_output = (-r * p * opmath(grad).sum(ctx.dim, keepdim=True)).to(output.dtype)
        return grad_grad, grad_output, None

    @staticmethod
    def jvp(ctx, grad_tangent, output_tangent, _dim):
        grad, output = ctx.saved_tensors
        p = torch.exp(opmath(output))
        # d[g - p Σg] = dg - p Σdg - p dy Σg
        return sum_tangents(
            None if grad_tangent is None else log_softmax_backward(grad_tangent, output, ctx.dim),
            None
            if output_tangent is None
            else (-p * opmath(output_tangent) * opmath(grad).sum(ctx.dim, keepdim=True)).to(output.dtype),
        )


log_softmax_backward = _fused_call(LogSoftmaxBackwardFunction)


class SoftmaxBackwardFunction(Function):
    """(g, p) ↦ p ⊙ (g - Σⱼ gⱼ pⱼ): softmax's backward from its cached output p (ATen's
    ``_softmax_backward_data``, one pass, float32 accumulation for half inputs)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(grad, output, dim):
        return _aten._softmax_backward_data.default(grad, output, dim, output.dtype)

    @staticmethod
    def setup_context(ctx, inputs, result):
        grad, output, dim = inputs
        ctx.dim = dim
        ctx.save_for_backward(grad if ctx.needs_input_grad[1] else None, output)
        ctx.save_for_forward(grad, output)

    @staticmethod
    def backward(ctx, grad_result):
        grad, output = ctx.saved_tensors
        grad_grad = grad_output = None
        if ctx.needs_input_grad[0]:
            # d/dg [p ⊙ (g - Σ g p)] applied to R = p ⊙ (R - Σ R p): the same map (symmetric Jacobian)
            grad_grad = softmax_backward(grad_result, output, ctx.dim)
        if ctx.needs_input_grad[1]:
            # d/dp [p ⊙ (g - Σ g p)] applied to R = R ⊙ (g - Σ g p) - g Σ R p
            r, g, p = opmath(grad_result), opmath(grad), opmath(output)
            gp, rp = (g * p).sum(ctx.dim, keepdim=True), (r * p).sum(ctx.dim, keepdim=True)
            grad_output = (r * (g - gp) - g * rp).to(output.dtype)
        return grad_grad, grad_output, None

    @staticmethod
    def jvp(ctx, grad_tangent, output_tangent, _dim):
        grad, output = ctx.saved_tensors
        # d[p ⊙ (g - Σ g p)] = p ⊙ (dg - Σ dg p) + dp ⊙ (g - Σ g p) - p Σ g dp
        output_term = None
        if output_tangent is not None:
            g, p, dp = opmath(grad), opmath(output), opmath(output_tangent)
            gp, gdp = (g * p).sum(ctx.dim, keepdim=True), (g * dp).sum(ctx.dim, keepdim=True)
            output_term = (dp * (g - gp) - p * gdp).to(output.dtype)
        return sum_tangents(
            None if grad_tangent is None else softmax_backward(grad_tangent, output, ctx.dim),
            output_term,
        )


softmax_backward = _fused_call(SoftmaxBackwardFunction)


class LogSoftmaxFunction(Function):
    """log softmax(z)ᵢ = zᵢ - log Σⱼ e^{zⱼ} along ``dim``. Caches its output (p = e^{output})."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, dim):
        return torch.log_softmax(input, dim)  # z - max(z) - log Σ e^{z - max(z)}: never overflows

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dim = inputs[1]
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = log_softmax_backward(grad_output, output, ctx.dim)  # g - softmax(z) Σ g
        return grad_input, None

    @staticmethod
    def jvp(ctx, input_tangent, _dim):
        (output,) = ctx.saved_tensors
        # d log softmax(z)ᵢ = dzᵢ - Σⱼ softmax(z)ⱼ dzⱼ (the Jacobian is not symmetric)
        t = opmath(input_tangent)
        return (t - (torch.exp(opmath(output)) * t).sum(ctx.dim, keepdim=True)).to(input_tangent.dtype)


class SoftmaxFunction(Function):
    """softmax(z)ᵢ = e^{zᵢ} / Σⱼ e^{zⱼ} along ``dim``. Caches its output."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, dim):
        return torch.softmax(input, dim)  # e^{z - max(z)} / Σ e^{z - max(z)}

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dim = inputs[1]
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = softmax_backward(grad_output, output, ctx.dim)  # p ⊙ (g - Σ g p)
        return grad_input, None

    @staticmethod
    def jvp(ctx, input_tangent, _dim):
        (output,) = ctx.saved_tensors
        return softmax_backward(input_tangent, output, ctx.dim)  # the Jacobian is symmetric


# --- negative log-likelihood -----------------------------------------------------------------


def class_dim_of(input: torch.Tensor) -> int:
    """The class dimension: 0 for an unbatched ``(C,)`` input, else 1 (``(N, C, d1, ...)``)."""
    return 0 if input.dim() == 1 else 1


def target_weights(target: torch.Tensor, weight, ignore_index: int, dtype: torch.dtype):
    """(target with ignored entries replaced by class 0, w_{y} per position, 0 where ignored)."""
    ignored = target == ignore_index
    safe_target = target.masked_fill(ignored, 0)  # any valid class: its weight is zeroed below
    if weight is None:
        return safe_target, (~ignored).to(dtype)
    return safe_target, weight.to(dtype)[safe_target].masked_fill(ignored, 0)


def _class_index(safe_target: torch.Tensor, class_dim: int) -> torch.Tensor:
    """The target as a gather/scatter index along the class dimension."""
    return safe_target.reshape(1) if class_dim == 0 else safe_target.unsqueeze(1)


def _nll(input, target, weight, reduction: str, ignore_index: int, total_weight=None) -> torch.Tensor:
    """-w_y x_y at each position, reduced; 'mean' divides by Σ w_y (``total_weight`` if given)."""
    class_dim = class_dim_of(input)
    safe_target, w = target_weights(target, weight, ignore_index, opmath_dtype(input.dtype))
    picked = input.gather(class_dim, _class_index(safe_target, class_dim)).reshape(target.shape)
    normaliser = w.sum() if total_weight is None else total_weight
    return reduce(-w * opmath(picked), reduction, normaliser).to(input.dtype)


def _nll_kernel_views(log_probs: torch.Tensor, target: torch.Tensor):
    """ATen's NLL kernels take (C,)/(N, C) with a (N,) target, or (N, C, H, W) with (N, H, W)
    (``nll_loss2d``): other K-dimensional inputs are viewed as (N, C, 1, d1·d2·...), as
    ``torch.nn.functional.nll_loss`` does. Returns (log p, target, is 2d)."""
    if log_probs.dim() <= 2 or log_probs.dim() == 4:
        return log_probs, target, log_probs.dim() == 4
    n, c = log_probs.shape[:2]
    return log_probs.contiguous().view(n, c, 1, -1), target.contiguous().view(n, 1, -1), True


def _nll_kernel_forward(log_probs, target, weight, reduction: str, ignore_index: int):
    """(-w_y log p_y reduced, Σ w_y) by ATen's nll_loss / nll_loss2d forward kernel."""
    viewed_log_probs, viewed_target, is_2d = _nll_kernel_views(log_probs, target)
    kernel = _aten.nll_loss2d_forward.default if is_2d else _aten.nll_loss_forward.default
    loss, total_weight = kernel(
        viewed_log_probs, viewed_target, weight, REDUCTION_ENUM[reduction], ignore_index
    )
    return (loss.view(target.shape) if reduction == "none" else loss), total_weight


class NLLLossBackwardFunction(Function):
    """(g, log p) ↦ dℓ/d log p = -w_y g / Z in each position's target slot, 0 elsewhere (Z = Σ w_y
    for 'mean', else 1; ATen's ``nll_loss_backward``: one zero-fill and one scatter). Linear in
    g; ``log_probs`` gives only the shape and dtype."""

    generate_vmap_rule = True

    @staticmethod
    def forward(grad, log_probs, target, weight, reduction, ignore_index, total_weight):
        viewed_log_probs, viewed_target, is_2d = _nll_kernel_views(log_probs, target)
        if reduction == "none":
            grad = grad.reshape(viewed_target.shape)
        kernel = _aten.nll_loss2d_backward.default if is_2d else _aten.nll_loss_backward.default
        grad_log_probs = kernel(
            grad,
            viewed_log_probs,
            viewed_target,
            weight,
            REDUCTION_ENUM[reduction],
            ignore_index,
            total_weight,
        )
        return grad_log_probs if viewed_log_probs is log_probs else grad_log_probs.view(log_probs.shape)

    @staticmethod
    def setup_context(ctx, inputs, result):
        _grad, log_probs, target, weight, reduction, ignore_index, total_weight = inputs
        ctx.reduction, ctx.ignore_index = reduction, ignore_index
        ctx.save_for_backward(target, weight, total_weight)
        ctx.save_for_forward(log_probs, target, weight, total_weight)

    @staticmethod
    def backward(ctx, grad_result):
        target, weight, total_weight = ctx.saved_tensors
        grad_grad = None
        if ctx.needs_input_grad[0]:
            # d/dg Σ R ⊙ (-w_y g / Z at y) = -Σ w_y R_y / Z: the NLL loss of R, per position for 'none'
            grad_grad = _nll(grad_result, target, weight, ctx.reduction, ctx.ignore_index, total_weight)
        return grad_grad, None, None, None, None, None, None

    @staticmethod
    def jvp(ctx, grad_tangent, *_constants):
        log_probs, target, weight, total_weight = ctx.saved_tensors
        # linear in g: d(result) = the same map applied to dg
        return nll_loss_backward(
            grad_tangent, log_probs, target, weight, ctx.reduction, ctx.ignore_index, total_weight
        )


nll_loss_backward = _fused_call(NLLLossBackwardFunction)


class NLLLossFunction(Function):
    """ℓ = -w_y x_y per position (x log-probabilities, y a class index); mean divides by Σ w_y.

    Forward and backward are ATen's NLL kernels (``_nll`` below is the same formula in plain
    ops: the gather that picks x_y, the weights, the reduction); backward scatters -w_y g / Z
    into the target slots and reads the input for its shape only. Outputs (loss, Σ w_y), the
    second not differentiable. Saves what ``torch.nn.NLLLoss`` saves: input, target, weight.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, weight, reduction, ignore_index):
        # -w_y x_y, reduced; checks 0 <= y < C (IndexError on CPU, device assert on CUDA)
        return _nll_kernel_forward(input, target, weight, reduction, ignore_index)

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
        grad_input = None
        if ctx.needs_input_grad[0] and grad_output is not None:
            input, target, weight, total_weight = ctx.saved_tensors
            # d/dx_{n,c} (-w_{y_n} x_{n,y_n}) = -w_{y_n} 1[c = y_n]: scatter into the target slots
            grad_input = nll_loss_backward(
                grad_output, input, target, weight, ctx.reduction, ctx.ignore_index, total_weight
            )
        return grad_input, None, None, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _target, _weight, _reduction, _ignore_index):
        target, weight, total_weight = ctx.saved_tensors
        # linear in x: the loss of the tangent
        return _nll(input_tangent, target, weight, ctx.reduction, ctx.ignore_index, total_weight), None


# --- cross entropy: log-softmax and NLL as one node ------------------------------------------


def _smoothing_loss(log_probs, target, weight, reduction: str, ignore_index: int, total_weight):
    """Σ_c -w_c log p_c per position (0 where ignored), reduced; 'mean' divides by Σ w_y, as the
    NLL term does (torch's label smoothing of class indices)."""
    class_dim = class_dim_of(log_probs)
    w = _class_weight_view(weight, log_probs, class_dim)
    per_position = -(log_probs if w is None else log_probs * w).sum(class_dim)
    per_position = per_position.masked_fill(target == ignore_index, 0)
    if reduction == "none":
        return per_position
    total = per_position.sum()
    return total if reduction == "sum" else total / total_weight


def _smoothing_grad(grad, log_probs, target, weight, reduction: str, ignore_index: int, total_weight):
    """d/d log p_c of the reduced Σ_c -w_c log p_c, times the incoming gradient: -w_c g / Z at every
    position that counts (0 where ignored; Z = Σ w_y for 'mean', else 1)."""
    class_dim = class_dim_of(log_probs)
    g = grad / total_weight if reduction == "mean" else grad
    g = g.expand(target.shape).masked_fill(target == ignore_index, 0).unsqueeze(class_dim)
    w = _class_weight_view(weight, log_probs, class_dim)
    return (-g if w is None else -g * w).expand(log_probs.shape)


class CrossEntropyFunction(Function):
    """ℓ = -w_y log softmax(z)_y = w_y (log Σⱼ e^{zⱼ} - z_y) per sample, for a class-index target;
    'mean' divides by Σ w_y. One node for ``nll_loss(log_softmax(z))``: ATen's log-softmax and
    NLL kernels forward, and backward the lecture's softmax-classifier gradient

        dℓ/dz = w_y (softmax(z) - onehot(y)) / Z

    as NLL's scatter followed by log-softmax's backward (two passes, as torch.nn's pair).

    With label smoothing ε, torch's mix: (1 - ε) ℓ + ε/C Σ_c -w_c log softmax(z)_c (the target
    spread over every class), whose gradient in log p adds -ε w_c / (C Z) to every class.

    Outputs (loss, log p, Σ w_y). Log p is the tensor backward reads (torch.nn's log_softmax
    caches the same one); returning it makes the cached copy part of the graph, so double
    backward differentiates through it, and a gradient arriving at it is added before the
    log-softmax backward. Σ w_y is not differentiable. Inputs (C,), (N, C) or (N, C, d1, ...).
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, weight, reduction, ignore_index, label_smoothing):
        log_probs = torch.log_softmax(input, class_dim_of(input))  # z - max z - log Σ e^{z - max z}
        # -w_y log p_y, reduced; checks 0 <= y < C (IndexError on CPU, device assert on CUDA)
        loss, total_weight = _nll_kernel_forward(log_probs, target, weight, reduction, ignore_index)
        if label_smoothing > 0:
            smooth = _smoothing_loss(log_probs, target, weight, reduction, ignore_index, total_weight)
            loss = (1 - label_smoothing) * loss + smooth * (
                label_smoothing / log_probs.shape[class_dim_of(input)]
            )
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
            smoothing = ctx.label_smoothing
            arguments = (log_probs, target, weight, ctx.reduction, ctx.ignore_index, total_weight)
            # dℓ/d log p = -w_y / Z at the target class; plus a gradient reaching log p itself
            grad_nll = None
            if grad_loss is not None and smoothing > 0:
                # (1 - ε) of that, and -ε w_c / (C Z) at every class
                n_classes = log_probs.shape[ctx.class_dim]
                grad_nll = nll_loss_backward(grad_loss * (1 - smoothing), *arguments) + _smoothing_grad(
                    grad_loss * (smoothing / n_classes), *arguments
                )
            elif grad_loss is not None:
                grad_nll = nll_loss_backward(grad_loss, *arguments)
            grad_log_probs = sum_tangents(grad_nll, grad_log_probs)
            if grad_log_probs is not None:
                # d log softmax(z) / dz: g - softmax(z) Σ g  ⇒  w_y (softmax(z) - onehot(y)) / Z
                grad_input = log_softmax_backward(grad_log_probs, log_probs, ctx.class_dim)
        return grad_input, None, None, None, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _target, _weight, _reduction, _ignore_index, _label_smoothing):
        log_probs, target, weight, total_weight = ctx.saved_tensors
        # d log p = dz - Σⱼ pⱼ dzⱼ;   dℓ = -w_y d log p_y / Z  (both terms are linear in log p)
        t = opmath(input_tangent)
        p = torch.exp(opmath(log_probs))
        log_probs_tangent = (t - (p * t).sum(ctx.class_dim, keepdim=True)).to(input_tangent.dtype)
        arguments = (target, weight, ctx.reduction, ctx.ignore_index, total_weight)
        loss_tangent = _nll(log_probs_tangent, *arguments)
        smoothing = ctx.label_smoothing
        if smoothing > 0:
            n_classes = log_probs.shape[ctx.class_dim]
            smooth = _smoothing_loss(log_probs_tangent, *arguments)
            loss_tangent = (1 - smoothing) * loss_tangent + smooth * (smoothing / n_classes)
        return loss_tangent, log_probs_tangent, None


def _class_weight_view(weight, log_probs: torch.Tensor, class_dim: int):
    """The class weights shaped to broadcast along the class dimension of ``log_probs``."""
    if weight is None:
        return None
    return weight.reshape((-1,) + (1,) * (log_probs.dim() - class_dim - 1))


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


def _smoothed(target: torch.Tensor, label_smoothing: float, n_classes: int) -> torch.Tensor:
    """q = (1 - ε) target + ε/C: the target mixed with the uniform distribution."""
    if label_smoothing <= 0:
        return target
    return target * (1 - label_smoothing) + label_smoothing / n_classes


def _soft_normaliser(log_probs: torch.Tensor, class_dim: int):
    """What 'mean' divides by: the number of positions (numel / C)."""
    n_classes = log_probs.shape[class_dim]
    return log_probs.numel() // n_classes if n_classes else 0
