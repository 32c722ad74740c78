"""The multi-class hinge loss (``torchlayers/autograd/hinge.py``) beyond the registry's generic
checks: torch.nn's bits, saved tensors and allocations with kernels on; with kernels off,
torch.nn's values at NaN and inf, and the range check the kernel would make; half precision
(which torch's CPU kernel lacks) against float32; higher derivatives, which torch does not
have, against finite differences.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.autograd import gradcheck, gradgradcheck

import torchlayers
import torchlayers.functional as F
from tests.test_regression import MODES, backward_allocations, saved_bytes

# --- kernels on ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize(("p", "reduction"), [(1, "mean"), (2, "sum"), (2, "none")])
def test_multi_margin_loss_is_torch_kernels_bit_for_bit(p, reduction, dtype):
    """multi_margin_loss in float32/float64 runs torch.nn's kernels: loss and gradient equal to the
    last bit."""
    torch.manual_seed(0)
    x = torch.randn(64, 10).to(dtype).requires_grad_()
    target = torch.randint(0, 10, (64,))
    weight = (torch.rand(10) + 0.5).to(dtype)
    with torchlayers.use_kernels(True):
        ours = F.multi_margin_loss(x, target, p=p, weight=weight, reduction=reduction)
        theirs = TF.multi_margin_loss(x, target, p=p, weight=weight, reduction=reduction)
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
        grad_output = torch.rand_like(ours) + 0.5
        (actual,) = torch.autograd.grad(ours, x, grad_output)
    (expected,) = torch.autograd.grad(theirs, x, grad_output)
    torch.testing.assert_close(actual, expected, rtol=0, atol=0)


_CLASSES = torch.tensor([0, 4, 2, 2, 1, 3])
_WEIGHT = torch.tensor([0.5, 1.0, 2.0, 1.5, 0.7])


@pytest.mark.parametrize("p", [1, 2])
def test_saves_and_allocates_no_more_than_torch_nn(p):
    x = torch.randn(6, 5, requires_grad=True)

    def ours(x):
        return F.multi_margin_loss(x, _CLASSES, p=p, weight=_WEIGHT)

    def theirs(x):
        return TF.multi_margin_loss(x, _CLASSES, p=p, weight=_WEIGHT)

    for enabled in (True, False):
        with torchlayers.use_kernels(enabled):
            assert saved_bytes(ours, x) <= saved_bytes(theirs, x), enabled
    with torchlayers.use_kernels(True):
        assert backward_allocations(ours, x) <= backward_allocations(theirs, x)


# --- kernels off ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize(("p", "reduction"), [(1, "none"), (2, "none"), (1, "mean"), (2, "sum")])
def test_formula_at_special_values_is_torchs(p, reduction, dtype):
    """NaN and ±inf scores: a NaN violates no margin; an infinite score violates by inf. The
    formula gives torch.nn's loss and gradient (float64 to 1e-10 relative)."""
    nan, inf = float("nan"), float("inf")
    x = torch.tensor(
        [
            [nan, 0.1, 0.2, 0.3],
            [0.1, nan, 0.2, 0.3],
            [inf, 0.0, 0.5, -1.0],
            [0.0, inf, 0.5, -1.0],
            [-inf, 0.0, 0.5, 0.2],
            [0.4, 0.3, -inf, 2.0],
        ],
        dtype=dtype,
        requires_grad=True,
    )
    target = torch.tensor([1, 1, 1, 1, 2, 3])
    weight = torch.tensor([0.5, 1.0, 2.0, 1.5], dtype=dtype)
    expected = TF.multi_margin_loss(x, target, p=p, weight=weight, reduction=reduction)
    grad_output = torch.rand_like(expected) + 0.5
    (expected_grad,) = torch.autograd.grad(expected, x, grad_output)
    with torchlayers.use_kernels(False):
        actual = F.multi_margin_loss(x, target, p=p, weight=weight, reduction=reduction)
        (actual_grad,) = torch.autograd.grad(actual, x, grad_output)
    tolerance = {"rtol": 1e-10, "atol": 1e-12} if dtype == torch.float64 else {}
    torch.testing.assert_close(actual, expected, equal_nan=True, **tolerance)
    torch.testing.assert_close(actual_grad, expected_grad, equal_nan=True, **tolerance)


@pytest.mark.parametrize("kernels", MODES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize(("p", "reduction"), [(1, "mean"), (2, "none")])
def test_half_precision_is_float32_rounded(p, reduction, dtype, kernels):
    """float16/bfloat16, which torch's CPU kernel lacks, run the formula in float32 and round
    once: the loss and gradient are torch's float32 ones rounded to the dtype."""
    torch.manual_seed(0)
    x = torch.randn(32, 7).to(dtype).requires_grad_()
    target = torch.randint(0, 7, (32,))
    weight = (torch.rand(7) + 0.5).to(dtype)
    wide = x.detach().float().requires_grad_()
    expected = TF.multi_margin_loss(wide, target, p=p, weight=weight.float(), reduction=reduction)
    grad_output = (torch.rand_like(expected) + 0.5).to(dtype)
    (expected_grad,) = torch.autograd.grad(expected, wide, grad_output.float())
    with torchlayers.use_kernels(kernels):
        actual = F.multi_margin_loss(x, target, p=p, weight=weight, reduction=reduction)
        (actual_grad,) = torch.autograd.grad(actual, x, grad_output)
    assert actual.dtype == actual_grad.dtype == dtype
    torch.testing.assert_close(actual, expected.to(dtype))
    torch.testing.assert_close(actual_grad, expected_grad.to(dtype))


@pytest.mark.parametrize("kernels", MODES)
def test_target_range_is_checked_in_both_modes(kernels):
    """The kernel checks 0 <= y < C; where the formula runs instead, the functional checks."""
    x = torch.randn(3, 4, dtype=torch.float64)
    with torchlayers.use_kernels(kernels):
        for target in (torch.tensor([0, 4, 1]), torch.tensor([0, -1, 1])):
            with pytest.raises(RuntimeError, match="out of range"):
                F.multi_margin_loss(x, target)
            with torch.autograd.forward_ad.dual_level(), pytest.raises(RuntimeError, match="out of range"):
                F.multi_margin_loss(torch.autograd.forward_ad.make_dual(x, torch.ones_like(x)), target)


# --- higher derivatives ---------------------------------------------------------------------


@pytest.mark.parametrize("kernels", MODES)
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_higher_derivatives_against_finite_differences(reduction, kernels):
    """torch has no double backward for multi_margin_loss; ours is checked numerically instead:
    gradcheck and gradgradcheck of x ↦ dℓ/dx (the loss's second and third derivatives), for
    ℓ = hinge²(x²) off the kinks."""
    generator = torch.Generator().manual_seed(5)
    x = (torch.randn(4, 5, dtype=torch.float64, generator=generator) + 1).requires_grad_()
    target = torch.tensor([0, 3, 4, 1])
    weight = _WEIGHT.double()
    scale = torch.arange(1.0, 5.0, dtype=torch.float64)

    def gradient(x):
        loss = F.multi_margin_loss(x * x, target, p=2, weight=weight, reduction=reduction)
        loss = loss if reduction == "mean" else (loss * scale).sum()
        return torch.autograd.grad(loss, x, create_graph=True)[0]

    z = 1 - (x * x).detach().gather(1, target.unsqueeze(1)) + (x * x).detach()
    assert z.abs().min() > 1e-3
    with torchlayers.use_kernels(kernels):
        assert gradcheck(gradient, (x,))
        assert gradgradcheck(gradient, (x,))
