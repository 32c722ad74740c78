"""The backward Functions of ``torchlayers/autograd/_fused.py`` (each activation's derivative as
a Function of its own, forward = ATen's fused backward kernel) and of the losses
(``LogSoftmaxBackwardFunction``, ``NLLLossBackwardFunction``, the two halves of
``CrossEntropyFunction``'s backward), the apply path's cheap argument binding, and the
dispatcher's eager twin.

They are not in the op registry (no functional calls them), so they get their own checks here:
gradcheck/gradgradcheck of each one (the activation's second and third derivatives), the
third derivative against torch's, bit-for-bit parity of plain backward with torch.nn (the same
kernel, in every dtype), which Function a ``create_graph=True`` gradient goes through, and the
compiled backward.
"""

from __future__ import annotations

import collections

import pytest
import torch
import torch.nn.functional as TF
from torch.autograd import gradcheck, gradgradcheck
from torch.utils._python_dispatch import TorchDispatchMode

import torchlayers.functional as F
from torchlayers.autograd import loss as losses

GRADCHECK = {"check_forward_ad": True, "check_batched_grad": True, "check_batched_forward_grad": True}
GRADGRADCHECK = {"check_fwd_over_rev": True, "check_batched_grad": True}


def _off_zero(*shape, low=-3.0, high=3.0, requires_grad=True):
    """float64 values in [low, high] kept at least 0.1 from the kinks at 0."""
    x = torch.empty(shape, dtype=torch.float64).uniform_(low, high)
    x = torch.where(x.abs() < 0.1, x.sign() * 0.2 + (x == 0) * 0.2, x)
    return x.requires_grad_(requires_grad)


def _grad(*shape):
    return torch.randn(shape, dtype=torch.float64, requires_grad=True)


# (id, Function, positional arguments). Saved tensors are kept off the kinks; the non-tensor
# flags are the ones the activations pass (slope/alpha, whether the saved tensor is the output).
CASES = [
    (
        "log_softmax",
        losses.LogSoftmaxBackwardFunction,
        lambda: (_grad(3, 5), torch.log_softmax(_off_zero(3, 5), 1), 1),
    ),
    ("softmax", losses.SoftmaxBackwardFunction, lambda: (_grad(3, 5), torch.softmax(_off_zero(3, 5), 1), 1)),
    (
        "softmax_dim0",
        losses.SoftmaxBackwardFunction,
        lambda: (_grad(4, 2, 3), torch.softmax(_off_zero(4, 2, 3), 0), 0),
    ),
    (
        "log_softmax_dim0",
        losses.LogSoftmaxBackwardFunction,
        lambda: (_grad(4, 2, 3), torch.log_softmax(_off_zero(4, 2, 3), 0), 0),
    ),
]


def _as_function(function, args):
    """``function.apply`` as a function of its tensor arguments only (for gradcheck)."""
    positions = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor)]

    def call(*tensors):
        full = list(args)
        for i, tensor in zip(positions, tensors, strict=True):
            full[i] = tensor
        return function.apply(*full)

    return call, [args[i] for i in positions]


@pytest.mark.parametrize(("function", "make_args"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_gradcheck(function, make_args):
    """First and second derivatives (the activation's second and third), reverse and forward
    mode, batched both ways, with respect to the incoming gradient and the saved tensors."""
    args = make_args()
    args = tuple(a.detach().requires_grad_() if isinstance(a, torch.Tensor) else a for a in args)
    fn, tensors = _as_function(function, args)
    assert gradcheck(fn, tensors, **GRADCHECK)
    assert gradgradcheck(fn, tensors, **GRADGRADCHECK)


def _nll_backward_args(shape, reduction, weighted, ignore):
    """(g, log p, y, w, reduction, ignore_index, Σ w_y) for NLLLossBackwardFunction; only g
    requires grad (the map is linear in g and reads log p for its shape only)."""
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    log_probs = torch.log_softmax(torch.randn(shape, dtype=torch.float64), 0 if len(shape) == 1 else 1)
    target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    target = torch.randint(0, n_classes, target_shape)
    if ignore and target.dim():
        target.view(-1)[0] = -100
    weight = torch.rand(n_classes, dtype=torch.float64) + 0.5 if weighted else None
    total_weight = weight[target.clamp_min(0)] if weighted else torch.ones(target_shape, dtype=torch.float64)
    total_weight = torch.where(target == -100, 0, total_weight).sum()
    grad = torch.randn(target_shape if reduction == "none" else (), dtype=torch.float64, requires_grad=True)
    return grad, log_probs, target, weight, reduction, -100, total_weight


NLL_SHAPES = [(5,), (4, 5), (3, 4, 2), (2, 4, 3, 2), (2, 3, 2, 2, 2)]


@pytest.mark.parametrize("shape", NLL_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize(
    ("weighted", "ignore"), [(False, False), (True, True)], ids=["plain", "weight_ignore"]
)
def test_nll_loss_backward_function(shape, reduction, weighted, ignore):
    """d/dg of dℓ/d log p (the NLL of R, in plain ops), reverse and forward mode, batched; and
    the value equals torch.nn.functional.nll_loss's gradient."""
    args = _nll_backward_args(shape, reduction, weighted, ignore)
    grad, rest = args[0], args[1:]

    def fn(g):
        return losses.NLLLossBackwardFunction.apply(g, *rest)

    assert gradcheck(fn, (grad,), **GRADCHECK)
    assert gradgradcheck(fn, (grad,), **GRADGRADCHECK)
    log_probs = rest[0].detach().requires_grad_()
    loss = TF.nll_loss(log_probs, rest[1], rest[2], reduction=reduction, ignore_index=-100)
    (expected,) = torch.autograd.grad(loss, log_probs, grad.detach())
    torch.testing.assert_close(fn(grad.detach()), expected, rtol=0, atol=1e-15)


def _projected_derivatives(fn, x, seed):
    """(d1, d2, d3): the gradient of fn(x), then gradients of its random projections ⟨dₖ, u⟩
    (a plain sum would vanish for the losses: softmax - onehot sums to 0 along the classes)."""
    generator = torch.Generator().manual_seed(seed)
    (d1,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
    u = torch.randn(x.shape, dtype=x.dtype, generator=generator)
    (d2,) = torch.autograd.grad((d1 * u).sum(), x, create_graph=True)
    v = torch.randn(x.shape, dtype=x.dtype, generator=generator)
    (d3,) = torch.autograd.grad((d2 * v).sum(), x)
    return d1, d2, d3


_TARGET = torch.tensor([0, 3, 4, 1])
_WEIGHT = torch.tensor([0.5, 1.0, 2.0, 1.5, 0.7], dtype=torch.float64)
LOSS_THIRD_ORDER = [
    ("log_softmax", lambda x: F.log_softmax(x, 1), lambda x: TF.log_softmax(x, 1)),
    ("softmax", lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1)),
    ("cross_entropy", lambda x: F.cross_entropy(x, _TARGET), lambda x: TF.cross_entropy(x, _TARGET)),
    (
        "cross_entropy_weight_sum",
        lambda x: F.cross_entropy(x, _TARGET, _WEIGHT, reduction="sum"),
        lambda x: TF.cross_entropy(x, _TARGET, _WEIGHT, reduction="sum"),
    ),
    (
        "cross_entropy_smoothing_weight",
        lambda x: F.cross_entropy(x, _TARGET, _WEIGHT, label_smoothing=0.2),
        lambda x: TF.cross_entropy(x, _TARGET, _WEIGHT, label_smoothing=0.2),
    ),
    (
        "cross_entropy_none",
        lambda x: F.cross_entropy(x, _TARGET, reduction="none") * torch.arange(1.0, 5.0, dtype=x.dtype),
        lambda x: TF.cross_entropy(x, _TARGET, reduction="none") * torch.arange(1.0, 5.0, dtype=x.dtype),
    ),
]


@pytest.mark.parametrize(
    ("ours", "theirs"), [c[1:] for c in LOSS_THIRD_ORDER], ids=[c[0] for c in LOSS_THIRD_ORDER]
)
def test_loss_third_derivatives_match_torch(ours, theirs):
    """Cross entropy's (and log-softmax's) first, second and third derivatives, through our
    backward Functions, equal torch's."""
    x = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    for a, e in zip(_projected_derivatives(ours, x, 3), _projected_derivatives(theirs, x, 3), strict=True):
        torch.testing.assert_close(a, e)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [((64, 10), {}), ((64, 10), {"weight": True, "ignore_index": 2, "reduction": "sum"}), ((8, 10, 7), {})],
    ids=["mean", "weight_ignore_sum", "kdim"],
)
def test_nll_loss_is_torch_kernels_bit_for_bit(shape, kwargs, dtype):
    """nll_loss runs torch.nn's kernels: loss and gradient equal to the last bit in every dtype."""
    torch.manual_seed(0)
    x = torch.log_softmax(torch.randn(shape) * 3, 1).to(dtype).requires_grad_()
    target = torch.randint(0, shape[1], shape[:1] + shape[2:])
    kwargs = dict(kwargs)
    if kwargs.pop("weight", False):
        kwargs["weight"] = (torch.rand(shape[1]) + 0.5).to(dtype)
    ours, theirs = F.nll_loss(x, target, **kwargs), TF.nll_loss(x, target, **kwargs)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
    grad_output = torch.rand_like(ours) + 0.5
    (actual,) = torch.autograd.grad(ours, x, grad_output)
    (expected,) = torch.autograd.grad(theirs, x, grad_output)
    torch.testing.assert_close(actual, expected, rtol=0, atol=0)


CE_PARITY = [
    ("mean", (64, 10), {}),
    ("weight_ignore_sum", (64, 10), {"weight": True, "ignore_index": 2, "reduction": "sum"}),
    ("none", (64, 10), {"reduction": "none"}),
    ("unbatched", (10,), {}),
    ("kdim", (8, 10, 3, 5), {"weight": True}),
    ("kdim_3", (8, 10, 7), {"reduction": "none"}),
    ("smoothing", (64, 10), {"label_smoothing": 0.1}),
    # 'mean' with weights divides by Σ w_y: torch sums weight[target] itself, we take the NLL
    # kernel's total, so the last bits may differ (checked normwise below)
    (
        "smoothing_weight_ignore",
        (64, 10),
        {"label_smoothing": 0.2, "weight": True, "ignore_index": 3, "exact": False},
    ),
    ("smoothing_kdim_none", (8, 10, 3, 5), {"label_smoothing": 0.3, "reduction": "none"}),
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize(("shape", "kwargs"), [c[1:] for c in CE_PARITY], ids=[c[0] for c in CE_PARITY])
def test_cross_entropy_is_torch_kernels_bit_for_bit(shape, kwargs, dtype):
    """Class-index cross entropy runs the kernels torch.nn runs (log-softmax and NLL forward,
    their backwards; label smoothing in torch's order of operations): loss and gradient equal to
    the last bit in every dtype, or, where marked, normwise to a few units of the dtype's
    rounding."""
    torch.manual_seed(0)
    x = (torch.randn(shape) * 3).to(dtype).requires_grad_()
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    target = torch.randint(0, n_classes, () if len(shape) == 1 else shape[:1] + shape[2:])
    kwargs = dict(kwargs)
    exact = kwargs.pop("exact", True)
    if kwargs.pop("weight", False):
        kwargs["weight"] = (torch.rand(n_classes) + 0.5).to(dtype)
    ours, theirs = F.cross_entropy(x, target, **kwargs), TF.cross_entropy(x, target, **kwargs)
    grad_output = torch.rand_like(ours) + 0.5
    (actual,) = torch.autograd.grad(ours, x, grad_output)
    (expected,) = torch.autograd.grad(theirs, x, grad_output)
    if exact:
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
        torch.testing.assert_close(actual, expected, rtol=0, atol=0)
        return
    tolerance = 8 * torch.finfo(dtype).eps
    for a, e in ((ours, theirs), (actual, expected)):
        assert torch.linalg.vector_norm((a - e).double()) <= tolerance * torch.linalg.vector_norm(e.double())


BACKWARD_NODES = [
    ("log_softmax", lambda x: F.log_softmax(x, 1), "LogSoftmaxBackwardFunctionBackward"),
    ("softmax", lambda x: F.softmax(x, 1), "SoftmaxBackwardFunctionBackward"),
    (
        "cross_entropy",
        lambda x: F.cross_entropy(x, torch.tensor([0, 3, 1])),
        "LogSoftmaxBackwardFunctionBackward",
    ),
]


@pytest.mark.parametrize(("fn", "node"), [c[1:] for c in BACKWARD_NODES], ids=[c[0] for c in BACKWARD_NODES])
def test_create_graph_goes_through_our_backward_function(fn, node):
    """With ``create_graph=True`` the gradient's graph is our explicit second derivative (not
    ATen's derivative of its kernel), with the value of the plain backward's bare kernel."""
    x = torch.randn(3, 4, requires_grad=True)
    (grad,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
    assert type(grad.grad_fn).__name__ == node
    (plain,) = torch.autograd.grad(fn(x).sum(), x)
    torch.testing.assert_close(plain, grad.detach(), rtol=0, atol=0)


class _CountOps(TorchDispatchMode):
    """The ATen ops that reach the dispatcher while it is active, by name."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: collections.Counter = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops[func.overloadpacket.__name__] += 1
        return func(*args, **(kwargs or {}))


# Ops that allocate a tensor of their own (``scatter`` out of place copies its input).
_ALLOCATING = {"zeros", "zeros_like", "new_zeros", "empty", "empty_like", "full", "clone", "copy_", "scatter"}


def _backward_allocations(fn, *tensors) -> int:
    output = fn(*tensors)
    with _CountOps() as counter:
        torch.autograd.grad(output, [t for t in tensors if t.requires_grad], torch.ones_like(output))
    return sum(count for name, count in counter.ops.items() if name in _ALLOCATING)


_CLASSES = torch.tensor([0, 4, 2, 2, 1, 3])


@pytest.mark.parametrize(
    ("ours", "theirs", "shapes"),
    [
        (
            lambda x, w, b: F.maxout(x, w, b, pieces=2),
            lambda x, w, b: TF.linear(x, w, b).unflatten(-1, (2, -1)).max(-2).values,
            [(6, 4), (10, 4), (10,)],
        ),
        (lambda x: F.nll_loss(x, _CLASSES), lambda x: TF.nll_loss(x, _CLASSES), [(6, 5)]),
        (lambda x: F.cross_entropy(x, _CLASSES), lambda x: TF.cross_entropy(x, _CLASSES), [(6, 5)]),
    ],
    ids=["maxout", "nll_loss", "cross_entropy"],
)
def test_backward_allocates_no_more_than_torch_nn(ours, theirs, shapes):
    """A Function with a non-differentiable output (Maxout's winning piece, NLL's Σ w_y) gets no
    zeros materialised for that output's gradient, and Maxout scatters into one fresh tensor:
    backward allocates no more tensors than torch.nn's does."""
    tensors = [torch.randn(shape, requires_grad=True) for shape in shapes]
    assert _backward_allocations(ours, *tensors) <= _backward_allocations(theirs, *tensors)
