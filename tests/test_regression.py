"""Squared error, smooth L1 and binary cross entropy (``torchlayers/autograd/regression.py``) beyond the
registry's generic checks (the audit's ``formula_vs_kernel`` compares each kernel with its
formula, ``tests/test_kernels.py`` proves formula mode pure): with kernels on, torch.nn's bits,
saved tensors and allocations; with kernels off, torch.nn's values at 0, 1, NaN and inf; third
derivatives against torch's and the range checks in both modes. The tests here pick their mode
themselves.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.autograd import gradcheck, gradgradcheck
from torch.utils._python_dispatch import TorchDispatchMode

import torchlayers
import torchlayers.functional as F
from tests._helpers import grads
from torchlayers.testing import saved_tensor_bytes

DTYPES = [torch.float64, torch.float32, torch.float16, torch.bfloat16]
MODES = [pytest.param(True, id="kernels"), pytest.param(False, id="formulas")]
GRADCHECK = {"check_forward_ad": True, "check_batched_grad": True, "check_batched_forward_grad": True}
GRADGRADCHECK = {"check_fwd_over_rev": True, "check_batched_grad": True}


# --- kernels on: torch.nn's bits, saved tensors and allocations ---------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_is_torch_kernels_bit_for_bit(reduction, dtype):
    """Unweighted same-shape mse_loss runs torch.nn's kernels: loss and both gradients equal to
    the last bit in every dtype."""
    torch.manual_seed(0)
    x = torch.randn(16, 1031).to(dtype).requires_grad_()
    y = torch.randn(16, 1031).to(dtype).requires_grad_()
    with torchlayers.use_kernels(True):
        ours = F.mse_loss(x, y, reduction=reduction)
        theirs = TF.mse_loss(x, y, reduction=reduction)
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
        grad_output = torch.rand_like(ours) + 0.5
        actual = torch.autograd.grad(ours, (x, y), grad_output)
    expected = torch.autograd.grad(theirs, (x, y), grad_output)
    for a, e in zip(actual, expected, strict=True):
        torch.testing.assert_close(a, e, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("reduction", "weighted"), [("mean", False), ("sum", True), ("none", True)])
def test_binary_cross_entropy_is_torch_kernels_bit_for_bit(reduction, weighted, dtype):
    """Same-shape, same-dtype binary_cross_entropy runs torch.nn's kernels: loss and both
    gradients equal to the last bit in every dtype."""
    torch.manual_seed(0)
    x = torch.rand(16, 1031).clamp(0.01, 0.99).to(dtype).requires_grad_()
    y = torch.rand(16, 1031).to(dtype).requires_grad_()
    weight = torch.rand(16, 1031).to(dtype) if weighted else None
    with torchlayers.use_kernels(True):
        ours = F.binary_cross_entropy(x, y, weight, reduction=reduction)
        theirs = TF.binary_cross_entropy(x, y, weight, reduction=reduction)
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
        grad_output = torch.rand_like(ours) + 0.5
        actual = torch.autograd.grad(ours, (x, y), grad_output)
    expected = torch.autograd.grad(theirs, (x, y), grad_output)
    for a, e in zip(actual, expected, strict=True):
        torch.testing.assert_close(a, e, rtol=0, atol=0)


def saved_bytes(fn, *inputs) -> int:
    """The bytes of the distinct storages a call saves for backward."""
    return saved_tensor_bytes(lambda: fn(*inputs))


class CountAllocations(TorchDispatchMode):
    """The ATen ops that return a fresh tensor (factories, out-of-place ops), by count."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        output = func(*args, **(kwargs or {}))
        inputs = {a.untyped_storage().data_ptr() for a in args if isinstance(a, torch.Tensor)}
        outputs = output if isinstance(output, (tuple, list)) else (output,)
        for tensor in outputs:
            if isinstance(tensor, torch.Tensor) and tensor.untyped_storage().data_ptr() not in inputs:
                self.count += 1
        return output


def backward_allocations(fn, *tensors) -> int:
    output = fn(*tensors)
    grad_output = torch.ones_like(output)
    with CountAllocations() as counter:
        torch.autograd.grad(output, [t for t in tensors if t.requires_grad], grad_output)
    return counter.count


_TARGET = torch.rand(6, 5)
_WEIGHT = torch.rand(6, 5)
COSTS = [
    ("mse_loss", F.mse_loss, TF.mse_loss, [(6, 5), (6, 5)]),
    (
        "mse_loss_sum",
        lambda x: F.mse_loss(x, _TARGET, reduction="sum"),
        lambda x: TF.mse_loss(x, _TARGET, reduction="sum"),
        [(6, 5)],
    ),
    (
        "smooth_l1_loss",
        lambda x, y: F.smooth_l1_loss(x, y, beta=0.5),
        lambda x, y: TF.smooth_l1_loss(x, y, beta=0.5),
        [(6, 5), (6, 5)],
    ),
    (
        "binary_cross_entropy",
        lambda x: F.binary_cross_entropy(torch.sigmoid(x), _TARGET, _WEIGHT),
        lambda x: TF.binary_cross_entropy(torch.sigmoid(x), _TARGET, _WEIGHT),
        [(6, 5)],
    ),
    (
        "binary_cross_entropy_target",
        lambda x, y: F.binary_cross_entropy(torch.sigmoid(x), torch.sigmoid(y), reduction="none"),
        lambda x, y: TF.binary_cross_entropy(torch.sigmoid(x), torch.sigmoid(y), reduction="none"),
        [(6, 5), (6, 5)],
    ),
]


@pytest.mark.parametrize(("ours", "theirs", "shapes"), [c[1:] for c in COSTS], ids=[c[0] for c in COSTS])
def test_saves_no_more_than_torch_nn(ours, theirs, shapes):
    """Both modes save what torch.nn saves (the inputs), no more."""
    tensors = [torch.randn(shape, requires_grad=True) for shape in shapes]
    expected = saved_bytes(theirs, *tensors)
    for enabled in (True, False):
        with torchlayers.use_kernels(enabled):
            assert saved_bytes(ours, *tensors) <= expected, enabled


@pytest.mark.parametrize(("ours", "theirs", "shapes"), [c[1:] for c in COSTS], ids=[c[0] for c in COSTS])
def test_backward_allocates_no_more_than_torch_nn(ours, theirs, shapes):
    """With kernels on, backward allocates no more tensors than torch.nn's."""
    tensors = [torch.randn(shape, requires_grad=True) for shape in shapes]
    with torchlayers.use_kernels(True):
        assert backward_allocations(ours, *tensors) <= backward_allocations(theirs, *tensors)


# --- kernels off: the formulas against torch.nn ---------------------------------------------


def _tolerance(dtype):
    return {"rtol": 1e-10, "atol": 1e-12} if dtype == torch.float64 else {}


def _compare(ours, theirs, tensors, dtype, grad_output=None):
    """Values and the gradients of ``tensors`` of two calls, NaN and inf included."""
    expected = theirs()
    with torchlayers.use_kernels(False):
        actual = ours()
        grad_output = torch.ones_like(expected) if grad_output is None else grad_output
        actual_grads = grads(actual, tensors, grad_output)
    torch.testing.assert_close(actual, expected, equal_nan=True, **_tolerance(dtype))
    for a, e in zip(actual_grads, grads(expected, tensors, grad_output), strict=True):
        torch.testing.assert_close(a, e, equal_nan=True, **_tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_bce_formula_at_the_ends_of_the_interval(reduction, dtype):
    """Predictions of exactly 0 and 1 (logs clamped at -100, the backward's 1e-12 floor), next to
    ordinary ones, with a weight: the formula gives torch.nn's loss and input gradient."""
    x = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.3, 1e-30, 0.999, 0.5], dtype=dtype).requires_grad_()
    y = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.7, 0.0, 1.0, 0.25], dtype=dtype)
    w = torch.linspace(0.5, 2.0, 8, dtype=dtype)
    _compare(
        lambda: F.binary_cross_entropy(x, y, w, reduction=reduction),
        lambda: TF.binary_cross_entropy(x, y, w, reduction=reduction),
        [x],
        dtype,
    )


def test_bce_target_gradient_is_torchs_at_the_ends():
    """dℓ/dy = w (log(1 - x) - log x), unclamped as torch's: ±inf at x = 1 and 0."""
    x = torch.tensor([0.0, 1.0, 0.2, 0.9], dtype=torch.float64)
    y = torch.tensor([0.5, 0.5, 0.1, 1.0], dtype=torch.float64, requires_grad=True)
    for enabled in (True, False):
        with torchlayers.use_kernels(enabled):
            (ours,) = torch.autograd.grad(F.binary_cross_entropy(x, y, reduction="sum"), y)
        (theirs,) = torch.autograd.grad(TF.binary_cross_entropy(x, y, reduction="sum"), y)
        torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=0)
        assert ours[0] == float("inf") and ours[1] == float("-inf")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_mse_formula_at_special_values(reduction, dtype):
    """NaN, ±inf and huge differences: the formula gives torch.nn's loss and gradients."""
    x = torch.tensor([float("nan"), float("inf"), 1.0, -float("inf"), 3e4, 0.5], dtype=dtype)
    y = torch.tensor([0.0, 1.0, float("inf"), -float("inf"), -3e4, 0.5], dtype=dtype)
    x.requires_grad_()
    y.requires_grad_()
    _compare(
        lambda: F.mse_loss(x, y, reduction=reduction),
        lambda: TF.mse_loss(x, y, reduction=reduction),
        [x, y],
        dtype,
    )


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.filterwarnings("ignore::UserWarning")  # torch warns about the broadcast
def test_mse_broadcasting_and_mixed_dtypes_are_torchs(reduction):
    """A 0-dim float64 target against a float32 input broadcasts and promotes as torch's
    (which subtracts the broadcast tensors: float64), in both modes; the gradients are summed
    back to each shape."""
    x = torch.randn(4, 3, requires_grad=True)
    y = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    expected = TF.mse_loss(x, y, reduction=reduction)
    grad_output = torch.rand_like(expected)
    expected_grads = grads(expected, [x, y], grad_output)
    for enabled in (True, False):
        with torchlayers.use_kernels(enabled):
            actual = F.mse_loss(x, y, reduction=reduction)
            assert actual.dtype == expected.dtype == torch.float64
            torch.testing.assert_close(actual, expected)
            for a, e in zip(grads(actual, [x, y], grad_output), expected_grads, strict=True):
                assert a.dtype == e.dtype
                torch.testing.assert_close(a, e)


@pytest.mark.parametrize("kernels", MODES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.filterwarnings("ignore::UserWarning")  # torch warns about the broadcast
def test_mse_weight_over_a_broadcast_target(reduction, kernels):
    """A target broadcast over the weighted input: each weight scales several positions, and
    'mean' divides by Σ w over the weight's own elements, as torch's. The values are torch's;
    the derivatives in x, y and w pass gradcheck and gradgradcheck, forward mode included."""
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    y = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    w = (torch.rand(3, dtype=torch.float64) + 0.5).requires_grad_()

    def loss(x, y, w):
        return F.mse_loss(x, y, reduction=reduction, weight=w)

    with torchlayers.use_kernels(kernels):
        torch.testing.assert_close(loss(x, y, w), TF.mse_loss(x, y, reduction=reduction, weight=w))
        assert gradcheck(loss, (x, y, w), **GRADCHECK)
        assert gradgradcheck(loss, (x, y, w), **GRADGRADCHECK)


# --- higher derivatives ---------------------------------------------------------------------


def _projected_derivatives(fn, x, seed):
    """(d1, d2, d3): the gradient of fn(x), then gradients of its random projections ⟨dₖ, u⟩."""
    generator = torch.Generator().manual_seed(seed)
    (d1,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
    u = torch.randn(x.shape, dtype=x.dtype, generator=generator)
    (d2,) = torch.autograd.grad((d1 * u).sum(), x, create_graph=True)
    v = torch.randn(x.shape, dtype=x.dtype, generator=generator)
    (d3,) = torch.autograd.grad((d2 * v).sum(), x)
    return d1, d2, d3


_MSE_TARGET = torch.randn(4, 5, dtype=torch.float64)
_BCE_TARGET = torch.rand(4, 5, dtype=torch.float64)
_BCE_WEIGHT = torch.rand(4, 5, dtype=torch.float64) + 0.5
THIRD_ORDER = [
    (
        "binary_cross_entropy",
        lambda x: F.binary_cross_entropy(torch.sigmoid(x), _BCE_TARGET),
        lambda x: TF.binary_cross_entropy(torch.sigmoid(x), _BCE_TARGET),
    ),
    (
        "binary_cross_entropy_target",  # the target's derivatives, -logit(x) and beyond
        lambda y: F.binary_cross_entropy(
            torch.sigmoid(y * y), torch.sigmoid(y), _BCE_WEIGHT, reduction="sum"
        ),
        lambda y: TF.binary_cross_entropy(
            torch.sigmoid(y * y), torch.sigmoid(y), _BCE_WEIGHT, reduction="sum"
        ),
    ),
    (
        "mse_loss",
        lambda x: F.mse_loss(x * x, _MSE_TARGET),  # x² inside, so the third derivative is not 0
        lambda x: TF.mse_loss(x * x, _MSE_TARGET),
    ),
    (
        "smooth_l1_loss",  # x² inside; 2.0 - x² crosses both branches of β = 0.5
        lambda x: F.smooth_l1_loss(x * x, _MSE_TARGET, beta=0.5),
        lambda x: TF.smooth_l1_loss(x * x, _MSE_TARGET, beta=0.5),
    ),
    (
        "mse_loss_weighted",
        lambda x: F.mse_loss(x * x, _MSE_TARGET, weight=x.exp()),  # the weight's derivatives too
        lambda x: TF.mse_loss(x * x, _MSE_TARGET, weight=x.exp()),
    ),
]


@pytest.mark.parametrize("kernels", MODES)
@pytest.mark.parametrize(("ours", "theirs"), [c[1:] for c in THIRD_ORDER], ids=[c[0] for c in THIRD_ORDER])
def test_third_derivatives_match_torch(ours, theirs, kernels):
    """First, second and third derivatives equal torch's, in either mode (double backward
    differentiates the formulas in both)."""
    x = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    with torchlayers.use_kernels(kernels):
        actual = _projected_derivatives(ours, x, 3)
    for a, e in zip(actual, _projected_derivatives(theirs, x, 3), strict=True):
        torch.testing.assert_close(a, e)


@pytest.mark.parametrize("kernels", MODES)
def test_bce_range_is_checked_in_both_modes(kernels):
    """The kernel checks 0 <= x, y <= 1; where the formula runs instead (formula mode, forward
    AD), the functional checks."""
    x = torch.tensor([0.5, 1.5], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0], dtype=torch.float64)
    with torchlayers.use_kernels(kernels):
        with pytest.raises(RuntimeError, match="between 0 and 1"):
            F.binary_cross_entropy(x, y)
        with torch.autograd.forward_ad.dual_level(), pytest.raises(RuntimeError, match="between 0 and 1"):
            F.binary_cross_entropy(torch.autograd.forward_ad.make_dual(x, torch.ones_like(x)), y)


# --- smooth L1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("reduction", "beta"), [("mean", 1.0), ("sum", 0.5), ("none", 2.0)])
def test_smooth_l1_loss_is_torch_kernels_bit_for_bit(reduction, beta, dtype):
    """Same-dtype smooth_l1_loss with β > 0 runs torch.nn's kernels: loss and both gradients
    equal to the last bit in every dtype."""
    torch.manual_seed(0)
    x = (2 * torch.randn(16, 1031)).to(dtype).requires_grad_()
    y = torch.randn(16, 1031).to(dtype).requires_grad_()
    with torchlayers.use_kernels(True):
        ours = F.smooth_l1_loss(x, y, reduction=reduction, beta=beta)
        theirs = TF.smooth_l1_loss(x, y, reduction=reduction, beta=beta)
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
        grad_output = torch.rand_like(ours) + 0.5
        actual = torch.autograd.grad(ours, (x, y), grad_output)
    expected = torch.autograd.grad(theirs, (x, y), grad_output)
    for a, e in zip(actual, expected, strict=True):
        torch.testing.assert_close(a, e, rtol=0, atol=0)


# d = x - y at hand-picked points, β = 1: inside, on the edges |d| = β, outside, and 0
_D = [-3.0, -1.0, -0.5, 0.0, 0.25, 1.0, 2.0]
_SMOOTH_L1_LOSS = [2.5, 0.5, 0.125, 0.0, 0.03125, 0.5, 1.5]  # 0.5 d² inside, |d| - 0.5 outside
_SMOOTH_L1_SLOPE = [-1.0, -1.0, -0.5, 0.0, 0.25, 1.0, 1.0]  # d inside, sign(d) outside
_SMOOTH_L1_CURVATURE = [0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]  # 1/β strictly inside, 0 from |d| = β on


@pytest.mark.parametrize("kernels", MODES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_smooth_l1_derivatives_at_hand_picked_points(reduction, kernels):
    """Loss, dℓ/dx = d/β or sign(d), dℓ/dy = -dℓ/dx and d²ℓ/dx² = 1/β inside, 0 on and beyond
    |d| = β (torch's double backward), with the 1/N of 'mean'; β = 2 halves the quadratic part."""
    y = torch.linspace(-1.0, 1.0, len(_D), dtype=torch.float64)
    for beta, scale in ((1.0, 1.0), (2.0, 2.0)):
        x = (y + scale * torch.tensor(_D, dtype=torch.float64)).requires_grad_()
        target = y.clone().requires_grad_()
        n = len(_D) if reduction == "mean" else 1
        expected_loss = scale * torch.tensor(_SMOOTH_L1_LOSS, dtype=torch.float64) / n
        with torchlayers.use_kernels(kernels):
            loss = F.smooth_l1_loss(x, target, reduction=reduction, beta=beta)
            torch.testing.assert_close(loss, expected_loss if reduction == "none" else expected_loss.sum())
            grad_x, grad_y = torch.autograd.grad(loss.sum(), (x, target), create_graph=True)
            (curvature,) = torch.autograd.grad(grad_x.sum(), x)
        slope = torch.tensor(_SMOOTH_L1_SLOPE, dtype=torch.float64) / n
        torch.testing.assert_close(grad_x, slope, rtol=0, atol=1e-15)
        torch.testing.assert_close(grad_y, -slope, rtol=0, atol=1e-15)
        expected_curvature = torch.tensor(_SMOOTH_L1_CURVATURE, dtype=torch.float64) / (beta * n)
        torch.testing.assert_close(curvature, expected_curvature, rtol=0, atol=1e-15)
        (their_curvature,) = torch.autograd.grad(
            torch.autograd.grad(
                TF.smooth_l1_loss(x, target, reduction=reduction, beta=beta).sum(), x, create_graph=True
            )[0].sum(),
            x,
        )
        torch.testing.assert_close(curvature, their_curvature, rtol=0, atol=1e-15)


@pytest.mark.parametrize("kernels", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_smooth_l1_with_beta_zero_is_l1(reduction, dtype, kernels):
    """β = 0 is the L1 loss, as torch.nn.functional special-cases it: |d|, slope sign(d), 0 at
    d = 0 (the kernel's d/β would be 0/0 there), second derivative 0; values and gradients are
    torch's smooth_l1_loss(β=0) and l1_loss."""
    x = torch.tensor([-2.0, -0.5, 0.0, 0.25, 3.0, 1.0], dtype=dtype).requires_grad_()
    y = torch.tensor([0.0, 0.0, 0.0, 0.0, 0.0, 1.0], dtype=dtype).requires_grad_()
    with torchlayers.use_kernels(kernels):
        ours = F.smooth_l1_loss(x, y, reduction=reduction, beta=0.0)
        actual = torch.autograd.grad(ours.sum(), (x, y), create_graph=True)
        (curvature,) = torch.autograd.grad(actual[0].sum(), x, allow_unused=True, materialize_grads=True)
    for theirs in (
        TF.smooth_l1_loss(x, y, reduction=reduction, beta=0.0),
        TF.l1_loss(x, y, reduction=reduction),
    ):
        torch.testing.assert_close(ours, theirs)
        for a, e in zip(actual, torch.autograd.grad(theirs.sum(), (x, y)), strict=True):
            torch.testing.assert_close(a, e)
    n = 6 if reduction == "mean" else 1
    sign = torch.tensor([-1.0, -1.0, 0.0, 1.0, 1.0, 0.0], dtype=dtype) / n
    torch.testing.assert_close(actual[0], sign)
    assert not curvature.any()


@pytest.mark.parametrize("kernels", MODES)
def test_smooth_l1_negative_beta_raises_like_torch(kernels):
    x, y = torch.randn(3), torch.randn(3)
    with pytest.raises(RuntimeError) as theirs:
        TF.smooth_l1_loss(x, y, beta=-0.5)
    with torchlayers.use_kernels(kernels), pytest.raises(RuntimeError) as ours:
        F.smooth_l1_loss(x, y, beta=-0.5)
    assert str(ours.value) == str(theirs.value) == "smooth_l1_loss does not support negative values for beta."
    with pytest.raises(RuntimeError, match="negative values for beta"):
        torchlayers.nn.SmoothL1Loss(beta=-1.0)(x, y)


@pytest.mark.parametrize("kernels", MODES)
@pytest.mark.parametrize("beta", [1.0, 0.0])
def test_smooth_l1_empty_input_is_torchs(beta, kernels):
    """'mean' over no positions is NaN, 'sum' 0, 'none' empty, as torch's; gradients are empty."""
    x = torch.empty(0, 3, requires_grad=True)
    y = torch.empty(0, 3)
    with torchlayers.use_kernels(kernels):
        for reduction in ("mean", "sum", "none"):
            ours = F.smooth_l1_loss(x, y, reduction=reduction, beta=beta)
            theirs = TF.smooth_l1_loss(x, y, reduction=reduction, beta=beta)
            torch.testing.assert_close(ours, theirs, equal_nan=True)
            (grad,) = torch.autograd.grad(ours.sum(), x)
            assert grad.shape == x.shape
    assert F.smooth_l1_loss(x, y, beta=beta).isnan()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("reduction", "beta"), [("none", 1.0), ("mean", 0.5), ("sum", 0.0), ("none", 0.0)])
def test_smooth_l1_formula_at_special_values(reduction, beta, dtype):
    """NaN, ±inf and huge differences: the formula gives torch.nn's loss and gradients (a NaN
    difference has slope NaN for β > 0, as ATen's kernel, and 0 for β = 0, as L1's sign)."""
    nan, inf = float("nan"), float("inf")
    x = torch.tensor([nan, inf, 1.0, -inf, 3e4, 0.5, 0.0], dtype=dtype).requires_grad_()
    y = torch.tensor([0.0, 1.0, inf, 0.0, -3e4, 0.5, nan], dtype=dtype).requires_grad_()
    _compare(
        lambda: F.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
        lambda: TF.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
        [x, y],
        dtype,
    )


@pytest.mark.parametrize("kernels", MODES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_smooth_l1_broadcasting_warns_and_sums_back_like_torch(reduction, kernels):
    """A target of another shape warns as torch's (where the user called) and broadcasts; a
    0-dim float64 target promotes the loss to float64; both gradients are summed back."""
    for x, y in (
        (torch.randn(4, 3, requires_grad=True), torch.randn(3, requires_grad=True)),
        (torch.randn(4, 1, requires_grad=True), torch.randn(1, 3, requires_grad=True)),
        (torch.randn(4, 3, requires_grad=True), torch.tensor(0.5, dtype=torch.float64, requires_grad=True)),
    ):
        with pytest.warns(UserWarning, match="different to the input size") as record:
            expected = TF.smooth_l1_loss(x, y, reduction=reduction, beta=0.5)
        with torchlayers.use_kernels(kernels), pytest.warns(UserWarning, match="different") as ours:
            actual = F.smooth_l1_loss(x, y, reduction=reduction, beta=0.5)
        assert str(ours[0].message) == str(record[0].message)
        assert ours[0].filename == __file__
        assert actual.dtype == expected.dtype
        torch.testing.assert_close(actual, expected)
        grad_output = torch.rand_like(expected)
        for a, e in zip(
            grads(actual, [x, y], grad_output), grads(expected, [x, y], grad_output), strict=True
        ):
            assert a.shape == e.shape and a.dtype == e.dtype
            torch.testing.assert_close(a, e)


@pytest.mark.parametrize("kernels", MODES)
@pytest.mark.parametrize("beta", [1.0, 0.0])
@pytest.mark.filterwarnings("ignore::UserWarning")  # the broadcast
def test_smooth_l1_higher_derivatives_pass_gradcheck(beta, kernels):
    """gradcheck and gradgradcheck, forward mode and batched included, with a broadcast target
    (values kept off the kinks |d| = β and, for β = 0, d = 0)."""
    x = torch.tensor([[-2.0, -0.4, 0.3], [0.8, 1.7, -1.3]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.1, -0.15, 0.2], dtype=torch.float64, requires_grad=True)

    def loss(x, y):
        return F.smooth_l1_loss(x, y, reduction="sum", beta=beta)

    with torchlayers.use_kernels(kernels):
        assert gradcheck(loss, (x, y), **GRADCHECK)
        assert gradgradcheck(loss, (x, y), **GRADGRADCHECK)
