"""The margin losses (``torchlayers/autograd/hinge.py``) beyond the registry's generic checks.
For the multi-class hinge loss: torch.nn's bits, saved tensors and allocations with kernels
on; with kernels off, torch.nn's values at NaN and inf, and the range check the kernel would
make; half precision (which torch's CPU kernel lacks) against float32; higher derivatives,
which torch does not have, against finite differences. For the soft margin and ranking losses: torch.nn's bits
(soft margin, kernels on), the derivatives at hand-picked points, the kink and NaN as torch's,
torch's errors, and higher derivatives against torch's.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.autograd import gradcheck, gradgradcheck

import torchlayers
import torchlayers.functional as F
from tests._helpers import grads
from tests.test_regression import (
    DTYPES,
    GRADCHECK,
    GRADGRADCHECK,
    MODES,
    _projected_derivatives,
    backward_allocations,
    saved_bytes,
)

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


# --- soft margin -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("reduction", "integer_target"), [("mean", False), ("sum", True), ("none", False)])
def test_soft_margin_loss_is_torch_kernels_bit_for_bit(reduction, integer_target, dtype):
    """soft_margin_loss runs torch.nn's kernels: loss and gradient equal to the last bit in every
    dtype, with a floating or an integer ±1 target."""
    torch.manual_seed(0)
    x = (3 * torch.randn(16, 1031)).to(dtype).requires_grad_()
    y = torch.randn(16, 1031).sign()
    y = y.long() if integer_target else y.to(dtype)
    with torchlayers.use_kernels(True):
        ours = F.soft_margin_loss(x, y, reduction=reduction)
        theirs = TF.soft_margin_loss(x, y, reduction=reduction)
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
        grad_output = torch.rand_like(ours) + 0.5
        (actual,) = torch.autograd.grad(ours, x, grad_output)
    (expected,) = torch.autograd.grad(theirs, x, grad_output)
    # e^{-yx} overflows float16 past -yx ≈ 11 in torch's kernel: NaN gradients, here as there
    torch.testing.assert_close(actual, expected, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("kernels", MODES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_soft_margin_derivatives_at_hand_picked_points(reduction, kernels):
    """ℓ = log(1 + e^{-yx}), dℓ/dx = -y σ(-yx), d²ℓ/dx² = y² σ(yx) σ(-yx), with 1/N for 'mean':
    at yx = 0 (log 2, -y/2, 1/4), a wrong label (x = 2, y = -1) and a right one far out."""
    x = torch.tensor([0.0, 0.0, 2.0, -1.0, 20.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1.0, -1.0, -1.0, 1.0, 1.0], dtype=torch.float64)
    n = 5 if reduction == "mean" else 1
    s2, s1 = torch.sigmoid(torch.tensor(2.0, dtype=torch.float64)), torch.sigmoid(torch.tensor(1.0))
    e = torch.tensor(1.0, dtype=torch.float64).exp()
    expected_loss = (
        torch.stack(
            [2.0**0.5 * 0 + torch.tensor(2.0).log()] * 2
            + [(1 + e**2).log(), (1 + e).log(), torch.tensor(-20.0, dtype=torch.float64).exp().log1p()]
        ).to(torch.float64)
        / n
    )
    expected_slope = (
        torch.stack(
            [
                torch.tensor(-0.5),
                torch.tensor(0.5),
                s2,
                -s1.double(),
                -torch.sigmoid(torch.tensor(-20.0, dtype=torch.float64)),
            ]
        ).to(torch.float64)
        / n
    )
    expected_curvature = (
        torch.stack(
            [
                torch.tensor(0.25),
                torch.tensor(0.25),
                s2 * (1 - s2),
                s1 * (1 - s1),
                torch.sigmoid(torch.tensor(20.0, dtype=torch.float64))
                * torch.sigmoid(torch.tensor(-20.0, dtype=torch.float64)),
            ]
        ).to(torch.float64)
        / n
    )
    with torchlayers.use_kernels(kernels):
        loss = F.soft_margin_loss(x, y, reduction=reduction)
        torch.testing.assert_close(loss, expected_loss if reduction == "none" else expected_loss.sum())
        (slope,) = torch.autograd.grad(loss.sum(), x, create_graph=True)
        (curvature,) = torch.autograd.grad(slope.sum(), x)
    torch.testing.assert_close(slope, expected_slope)
    torch.testing.assert_close(curvature, expected_curvature)


def test_soft_margin_target_is_not_differentiable_like_torch():
    x, y = torch.randn(3, requires_grad=True), torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError) as theirs:
        TF.soft_margin_loss(x, y)
    with pytest.raises(RuntimeError) as ours:
        F.soft_margin_loss(x, y)
    assert str(ours.value) == str(theirs.value)
    with torch.no_grad():  # no graph, no refusal
        torch.testing.assert_close(F.soft_margin_loss(x, y), TF.soft_margin_loss(x, y))


@pytest.mark.parametrize("kernels", MODES)
def test_soft_margin_shapes_are_torchs(kernels):
    """The target broadcasts into the input's shape, not the other way: torch's error otherwise."""
    x = torch.randn(4, 3, requires_grad=True)
    with torchlayers.use_kernels(kernels):
        ours = F.soft_margin_loss(x, torch.tensor([1, -1, 1]), reduction="none")
        torch.testing.assert_close(ours, TF.soft_margin_loss(x, torch.tensor([1, -1, 1]), reduction="none"))
        for input, target in ((torch.randn(3), torch.ones(4, 3)), (torch.randn(4, 3), torch.ones(2))):
            with pytest.raises(RuntimeError) as theirs:
                TF.soft_margin_loss(input, target)
            with pytest.raises(RuntimeError) as mine:
                F.soft_margin_loss(input, target)
            assert str(mine.value) == str(theirs.value)


@pytest.mark.parametrize("kernels", MODES)
def test_soft_margin_empty_input_is_torchs(kernels):
    x = torch.empty(0, requires_grad=True)
    with torchlayers.use_kernels(kernels):
        for reduction in ("mean", "sum", "none"):
            ours = F.soft_margin_loss(x, torch.empty(0), reduction=reduction)
            torch.testing.assert_close(
                ours, TF.soft_margin_loss(x, torch.empty(0), reduction=reduction), equal_nan=True
            )
        assert F.soft_margin_loss(x, torch.empty(0)).isnan()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_soft_margin_formula_at_special_values_is_torchs(reduction, dtype):
    """The formula is torch's computation: e^{-yx} overflows at -yx = 1000 (loss inf, gradient
    NaN), vanishes at +1000, and NaN and ±inf scores give torch's values."""
    nan, inf = float("nan"), float("inf")
    x = torch.tensor([-1000.0, 1000.0, nan, inf, -inf, 0.5], dtype=dtype, requires_grad=True)
    y = torch.tensor([1.0, 1.0, 1.0, -1.0, -1.0, -1.0], dtype=dtype)
    expected = TF.soft_margin_loss(x, y, reduction=reduction)
    grad_output = torch.rand_like(expected) + 0.5
    (expected_grad,) = torch.autograd.grad(expected, x, grad_output)
    with torchlayers.use_kernels(False):
        actual = F.soft_margin_loss(x, y, reduction=reduction)
        (actual_grad,) = torch.autograd.grad(actual, x, grad_output)
    torch.testing.assert_close(actual, expected, equal_nan=True)
    torch.testing.assert_close(actual_grad, expected_grad, equal_nan=True)


# --- margin ranking ----------------------------------------------------------------------------

# (x₁, x₂, y) at margin 0.5: violated both ways, satisfied, exactly at the kink u = 0, NaN
_RANKED = [
    (0.0, 1.0, 1.0),  # u = 1.5: active, y = 1
    (2.0, 0.0, -1.0),  # u = 2.5: active, y = -1
    (3.0, 1.0, 1.0),  # u = -1.5: satisfied
    (1.5, 1.0, 1.0),  # u = 0: the kink, gradient 0 as torch's
    (float("nan"), 1.0, 1.0),  # loss NaN, ∂x 0, ∂y NaN, as torch's
]
_RANKED_LOSS = [1.5, 2.5, 0.0, 0.0, float("nan")]
_RANKED_GRAD_X1 = [-1.0, 1.0, 0.0, 0.0, 0.0]  # -y where u > 0
_RANKED_GRAD_Y = [1.0, -2.0, 0.0, 0.0, float("nan")]  # -(x₁ - x₂) where u > 0


@pytest.mark.parametrize("kernels", MODES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_margin_ranking_derivatives_at_hand_picked_points(reduction, kernels):
    x1, x2, y = (torch.tensor(c, dtype=torch.float64, requires_grad=True) for c in zip(*_RANKED, strict=True))
    n = len(_RANKED) if reduction == "mean" else 1
    with torchlayers.use_kernels(kernels):
        loss = F.margin_ranking_loss(x1, x2, y, margin=0.5, reduction=reduction)
        grad_x1, grad_x2, grad_y = torch.autograd.grad(loss.sum(), (x1, x2, y))
    expected_loss = torch.tensor(_RANKED_LOSS, dtype=torch.float64) / n
    torch.testing.assert_close(
        loss, expected_loss if reduction == "none" else expected_loss.sum(), equal_nan=True
    )
    expected = torch.tensor(_RANKED_GRAD_X1, dtype=torch.float64) / n
    torch.testing.assert_close(grad_x1, expected, rtol=0, atol=0)
    torch.testing.assert_close(grad_x2, -expected, rtol=0, atol=0)
    torch.testing.assert_close(grad_y, torch.tensor(_RANKED_GRAD_Y, dtype=torch.float64) / n, equal_nan=True)
    theirs = TF.margin_ranking_loss(x1, x2, y, margin=0.5, reduction=reduction)
    torch.testing.assert_close(loss, theirs, equal_nan=True)
    for a, e in zip((grad_x1, grad_x2, grad_y), torch.autograd.grad(theirs.sum(), (x1, x2, y)), strict=True):
        torch.testing.assert_close(a, e, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("kernels", MODES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_margin_ranking_broadcasts_and_promotes_like_torch(reduction, kernels):
    """The three tensors broadcast (gradients summed back to each shape); float32 with a
    float64 target promotes to float64; integer tensors give a float loss, as torch's."""
    x1 = torch.randn(4, 3, requires_grad=True)
    x2 = torch.randn(1, 3, dtype=torch.float64, requires_grad=True)
    y = torch.randn(4, 1).sign().requires_grad_()
    with torchlayers.use_kernels(kernels):
        actual = F.margin_ranking_loss(x1, x2, y, margin=0.3, reduction=reduction)
        expected = TF.margin_ranking_loss(x1, x2, y, margin=0.3, reduction=reduction)
        assert actual.dtype == expected.dtype == torch.float64
        torch.testing.assert_close(actual, expected)
        grad_output = torch.rand_like(expected)
        for a, e in zip(
            grads(actual, [x1, x2, y], grad_output), grads(expected, [x1, x2, y], grad_output), strict=True
        ):
            assert a.shape == e.shape and a.dtype == e.dtype
            torch.testing.assert_close(a, e)
        integers = (torch.tensor([3, 0, 1]), torch.tensor([1, 1, 1]), torch.tensor([1, -1, 1]))
        actual = F.margin_ranking_loss(*integers, margin=2, reduction=reduction)
        expected = TF.margin_ranking_loss(*integers, margin=2, reduction=reduction)
        assert actual.dtype == expected.dtype
        torch.testing.assert_close(actual, expected)


def test_margin_ranking_shape_errors_are_torchs():
    """Different numbers of dimensions: torch's own message; shapes that do not broadcast: its
    RuntimeError too."""
    for args in (
        (torch.randn(4, 3), torch.randn(3), torch.ones(4, 3)),
        (torch.randn(4), torch.randn(4), torch.ones(())),
        (torch.randn(4, 3), torch.randn(4, 2), torch.ones(4, 3)),
    ):
        with pytest.raises(RuntimeError) as theirs:
            TF.margin_ranking_loss(*args)
        with pytest.raises(RuntimeError) as ours:
            F.margin_ranking_loss(*args)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("kernels", MODES)
def test_margin_ranking_empty_input_is_torchs(kernels):
    x = torch.empty(0, requires_grad=True)
    with torchlayers.use_kernels(kernels):
        for reduction in ("mean", "sum", "none"):
            ours = F.margin_ranking_loss(x, x, torch.empty(0), reduction=reduction)
            theirs = TF.margin_ranking_loss(x, x, torch.empty(0), reduction=reduction)
            torch.testing.assert_close(ours, theirs, equal_nan=True)
        assert F.margin_ranking_loss(x, x, torch.empty(0)).isnan()


# --- higher derivatives against torch's ----------------------------------------------------------

_RANK_Y = torch.tensor([[1.0, -1.0, 1.0, -1.0, 1.0]] * 4, dtype=torch.float64)
THIRD_ORDER = [
    (
        "soft_margin_loss",
        lambda x: F.soft_margin_loss(x * x, _RANK_Y),
        lambda x: TF.soft_margin_loss(x * x, _RANK_Y),
    ),
    (
        "margin_ranking_loss",  # the target a function of x too: ∂²ℓ/∂y∂x₁ = -1 is not 0
        lambda x: F.margin_ranking_loss(x * x, x, torch.tanh(x), margin=0.3, reduction="sum"),
        lambda x: TF.margin_ranking_loss(x * x, x, torch.tanh(x), margin=0.3, reduction="sum"),
    ),
]


@pytest.mark.parametrize("kernels", MODES)
@pytest.mark.parametrize(("ours", "theirs"), [c[1:] for c in THIRD_ORDER], ids=[c[0] for c in THIRD_ORDER])
def test_third_derivatives_match_torch(ours, theirs, kernels):
    x = torch.randn(4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(2)).requires_grad_()
    with torchlayers.use_kernels(kernels):
        actual = _projected_derivatives(ours, x, 3)
    for a, e in zip(actual, _projected_derivatives(theirs, x, 3), strict=True):
        torch.testing.assert_close(a, e)


@pytest.mark.parametrize("kernels", MODES)
def test_margin_ranking_passes_gradgradcheck_with_broadcasting(kernels):
    x1 = torch.tensor([[0.1, -1.2, 0.7], [2.0, 0.4, -0.6]], dtype=torch.float64, requires_grad=True)
    x2 = torch.tensor([[0.5, 0.3, -0.2]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([[1.0], [-1.0]], dtype=torch.float64, requires_grad=True)

    def loss(x1, x2, y):
        return F.margin_ranking_loss(x1, x2, y, margin=0.25)

    with torchlayers.use_kernels(kernels):
        assert gradcheck(loss, (x1, x2, y), **GRADCHECK)
        assert gradgradcheck(loss, (x1, x2, y), **GRADGRADCHECK)


_SIGNS = torch.tensor([[1.0, -1.0, 1.0, 1.0, -1.0]] * 6)


def test_soft_margin_saves_and_allocates_no_more_than_torch_nn():
    x = torch.randn(6, 5, requires_grad=True)

    def ours(x):
        return F.soft_margin_loss(x, _SIGNS)

    def theirs(x):
        return TF.soft_margin_loss(x, _SIGNS)

    for enabled in (True, False):
        with torchlayers.use_kernels(enabled):
            assert saved_bytes(ours, x) <= saved_bytes(theirs, x), enabled
    with torchlayers.use_kernels(True):
        assert backward_allocations(ours, x) <= backward_allocations(theirs, x)


def test_margin_ranking_saves_no_more_than_torch_and_recomputes_two_tensors():
    """torch's composition saves three fresh tensors (-y, x₁ - x₂, the clamped margin), two of
    them of the broadcast shape; this Function saves its inputs only (less where they broadcast),
    and its backward recomputes x₂ - x₁ and y (x₂ - x₁) instead: at most one allocation more than
    torch's backward, which negates twice."""
    for shapes in (((6, 5), (6, 5), (6, 5)), ((6, 5), (1, 5), (6, 1))):
        tensors = [torch.randn(shape, requires_grad=True) for shape in shapes]

        def ours(*tensors):
            return F.margin_ranking_loss(*tensors, margin=0.5)

        def theirs(*tensors):
            return TF.margin_ranking_loss(*tensors, margin=0.5)

        inputs = sum(t.untyped_storage().nbytes() for t in tensors)
        for enabled in (True, False):
            with torchlayers.use_kernels(enabled):
                assert saved_bytes(ours, *tensors) == inputs <= saved_bytes(theirs, *tensors)
        assert backward_allocations(ours, *tensors) <= backward_allocations(theirs, *tensors) + 1
    assert saved_bytes(ours, *tensors) < saved_bytes(theirs, *tensors)
