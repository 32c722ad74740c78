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
* ``MSELossFunction``, ``BCELossFunction``, ``MultiMarginLossFunction``: squared error, the
  logistic-regression cost and the multi-class SVM hinge loss.
* ``L2RegularizationFunction``: λ Σ ‖W‖², the lecture's regulariser.

Every backward is written from the derivative, in differentiable torch ops evaluated from saved
*inputs* (or the Function's own output), so double backward works; the reduction is undone by
:func:`_per_position_grad` (d mean / dℓᵢ = 1/Z). Half-precision inputs are computed in float32
and rounded once, as ATen's loss kernels accumulate.

Where ATen has the formula as one kernel (the softmaxes' backwards; NLL, squared error and
binary cross entropy forward and backward), the Function runs that kernel, written beside its
formula, and the backward pass goes through a backward Function of its own
(``SoftmaxBackwardFunction``, ``LogSoftmaxBackwardFunction``, ``NLLLossBackwardFunction``,
``MSELossBackwardFunction``, ``BCELossBackwardFunction``) whose derivatives are written out, as
in ``_fused.py``: the same kernels as ``torch.nn`` (equal to the last bit, tested), and double
backward still differentiates our formulas. The plain-ops forms stay for what the kernels do not
cover (broadcasting, mixed dtypes, per-element weights of MSE) and for derivatives and tangents
(``_nll`` is NLL's).
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
    pair_dtype,
    per_position_grad,
    reduce,
    result_dtype,
    sum_tangents,
    unbroadcast,
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
    "BCELossBackwardFunction",
    "BCELossFunction",
    "CrossEntropyFunction",
    "L2RegularizationFunction",
    "LogSoftmaxBackwardFunction",
    "LogSoftmaxFunction",
    "MSELossBackwardFunction",
    "MSELossFunction",
    "MultiMarginLossBackwardFunction",
    "MultiMarginLossFunction",
    "NLLLossBackwardFunction",
    "NLLLossFunction",
    "SoftTargetNLLLossFunction",
    "SoftmaxBackwardFunction",
    "SoftmaxFunction",
]

# torch.nn.BCELoss clamps each log at -100 so that a prediction of exactly 0 or 1 costs 100,
# not inf; its backward divides by max(x (1 - x), 1e-12) for the same reason.
_BCE_LOG_FLOOR = -100.0
_BCE_EPSILON = 1e-12


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


# --- regression and binary classification ----------------------------------------------------


class MSELossFunction(Function):
    """ℓ = w (x - y)² per position (w = 1 without a weight); mean divides by the count or Σ w.

    ``input`` and ``target`` broadcast against each other; both are differentiable, and so is
    the (optional, torch.nn.functional only) elementwise ``weight``.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, weight, reduction):
        if _mse_kernel_applies(input, target, weight):
            return _aten.mse_loss.default(input, target, REDUCTION_ENUM[reduction])  # (x - y)², reduced
        dtype = opmath_dtype(pair_dtype(input, target))
        squared = (input.to(dtype) - target.to(dtype)).square()
        if weight is not None:
            squared = squared * weight.to(dtype)
        normaliser = squared.numel() if weight is None else weight.to(dtype).sum()
        out_dtype = pair_dtype(input, target)
        return reduce(squared, reduction, normaliser).to(out_dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, weight, reduction = inputs
        ctx.reduction = reduction
        ctx.dtypes = (input.dtype, target.dtype, None if weight is None else weight.dtype)
        ctx.save_for_backward(input, target, weight)
        ctx.save_for_forward(input, target, weight)

    @staticmethod
    def backward(ctx, grad_output):
        input, target, weight = ctx.saved_tensors
        if _mse_kernel_applies(input, target, weight):
            grad_input = grad_target = None
            if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
                # d/dx (x - y)² = 2 (x - y) (÷ N for 'mean');  d/dy = -d/dx
                common = mse_loss_backward(grad_output, input, target, ctx.reduction)
                grad_input = common if ctx.needs_input_grad[0] else None
                grad_target = -common if ctx.needs_input_grad[1] else None
            return grad_input, grad_target, None, None
        dtype = opmath(grad_output).dtype
        diff = input.to(dtype) - target.to(dtype)
        w = None if weight is None else weight.to(dtype)
        normaliser = diff.numel() if w is None else w.sum()
        g = per_position_grad(grad_output.to(dtype), ctx.reduction, normaliser, diff.shape)
        grad_input = grad_target = grad_weight = None
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            # d/dx w (x - y)² = 2 w (x - y);  d/dy = -2 w (x - y)
            common = 2 * diff * g if w is None else 2 * w * diff * g
            if ctx.needs_input_grad[0]:
                grad_input = unbroadcast(common, input.shape).to(ctx.dtypes[0])
            if ctx.needs_input_grad[1]:
                grad_target = unbroadcast(-common, target.shape).to(ctx.dtypes[1])
        if ctx.needs_input_grad[2]:
            squared = diff.square()
            if ctx.reduction == "mean":
                # d/dwᵢ Σ w (x - y)² / Σ w = ((xᵢ - yᵢ)² - L) / Σ w
                squared = squared - (w * squared).sum() / w.sum()
            grad_weight = unbroadcast(squared * g, weight.shape).to(ctx.dtypes[2])
        return grad_input, grad_target, grad_weight, None

    @staticmethod
    def jvp(ctx, input_tangent, target_tangent, weight_tangent, _reduction):
        input, target, weight = ctx.saved_tensors
        out_dtype = pair_dtype(input, target)
        dtype = opmath_dtype(out_dtype)
        diff = input.to(dtype) - target.to(dtype)
        w = None if weight is None else weight.to(dtype)
        # d w (x - y)² = 2 w (x - y)(dx - dy) + dw (x - y)²
        d_diff = sum_tangents(
            None if input_tangent is None else input_tangent.to(dtype),
            None if target_tangent is None else -target_tangent.to(dtype),
        )
        tangent = None if d_diff is None else 2 * diff * d_diff
        if tangent is not None and w is not None:
            tangent = w * tangent
        if weight_tangent is not None:
            tangent = sum_tangents(tangent, weight_tangent.to(dtype) * diff.square())
        tangent = tangent.expand(diff.shape)
        if ctx.reduction == "mean" and w is not None:
            # d (A / B) = (dA - L dB) / B with L = A / B, B = Σ w
            loss = (w * diff.square()).sum() / w.sum()
            d_total = weight_tangent.to(dtype).sum() if weight_tangent is not None else 0
            return ((tangent.sum() - loss * d_total) / w.sum()).to(out_dtype)
        normaliser = diff.numel() if w is None else w.sum()
        return reduce(tangent, ctx.reduction, normaliser).to(out_dtype)


def _mse_kernel_applies(input: torch.Tensor, target: torch.Tensor, weight) -> bool:
    """ATen's mse_loss kernels cover the unweighted loss of same-shape, same-dtype tensors."""
    return weight is None and input.shape == target.shape and input.dtype == target.dtype


class MSELossBackwardFunction(Function):
    """(g, x, y) ↦ 2 (x - y) g / n: the squared error's backward (n = N for 'mean', else 1;
    ATen's ``mse_loss_backward``, one pass). Differentiable in g, x and y."""

    generate_vmap_rule = True

    @staticmethod
    def forward(grad, input, target, reduction):
        return _aten.mse_loss_backward.default(grad, input, target, REDUCTION_ENUM[reduction])

    @staticmethod
    def setup_context(ctx, inputs, result):
        grad, input, target, reduction = inputs
        ctx.reduction = reduction
        ctx.scale = 2 / input.numel() if reduction == "mean" else 2.0
        ctx.save_for_backward(grad, input, target)
        ctx.save_for_forward(grad, input, target)

    @staticmethod
    def backward(ctx, grad_result):
        grad, input, target = ctx.saved_tensors
        r = opmath(grad_result)
        grad_grad = grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            # d/dg Σ R ⊙ 2 (x - y) g / n = Σ 2 R (x - y) / n (elementwise for 'none')
            per_element = ctx.scale * r * (opmath(input) - opmath(target))
            grad_grad = (per_element if ctx.reduction == "none" else per_element.sum()).to(grad.dtype)
        if ctx.needs_input_grad[1] or ctx.needs_input_grad[2]:
            common = ctx.scale * opmath(grad) * r  # d/dx [2 (x - y) g / n] = 2 g / n;  d/dy = -2 g / n
            grad_input = common.to(input.dtype) if ctx.needs_input_grad[1] else None
            grad_target = (-common).to(target.dtype) if ctx.needs_input_grad[2] else None
        return grad_grad, grad_input, grad_target, None

    @staticmethod
    def jvp(ctx, grad_tangent, input_tangent, target_tangent, _reduction):
        grad, input, target = ctx.saved_tensors
        # d[2 (x - y) g / n] = 2 ((x - y) dg + g (dx - dy)) / n
        d_diff = sum_tangents(
            None if input_tangent is None else opmath(input_tangent),
            None if target_tangent is None else -opmath(target_tangent),
        )
        tangent = sum_tangents(
            None if grad_tangent is None else (opmath(input) - opmath(target)) * opmath(grad_tangent),
            None if d_diff is None else opmath(grad) * d_diff,
        )
        return (ctx.scale * tangent).to(input.dtype)


mse_loss_backward = _fused_call(MSELossBackwardFunction)


def _bce_logs(x: torch.Tensor):
    """(max(log x, -100), max(log(1 - x), -100)): torch.nn.BCELoss's clamped logarithms."""
    return torch.log(x).clamp_min(_BCE_LOG_FLOOR), torch.log1p(-x).clamp_min(_BCE_LOG_FLOOR)


class BCELossFunction(Function):
    """ℓ = -w [y log x + (1 - y) log(1 - x)], each log clamped at -100 (the lecture's
    logistic-regression cost). Differentiable in the prediction x and the target y."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, weight, reduction):
        if bce_kernel_applies(input, target, weight):
            # -w [y log x + (1 - y) log(1 - x)], logs clamped at -100, reduced (ATen's kernel)
            return _aten.binary_cross_entropy.default(input, target, weight, REDUCTION_ENUM[reduction])
        x, y = opmath(input), opmath(target)
        log_x, log_1mx = _bce_logs(x)
        loss = -(y * log_x + (1 - y) * log_1mx)
        if weight is not None:
            loss = loss * weight.to(x.dtype)
        return reduce(loss, reduction, loss.numel()).to(input.dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, weight, reduction = inputs
        ctx.reduction = reduction
        ctx.save_for_backward(input, target, weight)
        ctx.save_for_forward(input, target, weight)

    @staticmethod
    def backward(ctx, grad_output):
        input, target, weight = ctx.saved_tensors
        kernel = bce_kernel_applies(input, target, weight)
        plain_input = ctx.needs_input_grad[0] and not kernel
        grad_input = grad_target = None
        if ctx.needs_input_grad[0] and kernel:
            # d/dx ℓ = w (x - y) / max(x (1 - x), 1e-12), through ATen's kernel
            grad_input = bce_backward(grad_output, input, target, weight, ctx.reduction)
        if plain_input or ctx.needs_input_grad[1]:  # the formulas, with the per-position w g
            x, y = opmath(input), opmath(target)
            g = per_position_grad(opmath(grad_output), ctx.reduction, input.numel(), input.shape)
            if weight is not None:
                g = g * weight.to(x.dtype)
            if plain_input:
                grad_input = (g * _bce_input_slope(x, y)).to(input.dtype)
            if ctx.needs_input_grad[1]:
                grad_target = (g * _bce_target_slope(x)).to(target.dtype)
        return grad_input, grad_target, None, None

    @staticmethod
    def jvp(ctx, input_tangent, target_tangent, _weight, _reduction):
        input, target, weight = ctx.saved_tensors
        x, y = opmath(input), opmath(target)
        tangent = sum_tangents(
            None if input_tangent is None else _bce_input_slope(x, y) * opmath(input_tangent),
            None if target_tangent is None else _bce_target_slope(x) * opmath(target_tangent),
        )
        if weight is not None:
            tangent = tangent * weight.to(x.dtype)
        return reduce(tangent.expand(input.shape), ctx.reduction, input.numel()).to(input.dtype)


def bce_kernel_applies(input: torch.Tensor, target: torch.Tensor, weight) -> bool:
    """ATen's binary_cross_entropy kernels: input, target and weight of one shape and dtype."""
    same = input.shape == target.shape and input.dtype == target.dtype
    return same and (weight is None or (weight.shape == input.shape and weight.dtype == input.dtype))


class BCELossBackwardFunction(Function):
    """(g, x, y) ↦ s w g (x - y) / max(x (1 - x), 1e-12): BCE's backward in x (s = 1/N for
    'mean', else 1; ATen's ``binary_cross_entropy_backward``, one pass). Differentiable in g,
    x and y; the weight is a constant."""

    generate_vmap_rule = True

    @staticmethod
    def forward(grad, input, target, weight, reduction):
        enum = REDUCTION_ENUM[reduction]
        return _aten.binary_cross_entropy_backward.default(grad, input, target, weight, enum)

    @staticmethod
    def setup_context(ctx, inputs, result):
        grad, input, target, weight, reduction = inputs
        ctx.reduction = reduction
        ctx.scale = 1 / input.numel() if reduction == "mean" else 1.0
        ctx.save_for_backward(grad, input, target, weight)
        ctx.save_for_forward(grad, input, target, weight)

    @staticmethod
    def _terms(ctx):
        """(s w, (x - y) / D, d/dx [(x - y) / D], 1 / D), D = max(x (1 - x), 1e-12)."""
        _grad, input, target, weight = ctx.saved_tensors
        x, y = opmath(input), opmath(target)
        weight_scale = ctx.scale if weight is None else ctx.scale * opmath(weight)
        q = x * (1 - x)
        floor = q.clamp_min(_BCE_EPSILON)
        floor_slope = torch.where(q > _BCE_EPSILON, 1 - 2 * x, 0)  # dD/dx, 0 where floored
        # d/dx [(x - y) / D] = (D - (x - y) D') / D²
        ratio_slope = (floor - (x - y) * floor_slope) / floor.square()
        return weight_scale, (x - y) / floor, ratio_slope, 1 / floor

    @staticmethod
    def backward(ctx, grad_result):
        grad, input, target, _weight = ctx.saved_tensors
        weight_scale, ratio, ratio_slope, inverse = BCELossBackwardFunction._terms(ctx)
        r = opmath(grad_result)
        scaled = weight_scale * opmath(grad) * r
        grad_grad = grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            # d/dg: Σ R s w (x - y) / D (elementwise for 'none')
            per_element = r * weight_scale * ratio
            grad_grad = (per_element if ctx.reduction == "none" else per_element.sum()).to(grad.dtype)
        if ctx.needs_input_grad[1]:
            grad_input = (scaled * ratio_slope).to(input.dtype)  # d/dx: s w g d/dx[(x - y) / D]
        if ctx.needs_input_grad[2]:
            grad_target = (-scaled * inverse).to(target.dtype)  # d/dy: -s w g / D
        return grad_grad, grad_input, grad_target, None, None

    @staticmethod
    def jvp(ctx, grad_tangent, input_tangent, target_tangent, _weight, _reduction):
        grad, input, _target, _weight_tensor = ctx.saved_tensors
        weight_scale, ratio, ratio_slope, inverse = BCELossBackwardFunction._terms(ctx)
        scaled = weight_scale * opmath(grad)
        # d[s w g (x - y) / D] = s w [(x - y) / D dg + g (d/dx[(x - y) / D] dx - dy / D)]
        return sum_tangents(
            None if grad_tangent is None else weight_scale * ratio * opmath(grad_tangent),
            None if input_tangent is None else scaled * ratio_slope * opmath(input_tangent),
            None if target_tangent is None else -scaled * inverse * opmath(target_tangent),
        ).to(input.dtype)


bce_backward = _fused_call(BCELossBackwardFunction)


def _bce_input_slope(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # d/dx ℓ = (x - y) / (x (1 - x)), the denominator floored at 1e-12 as torch does
    return (x - y) / (x * (1 - x)).clamp_min(_BCE_EPSILON)


def _bce_target_slope(x: torch.Tensor) -> torch.Tensor:
    # d/dy ℓ = log(1 - x) - log x, with the forward's clamped logs
    log_x, log_1mx = _bce_logs(x)
    return log_1mx - log_x


# --- multi-class SVM -------------------------------------------------------------------------


def _margins(input: torch.Tensor, target: torch.Tensor, margin: float):
    """(z, active) for rows x of shape (N, C): z_i = margin - x_y + x_i, active = z_i > 0, i ≠ y."""
    n_classes = input.shape[-1] if input.dim() else 1
    x = opmath(input).reshape(-1, n_classes)
    y = target.reshape(-1, 1)
    z = margin - x.gather(1, y) + x
    others = torch.arange(n_classes, device=y.device) != y
    return z, (z > 0) & others


def _hinge_scale(input, target, weight, grad, reduction: str) -> torch.Tensor:
    """s w_y g / C per sample, shape (N, 1) (s = 1/N for 'mean'): the factor of every margin's
    derivative."""
    n_classes = input.shape[-1] if input.dim() else 1
    g = per_position_grad(opmath(grad), reduction, target.numel(), target.shape)
    scale = g.reshape(-1, 1) / n_classes
    if weight is not None:
        scale = scale * weight.to(scale.dtype)[target.reshape(-1)].unsqueeze(1)
    return scale


def _pull_to_target(h: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """h (N, C, zero in the target slots), with -Σᵢ hᵢ put in each row's target slot:
    z_i = margin - x_y + x_i, so d/dx_y = -Σ_{i≠y} d/dx_i."""
    return h - torch.zeros_like(h).scatter(1, target.reshape(-1, 1), h.sum(1, keepdim=True))


def margin_kernel_applies(input: torch.Tensor) -> bool:
    """ATen's multi_margin_loss kernels: float32 and float64 (no half types on CPU), outside
    ``torch.func`` transforms (the kernels have no batching rule: vmap would loop over them)."""
    return input.dtype in (torch.float32, torch.float64) and not torch._C._are_functorch_transforms_active()


class MultiMarginLossFunction(Function):
    """The multi-class hinge loss: ℓ = w_y / C · Σ_{i≠y} max(0, margin - x_y + x_i)^p, p ∈ {1, 2}.

    Float32/float64 run ATen's kernels (backward through ``MultiMarginLossBackwardFunction``);
    float16/bfloat16, which torch's CPU kernel lacks, run the formula in plain ops. Saves the
    input and the target.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, p, margin, weight, reduction):
        if margin_kernel_applies(input):
            return _aten.multi_margin_loss.default(
                input, target, p, margin, weight, REDUCTION_ENUM[reduction]
            )
        z, active = _margins(input, target, margin)
        hinge = torch.where(active, z, 0)
        if p == 2:
            hinge = hinge * hinge
        per_sample = hinge.sum(1) / z.shape[1]
        if weight is not None:
            per_sample = per_sample * weight.to(z.dtype)[target.reshape(-1)]
        return reduce(per_sample.reshape(target.shape), reduction, target.numel()).to(input.dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, p, margin, weight, reduction = inputs
        ctx.p, ctx.margin, ctx.reduction = p, margin, reduction
        ctx.save_for_backward(input, target, weight)
        ctx.save_for_forward(input, target, weight)

    @staticmethod
    def _coefficients(ctx, input, target, weight, grad):
        """dℓ/dx_i for i ≠ y, times the incoming gradient, as an (N, C) matrix."""
        z, active = _margins(input, target, ctx.margin)
        # d/dx_i max(0, z_i)^p = p max(0, z_i)^{p-1} for i ≠ y   (z_i = margin - x_y + x_i)
        slope = active.to(z.dtype) if ctx.p == 1 else 2 * torch.where(active, z, 0)
        return _hinge_scale(input, target, weight, grad, ctx.reduction) * slope

    @staticmethod
    def backward(ctx, grad_output):
        input, target, weight = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0] and margin_kernel_applies(input):
            grad_input = multi_margin_loss_backward(
                grad_output, input, target, ctx.p, ctx.margin, weight, ctx.reduction
            )
        elif ctx.needs_input_grad[0]:
            coefficients = MultiMarginLossFunction._coefficients(ctx, input, target, weight, grad_output)
            # d/dx_y = -Σ_{i≠y} d/dx_i: the target's score pulls against every violated margin
            grad_input = _pull_to_target(coefficients, target).reshape(input.shape).to(input.dtype)
        return grad_input, None, None, None, None, None

    @staticmethod
    def jvp(ctx, input_tangent, _target, _p, _margin, _weight, _reduction):
        input, target, weight = ctx.saved_tensors
        return _hinge_tangent(ctx, input, target, weight, input_tangent)


def _hinge_tangent(ctx, input, target, weight, input_tangent) -> torch.Tensor:
    """dℓ = Σ_{i≠y} cᵢ (dxᵢ - dx_y), cᵢ the coefficients at an incoming gradient of 1."""
    shape = target.shape if ctx.reduction == "none" else ()
    one = torch.ones(shape, dtype=opmath(input).dtype, device=input.device)
    coefficients = MultiMarginLossFunction._coefficients(ctx, input, target, weight, one)
    t = opmath(input_tangent).reshape(coefficients.shape)
    per_sample = (coefficients * (t - t.gather(1, target.reshape(-1, 1)))).sum(1)
    if ctx.reduction == "none":
        return per_sample.reshape(target.shape).to(input.dtype)
    return per_sample.sum().to(input.dtype)


class MultiMarginLossBackwardFunction(Function):
    """(g, x) ↦ dℓ/dx: p max(0, z_i)^{p-1} s w_y g / C at each violated margin i ≠ y, minus their
    sum at y (ATen's ``multi_margin_loss_backward``). Linear in g; in x it is piecewise constant
    for p = 1 and piecewise linear for p = 2."""

    generate_vmap_rule = True

    @staticmethod
    def forward(grad, input, target, p, margin, weight, reduction):
        enum = REDUCTION_ENUM[reduction]
        return _aten.multi_margin_loss_backward.default(grad, input, target, p, margin, weight, enum)

    @staticmethod
    def setup_context(ctx, inputs, result):
        grad, input, target, p, margin, weight, reduction = inputs
        ctx.p, ctx.margin, ctx.reduction = p, margin, reduction
        ctx.save_for_backward(grad, input, target, weight)
        ctx.save_for_forward(grad, input, target, weight)

    @staticmethod
    def _second_derivative(ctx, grad, input, target, weight, direction) -> torch.Tensor:
        """d(dℓ/dx) along ``direction`` in x (p = 2): 2 s w_y g / C (dᵢ - d_y) on the violated
        margins (d/dz 2 max(0, z) = 2 · 1[z > 0]), pulled to the target."""
        _z, active = _margins(input, target, ctx.margin)
        d = opmath(direction).reshape(active.shape)
        relative = d - d.gather(1, target.reshape(-1, 1))
        h = 2 * _hinge_scale(input, target, weight, grad, ctx.reduction) * active * relative
        return _pull_to_target(h, target).reshape(input.shape)

    @staticmethod
    def backward(ctx, grad_result):
        grad, input, target, weight = ctx.saved_tensors
        grad_grad = grad_input = None
        if ctx.needs_input_grad[0]:
            # linear in g: d/dg ⟨R, dℓ/dx⟩ = Σ_{i≠y} cᵢ (Rᵢ - R_y), the loss's tangent along R
            grad_grad = _hinge_tangent(ctx, input, target, weight, grad_result).to(grad.dtype)
        if ctx.needs_input_grad[1] and ctx.p == 2:  # p = 1: piecewise constant in x, 0
            # symmetric in R and the direction: the same map applied to R
            second = MultiMarginLossBackwardFunction._second_derivative(
                ctx, grad, input, target, weight, grad_result
            )
            grad_input = second.to(input.dtype)
        return grad_grad, grad_input, None, None, None, None, None

    @staticmethod
    def jvp(ctx, grad_tangent, input_tangent, *_constants):
        grad, input, target, weight = ctx.saved_tensors
        # d(dℓ/dx) = (dℓ/dx at dg) + (p = 2) the second derivative along dx
        return sum_tangents(
            None
            if grad_tangent is None
            else multi_margin_loss_backward(
                grad_tangent, input, target, ctx.p, ctx.margin, weight, ctx.reduction
            ),
            None
            if input_tangent is None or ctx.p != 2
            else MultiMarginLossBackwardFunction._second_derivative(
                ctx, grad, input, target, weight, input_tangent
            ).to(input.dtype),
        )


multi_margin_loss_backward = _fused_call(MultiMarginLossBackwardFunction)


# --- regularisation --------------------------------------------------------------------------


class L2RegularizationFunction(Function):
    """R = λ Σ_W ‖W‖² = λ Σ_W Σ_ij W_ij², over any number of tensors."""

    generate_vmap_rule = True

    @staticmethod
    def forward(weight, *tensors):
        dtype = result_dtype(tensors)
        total = sum(opmath(t).square().sum() for t in tensors)
        return (weight * total).to(dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.weight = inputs[0]
        ctx.save_for_backward(*inputs[1:])
        ctx.save_for_forward(*inputs[1:])

    @staticmethod
    def backward(ctx, grad_output):
        tensors = ctx.saved_tensors
        grads = []
        for i, t in enumerate(tensors):
            grad = None
            if ctx.needs_input_grad[i + 1]:
                # d/dW λ ‖W‖² = 2 λ W
                grad = (2 * ctx.weight * opmath(grad_output) * opmath(t)).to(t.dtype)
            grads.append(grad)
        return (None, *grads)

    @staticmethod
    def jvp(ctx, _weight_tangent, *tangents):
        tensors = ctx.saved_tensors
        # dR = 2 λ Σ ⟨W, dW⟩
        total = sum_tangents(
            *(
                None if dt is None else (opmath(t) * opmath(dt)).sum()
                for t, dt in zip(tensors, tangents, strict=True)
            )
        )
        return (2 * ctx.weight * total).to(result_dtype(tensors))

