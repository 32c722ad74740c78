"""The kernel table: every ATen kernel that may stand in for one of our formulas.

Every derivative (and every fused forward) of the package is a formula in plain differentiable
torch ops, a named function beside the Function that calls it (``sigmoid_grad`` beside
``SigmoidFunction``). Where ATen computes the same function in one fused kernel, the table
below holds that kernel under the formula's name, and the formula is defined with
:func:`stand_in`, which runs the kernel instead of the formula when

* kernels are on (:func:`use_kernels`, the default; ``TORCHLAYERS_KERNELS=0`` turns them off at
  import), and
* nothing will differentiate the result again: no grad mode (a backward under
  ``create_graph=True``), no forward-mode AD level, no ``torch.func`` transform. While
  ``torch.compile`` traces, the kernel runs too: AOTAutograd has no double backward, so a
  compiled backward is never differentiated.

Otherwise the formula runs, and autograd differentiates its ops: double and higher backward
come from the formula itself. The kernels compute float16/bfloat16 in float32, as the formulas
do (``opmath``), so both round once. ``tests`` prove each kernel equal to its formula, and that
no table kernel runs with kernels off.

A kernel is called through its Python binding where ATen has one (``torch._log_softmax``,
``torch._C._nn.elu``): the binding parses its arguments in C++, where an ``OpOverload`` call is
a Python frame more, about 2 µs a call on a small tensor, which a host-bound step pays per
layer. The kernels without a binding (most backward kernels) are called as ``torch.ops.aten``
overloads; this is the only module of the package that calls ``torch.ops.aten``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.autograd import forward_ad as _forward_ad

from torchlayers.autograd._function import REDUCTION_ENUM, opmath

__all__ = [
    "FORMULAS",
    "KERNELS",
    "Kernel",
    "kernel_runs_in_forward",
    "kernels_enabled",
    "stand_in",
    "use_kernels",
]

_aten = torch.ops.aten
_enabled = os.environ.get("TORCHLAYERS_KERNELS", "1").strip().lower() not in ("0", "false", "off", "no")


class use_kernels:  # noqa: N801  (a function-like name, as torch.set_grad_enabled)
    """Let ATen's fused kernels stand in for the formulas (``True``) or run the formulas only
    (``False``).

    Sets the mode when called; used as a context manager it restores the previous mode on exit,
    as ``torch.set_grad_enabled`` does::

        torchlayers.use_kernels(False)        # formula mode from here on
        with torchlayers.use_kernels(True):   # kernels inside the block only
            ...
    """

    def __init__(self, enabled: bool) -> None:
        if not isinstance(enabled, bool):
            raise TypeError(f"use_kernels(): argument 'enabled' must be bool, not {type(enabled).__name__}")
        global _enabled
        self.previous = _enabled
        _enabled = enabled

    def __enter__(self) -> use_kernels:
        return self

    def __exit__(self, *exc_info) -> None:
        global _enabled
        _enabled = self.previous

    def __repr__(self) -> str:
        return f"use_kernels({_enabled})"


def kernels_enabled() -> bool:
    """Whether ATen's kernels may stand in for the formulas (see :class:`use_kernels`)."""
    return _enabled


@dataclass(frozen=True)
class Kernel:
    """An ATen kernel computing the same function as the formula named ``formula``, for the
    arguments ``applies`` accepts (all, when it is ``None``)."""

    formula: str
    run: Callable
    aten: tuple  # the fused ATen overloads it runs (by binding or overload): none may run with kernels off
    applies: Callable[..., bool] | None = None


KERNELS: dict[str, Kernel] = {}
FORMULAS: dict[str, Callable] = {}  # every @stand_in formula by name, filled as the families import


def _kernel(formula: str, *aten_ops, applies: Callable[..., bool] | None = None):
    """Enter the decorated function in :data:`KERNELS` as the stand-in for ``formula``, for the
    arguments ``applies`` accepts (called as the formula is)."""

    def enter(run: Callable) -> Callable:
        KERNELS[formula] = Kernel(formula, run, aten_ops, applies)
        return run

    return enter


def _nothing_differentiates_the_result() -> bool:
    """No grad mode (a backward under ``create_graph=True``), no forward-AD level and no
    ``torch.func`` transform, or ``torch.compile`` tracing (its backward is never
    differentiated again). Grad mode first: it is off in a plain backward, which then skips
    the other checks."""
    return (
        not (torch.is_grad_enabled() or _forward_ad._current_level >= 0 or _transforms_active())
        or torch.compiler.is_compiling()
    )


_transforms_active = torch._C._are_functorch_transforms_active


def stand_in(formula: Callable) -> Callable:
    """Define a formula that its table kernel may replace (see the module docstring).

    The returned function calls ``formula`` itself whenever the kernel may not stand in, so a
    debugger stepping into it in formula mode stops on the formula's line. ``.formula`` and
    ``.kernel`` give the two sides for tests.
    """
    entry = KERNELS[formula.__name__]
    kernel, applies = entry.run, entry.applies

    if applies is None:

        @functools.wraps(formula)
        def call(*args):
            if _enabled and _nothing_differentiates_the_result():
                return kernel(*args)
            return formula(*args)

    else:

        @functools.wraps(formula)
        def call(*args):
            if _enabled and _nothing_differentiates_the_result() and applies(*args):
                return kernel(*args)
            return formula(*args)

    call.formula, call.kernel = formula, kernel
    FORMULAS[formula.__name__] = call
    return call


def kernel_runs_in_forward(formula: Callable, *args) -> bool:
    """Whether the kernel stands in for ``formula`` (a :func:`stand_in` function) called with
    ``args`` from a Function's ``forward``, where grad mode is off. A caller that leaves checks
    to the kernel (BCE's 0 <= x <= 1) makes them itself whenever this is false."""
    entry = KERNELS[formula.__name__]
    if not (_enabled and (entry.applies is None or entry.applies(*args))):
        return False
    # the eager case first: torch.compiler.is_compiling() is a Python call, dearer than both tests
    return not (_forward_ad._current_level >= 0 or _transforms_active()) or torch.compiler.is_compiling()


# --- the table -------------------------------------------------------------------------------
# One entry per formula: the formula's name, then the kernel, called as the formula is.


@_kernel("sigmoid_grad", _aten.sigmoid_backward.default)
def _sigmoid_grad(grad_output, output):
    return _aten.sigmoid_backward.default(grad_output, output)


@_kernel("tanh_grad", _aten.tanh_backward.default)
def _tanh_grad(grad_output, output):
    return _aten.tanh_backward.default(grad_output, output)


@_kernel("relu_grad", _aten.threshold_backward.default)
def _relu_grad(grad_output, output):
    return _aten.threshold_backward.default(grad_output, output, 0)


@_kernel("leaky_relu_forward", _aten.leaky_relu.default)
def _leaky_relu_forward(input, negative_slope):
    return torch._C._nn.leaky_relu(input, negative_slope)


@_kernel("leaky_relu_forward_", _aten.leaky_relu_.default)
def _leaky_relu_forward_(input, negative_slope):
    return torch._C._nn.leaky_relu_(input, negative_slope)


@_kernel("leaky_relu_grad", _aten.leaky_relu_backward.default)
def _leaky_relu_grad(grad_output, saved, negative_slope, saved_is_result):
    return _aten.leaky_relu_backward.default(grad_output, saved, negative_slope, saved_is_result)


@_kernel("elu_forward", _aten.elu.default)
def _elu_forward(input, alpha):
    return torch._C._nn.elu(input, alpha)


@_kernel("elu_forward_", _aten.elu_.default)
def _elu_forward_(input, alpha):
    return torch._C._nn.elu_(input, alpha)


@_kernel("elu_grad", _aten.elu_backward.default)
def _elu_grad(grad_output, saved, alpha, saved_is_result):
    return _aten.elu_backward.default(grad_output, alpha, 1, 1, saved_is_result, saved)


@_kernel("prelu_forward", _aten._prelu_kernel.default)
def _prelu_forward(input, weight):
    return torch._prelu_kernel(input, weight)


@_kernel("prelu_grad", _aten._prelu_kernel_backward.default)
def _prelu_grad(grad_output, input, weight):
    grad_input, grad_weight = _aten._prelu_kernel_backward.default(grad_output, input, weight)
    return grad_input, grad_weight.sum_to_size(weight.shape)  # the kernel's is per position


@_kernel("log_sigmoid_forward", _aten.log_sigmoid_forward.default)
def _log_sigmoid_forward(input):
    return _aten.log_sigmoid_forward.default(input)


@_kernel("log_sigmoid_grad", _aten.log_sigmoid_backward.default)
def _log_sigmoid_grad(grad_output, input, buffer):
    return _aten.log_sigmoid_backward.default(grad_output, input, buffer)


@_kernel("softplus_forward", _aten.softplus.default)
def _softplus_forward(input, beta, threshold):
    return torch._C._nn.softplus(input, beta, threshold)


@_kernel("softplus_grad", _aten.softplus_backward.default)
def _softplus_grad(grad_output, input, beta, threshold):
    return _aten.softplus_backward.default(grad_output, input, beta, threshold)


@_kernel("softshrink_forward", _aten.softshrink.default)
def _softshrink_forward(input, lambd):
    return torch._C._nn.softshrink(input, lambd)


@_kernel("softshrink_grad", _aten.softshrink_backward.default)
def _softshrink_grad(grad_output, input, lambd):
    return _aten.softshrink_backward.default(grad_output, input, lambd)


# --- regression losses (regression.py) ---------------------------------------------------------


def _mse_kernel_covers(input, target, weight) -> bool:
    """ATen's mse_loss kernels: the unweighted loss of same-shape, same-dtype tensors."""
    return weight is None and input.shape == target.shape and input.dtype == target.dtype


@_kernel(
    "mse_loss_forward",
    _aten.mse_loss.default,
    applies=lambda input, target, weight, reduction: _mse_kernel_covers(input, target, weight),
)
def _mse_loss_forward(input, target, weight, reduction):
    return torch._C._nn.mse_loss(input, target, REDUCTION_ENUM[reduction])


@_kernel(
    "mse_loss_grad",
    _aten.mse_loss_backward.default,
    applies=lambda grad_output, input, target, weight, reduction: _mse_kernel_covers(input, target, weight),
)
def _mse_loss_grad(grad_output, input, target, weight, reduction):
    return _aten.mse_loss_backward.default(grad_output, input, target, REDUCTION_ENUM[reduction])


def _smooth_l1_kernel_covers(input, target, beta) -> bool:
    """ATen's smooth_l1_loss kernels: input and target of one dtype and β > 0 (for β = 0 torch
    calls the L1 loss, a composition; the backward kernel would divide 0 by 0 at d = 0)."""
    return beta > 0 and input.dtype == target.dtype


def _broadcast_pair(input, target):
    """The two tensors expanded to their broadcast shape, as torch.nn.functional passes them."""
    return (input, target) if input.shape == target.shape else torch.broadcast_tensors(input, target)


@_kernel(
    "smooth_l1_loss_forward",
    _aten.smooth_l1_loss.default,
    applies=lambda input, target, reduction, beta: _smooth_l1_kernel_covers(input, target, beta),
)
def _smooth_l1_loss_forward(input, target, reduction, beta):
    return torch._C._nn.smooth_l1_loss(*_broadcast_pair(input, target), REDUCTION_ENUM[reduction], beta)


@_kernel(
    "smooth_l1_loss_grad",
    _aten.smooth_l1_loss_backward.default,
    applies=lambda grad_output, input, target, reduction, beta: _smooth_l1_kernel_covers(input, target, beta),
)
def _smooth_l1_loss_grad(grad_output, input, target, reduction, beta):
    input, target = _broadcast_pair(input, target)
    return _aten.smooth_l1_loss_backward.default(grad_output, input, target, REDUCTION_ENUM[reduction], beta)


def _bce_kernel_covers(input, target, weight) -> bool:
    """ATen's binary_cross_entropy kernels: input, target and weight of one shape and dtype."""
    same = input.shape == target.shape and input.dtype == target.dtype
    return same and (weight is None or (weight.shape == input.shape and weight.dtype == input.dtype))


@_kernel(
    "binary_cross_entropy_forward",
    _aten.binary_cross_entropy.default,
    applies=lambda input, target, weight, reduction: _bce_kernel_covers(input, target, weight),
)
def _binary_cross_entropy_forward(input, target, weight, reduction):
    return torch._C._nn.binary_cross_entropy(input, target, weight, REDUCTION_ENUM[reduction])


@_kernel(
    "binary_cross_entropy_grad",
    _aten.binary_cross_entropy_backward.default,
    applies=lambda grad_output, input, target, weight, reduction: _bce_kernel_covers(input, target, weight),
)
def _binary_cross_entropy_grad(grad_output, input, target, weight, reduction):
    enum = REDUCTION_ENUM[reduction]
    return _aten.binary_cross_entropy_backward.default(grad_output, input, target, weight, enum)


@_kernel("binary_cross_entropy_target_grad", _aten.logit.default)
def _binary_cross_entropy_target_grad(grad_output, input, weight, reduction):
    # torch.nn's own target gradient, op for op: -logit(x) g w (÷ N for 'mean')
    grad = torch.logit(input).neg_() * grad_output
    if weight is not None:
        grad = grad * weight
    return grad.div_(input.numel()) if reduction == "mean" else grad


# --- margin losses (hinge.py) --------------------------------------------------------------------


def _margin_kernel_covers(input) -> bool:
    """ATen's multi_margin_loss kernels: float32 and float64 (no half types on CPU), and no
    ``torch.func`` transform (they have no batching rule: vmap would loop over them), which
    matters where compilation lets a kernel stand in under a transform."""
    return input.dtype in (torch.float32, torch.float64) and not _transforms_active()


@_kernel(
    "multi_margin_loss_forward",
    _aten.multi_margin_loss.default,
    applies=lambda input, target, p, margin, weight, reduction: _margin_kernel_covers(input),
)
def _multi_margin_loss_forward(input, target, p, margin, weight, reduction):
    return torch._C._nn.multi_margin_loss(input, target, p, margin, weight, REDUCTION_ENUM[reduction])


@_kernel(
    "multi_margin_loss_grad",
    _aten.multi_margin_loss_backward.default,
    applies=lambda grad_output, input, target, p, margin, weight, reduction: _margin_kernel_covers(input),
)
def _multi_margin_loss_grad(grad_output, input, target, p, margin, weight, reduction):
    enum = REDUCTION_ENUM[reduction]
    return _aten.multi_margin_loss_backward.default(grad_output, input, target, p, margin, weight, enum)


@_kernel("soft_margin_loss_forward", _aten.soft_margin_loss.default)
def _soft_margin_loss_forward(input, target, reduction):
    return torch._C._nn.soft_margin_loss(input, target, REDUCTION_ENUM[reduction])


@_kernel("soft_margin_loss_grad", _aten.soft_margin_loss_backward.default)
def _soft_margin_loss_grad(grad_output, input, target, reduction):
    return _aten.soft_margin_loss_backward.default(grad_output, input, target, REDUCTION_ENUM[reduction])


# --- softmax and log-softmax -----------------------------------------------------------------


@_kernel("softmax_forward", _aten._softmax.default)
def _softmax_forward(input, dim):
    return torch._softmax(input, dim, False)


@_kernel("log_softmax_forward", _aten._log_softmax.default)
def _log_softmax_forward(input, dim):
    return torch._log_softmax(input, dim, False)


@_kernel("softmax_grad", _aten._softmax_backward_data.default)
def _softmax_grad(grad_output, output, dim):
    return torch._softmax_backward_data(grad_output, output, dim, output.dtype)


@_kernel("log_softmax_grad", _aten._log_softmax_backward_data.default)
def _log_softmax_grad(grad_output, output, dim):
    return torch._log_softmax_backward_data(grad_output, output, dim, output.dtype)


# --- NLL (and so cross entropy) --------------------------------------------------------------


def _nll_kernel_views(log_probs, target):
    """ATen's NLL kernels take (C,)/(N, C) with a (N,) target, or (N, C, H, W) with (N, H, W)
    (``nll_loss2d``): other K-dimensional inputs are viewed as (N, C, 1, d1·d2·...), as
    ``torch.nn.functional.nll_loss`` does. Returns (log p, target, is 2d)."""
    if log_probs.dim() <= 2 or log_probs.dim() == 4:
        return log_probs, target, log_probs.dim() == 4
    n, c = log_probs.shape[:2]
    return log_probs.contiguous().view(n, c, 1, -1), target.contiguous().view(n, 1, -1), True


@_kernel("nll_forward", _aten.nll_loss_forward.default, _aten.nll_loss2d_forward.default)
def _nll_forward(log_probs, target, weight, reduction, ignore_index):
    viewed_log_probs, viewed_target, is_2d = _nll_kernel_views(log_probs, target)
    kernel = _aten.nll_loss2d_forward.default if is_2d else _aten.nll_loss_forward.default
    enum = REDUCTION_ENUM[reduction]
    loss, total_weight = kernel(viewed_log_probs, viewed_target, weight, enum, ignore_index)
    return (loss.view(target.shape) if reduction == "none" else loss), total_weight


@_kernel("nll_grad", _aten.nll_loss_backward.default, _aten.nll_loss2d_backward.default)
def _nll_grad(grad, log_probs, target, weight, reduction, ignore_index, total_weight):
    viewed_log_probs, viewed_target, is_2d = _nll_kernel_views(log_probs, target)
    if reduction == "none":
        grad = grad.reshape(viewed_target.shape)
    kernel = _aten.nll_loss2d_backward.default if is_2d else _aten.nll_loss_backward.default
    enum = REDUCTION_ENUM[reduction]
    grad_log_probs = kernel(grad, viewed_log_probs, viewed_target, weight, enum, ignore_index, total_weight)
    return grad_log_probs if viewed_log_probs is log_probs else grad_log_probs.view(log_probs.shape)


def _smoothing_grad(grad, log_probs, target, weight, reduction, ignore_index, total_weight):
    """g · d/d log p_c of the label-smoothing term Σ_c -w_c log p_c: -w_c g / Z at every position
    that counts (0 where ignored), in torch.nn's ops, for its order of rounding."""
    class_dim = 0 if log_probs.dim() == 1 else 1
    g = grad / total_weight if reduction == "mean" else grad
    g = g.expand(target.shape).masked_fill(target == ignore_index, 0).unsqueeze(class_dim)
    if weight is not None:
        g = g * weight.reshape((-1,) + (1,) * (log_probs.dim() - class_dim - 1))
    return g.neg_().expand(log_probs.shape)  # g is fresh here: no allocation more than torch's


@_kernel(
    "cross_entropy_grad",
    _aten.nll_loss_backward.default,
    _aten.nll_loss2d_backward.default,
    _aten._log_softmax_backward_data.default,
)
def _cross_entropy_grad(
    grad, log_probs, target, weight, reduction, ignore_index, total_weight, label_smoothing
):
    """torch.nn's composition: NLL's backward (plus the smoothing term's), then log-softmax's."""
    arguments = (log_probs, target, weight, reduction, ignore_index, total_weight)
    if label_smoothing > 0:
        n_classes = log_probs.shape[0 if log_probs.dim() == 1 else 1]
        grad_log_probs = _nll_grad(grad * (1 - label_smoothing), *arguments) + _smoothing_grad(
            grad * (label_smoothing / n_classes), *arguments
        )
    else:
        grad_log_probs = _nll_grad(grad, *arguments)
    return _log_softmax_grad(grad_log_probs, log_probs, 0 if log_probs.dim() == 1 else 1)


# --- lookup table (sparse.py) ----------------------------------------------------------------


@_kernel("embedding_forward", _aten.embedding.default)
def _embedding_forward(weight, indices):
    return torch.embedding(weight, indices)


@_kernel("embedding_grad", _aten.embedding_dense_backward.default)
def _embedding_grad(grad_output, indices, num_weights, padding_idx, scale_grad_by_freq):
    # accumulated in float32 for half types, as the formula (ATen's CPU kernel adds in the dtype)
    grad = _aten.embedding_dense_backward.default(
        opmath(grad_output), indices, num_weights, padding_idx, scale_grad_by_freq
    )
    return grad.to(grad_output.dtype)


# --- adaptive pooling (pooling.py) -----------------------------------------------------------


@_kernel("adaptive_avg_pool2d_forward", _aten._adaptive_avg_pool2d.default)
def _adaptive_avg_pool2d_forward(input, output_size):
    return torch._adaptive_avg_pool2d(input, output_size)


@_kernel("adaptive_avg_pool2d_grad", _aten._adaptive_avg_pool2d_backward.default)
def _adaptive_avg_pool2d_grad(grad_output, input):
    return _aten._adaptive_avg_pool2d_backward.default(grad_output, input)


@_kernel("adaptive_max_pool2d_forward", _aten.adaptive_max_pool2d.default)
def _adaptive_max_pool2d_forward(input, output_size):
    return torch._C._nn.adaptive_max_pool2d(input, output_size)


@_kernel("adaptive_max_pool2d_grad", _aten.adaptive_max_pool2d_backward.default)
def _adaptive_max_pool2d_grad(grad_output, input, indices):
    return _aten.adaptive_max_pool2d_backward.default(grad_output, input, indices)


# --- layer normalisation (normalization.py) -----------------------------------------------------


def _wide(tensor):
    """float16/bfloat16 in float32, as the formulas compute (``None`` passes through)."""
    return None if tensor is None else opmath(tensor)


@_kernel("layer_norm_forward", _aten.native_layer_norm.default)
def _layer_norm_forward(input, normalized_shape, weight, bias, eps):
    # half in float32: ATen's would round μ and r to the input's dtype
    output, mean, rstd = torch.native_layer_norm(
        _wide(input), normalized_shape, _wide(weight), _wide(bias), eps
    )
    return output.to(input.dtype), mean, rstd


@_kernel("layer_norm_grad", _aten.native_layer_norm_backward.default)
def _layer_norm_grad(grad_output, input, mean, rstd, weight, bias, normalized_shape, output_mask):
    grads = _aten.native_layer_norm_backward.default(
        _wide(grad_output),
        _wide(input),
        normalized_shape,
        mean,
        rstd,
        _wide(weight),
        _wide(bias),
        output_mask,
    )
    return tuple(
        None if grad is None else grad.to(like.dtype)
        for grad, like in zip(grads, (input, weight, bias), strict=True)
    )


# --- dropout (regularization.py) ---------------------------------------------------------------


@_kernel("dropout_grad", _aten.native_dropout_backward.default)
def _dropout_grad(grad_output, mask, scale):
    return _aten.native_dropout_backward.default(grad_output, mask, scale)
