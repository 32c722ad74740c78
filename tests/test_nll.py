"""NLL and cross entropy: torch.nn's bits with kernels on, torch.nn's values from the formulas
alone with kernels off (label smoothing, class weights, ignore_index and special values
included), higher derivatives in either mode, the class-range check, saved tensors and backward's
allocations. (tests/test_kernels.py checks from the registry that formula mode runs no kernel.)"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.autograd import forward_ad

import torchlayers
import torchlayers.functional as F
from tests.test_regression import backward_allocations, saved_bytes
from tests.test_softmax import projected_derivatives

DTYPES = [torch.float64, torch.float32, torch.float16, torch.bfloat16]


@pytest.fixture(params=[True, False], ids=["kernels", "formulas"])
def kernels(request):
    with torchlayers.use_kernels(request.param):
        yield request.param


# --- kernels on: torch.nn's bits --------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [((64, 10), {}), ((64, 10), {"weight": True, "ignore_index": 2, "reduction": "sum"}), ((8, 10, 7), {})],
    ids=["mean", "weight_ignore_sum", "kdim"],
)
def test_nll_loss_is_torch_kernels_bit_for_bit(shape, kwargs, dtype):
    """nll_loss runs torch.nn's kernels: loss and gradient equal to the last bit in every dtype."""
    x = torch.log_softmax(torch.randn(shape) * 3, 1).to(dtype).requires_grad_()
    target = torch.randint(0, shape[1], shape[:1] + shape[2:])
    kwargs = dict(kwargs)
    if kwargs.pop("weight", False):
        kwargs["weight"] = (torch.rand(shape[1]) + 0.5).to(dtype)
    with torchlayers.use_kernels(True):
        ours = F.nll_loss(x, target, **kwargs)
        grad_output = torch.rand_like(ours) + 0.5
        (actual,) = torch.autograd.grad(ours, x, grad_output)
    theirs = TF.nll_loss(x, target, **kwargs)
    (expected,) = torch.autograd.grad(theirs, x, grad_output)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
    torch.testing.assert_close(actual, expected, rtol=0, atol=0)


CE_CASES = [
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


def _ce_call(shape, kwargs, dtype, scale=3.0):
    """(x, target, kwargs for cross_entropy, whether torch's bits are expected)."""
    x = (torch.randn(shape) * scale).to(dtype).requires_grad_()
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    target = torch.randint(0, n_classes, () if len(shape) == 1 else shape[:1] + shape[2:])
    kwargs = dict(kwargs)
    exact = kwargs.pop("exact", True)
    if kwargs.pop("weight", False):
        kwargs["weight"] = (torch.rand(n_classes) + 0.5).to(dtype)
    if "ignore_index" in kwargs and target.dim():
        target.view(-1)[::5] = kwargs["ignore_index"]
    return x, target, kwargs, exact


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("shape", "kwargs"), [c[1:] for c in CE_CASES], ids=[c[0] for c in CE_CASES])
def test_cross_entropy_is_torch_kernels_bit_for_bit(shape, kwargs, dtype):
    """Class-index cross entropy runs the kernels torch.nn runs (log-softmax and NLL forward,
    their backwards; label smoothing in torch's order of operations): loss and gradient equal to
    the last bit in every dtype, or, where marked, normwise to a few units of the dtype's
    rounding."""
    x, target, kwargs, exact = _ce_call(shape, kwargs, dtype)
    with torchlayers.use_kernels(True):
        ours = F.cross_entropy(x, target, **kwargs)
        grad_output = torch.rand_like(ours) + 0.5
        (actual,) = torch.autograd.grad(ours, x, grad_output)
    theirs = TF.cross_entropy(x, target, **kwargs)
    (expected,) = torch.autograd.grad(theirs, x, grad_output)
    if exact:
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
        torch.testing.assert_close(actual, expected, rtol=0, atol=0)
        return
    tolerance = 8 * torch.finfo(dtype).eps
    for a, e in ((ours, theirs), (actual, expected)):
        assert torch.linalg.vector_norm((a - e).double()) <= tolerance * torch.linalg.vector_norm(e.double())


# --- kernels off: the formulas --------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("shape", "kwargs"), [c[1:] for c in CE_CASES], ids=[c[0] for c in CE_CASES])
def test_cross_entropy_formulas_match_torch(shape, kwargs, dtype):
    """With kernels off, cross entropy and NLL from their formulas: torch.nn's loss and gradient
    to 1e-10 relative in float64, normwise to a few units of the dtype's rounding otherwise."""
    x, target, kwargs, _ = _ce_call(shape, kwargs, dtype, scale=10.0)
    with torchlayers.use_kernels(False):
        ours = F.cross_entropy(x, target, **kwargs)
        grad_output = torch.rand_like(ours) + 0.5
        (actual,) = torch.autograd.grad(ours, x, grad_output)
        log_probs = torch.log_softmax(x.detach().double(), 0 if x.dim() == 1 else 1).to(dtype)
        nll_kwargs = {k: v for k, v in kwargs.items() if k != "label_smoothing"}
        nll = F.nll_loss(log_probs.requires_grad_(), target, **nll_kwargs)
    theirs = TF.cross_entropy(x, target, **kwargs)
    (expected,) = torch.autograd.grad(theirs, x, grad_output)
    pairs = [(ours, theirs), (actual, expected), (nll, TF.nll_loss(log_probs, target, **nll_kwargs))]
    if dtype == torch.float64:
        for a, e in pairs:
            torch.testing.assert_close(a, e, rtol=1e-10, atol=1e-12)
        return
    tolerance = 8 * torch.finfo(dtype).eps
    for a, e in pairs:
        assert torch.linalg.vector_norm((a - e).double()) <= tolerance * torch.linalg.vector_norm(e.double())


def test_cross_entropy_formulas_keep_torchs_special_values():
    """NaN and ±inf logits, an all-ignored 'mean' (0/0) and huge logits, kernels off, as torch."""
    x = torch.randn(5, 4, dtype=torch.float64)
    x[0, 1], x[1, 2], x[2, 0], x[3] = float("nan"), float("inf"), float("-inf"), 1e4 * x[3]
    x.requires_grad_()
    target = torch.tensor([1, 2, 3, 0, 2])
    for kwargs in ({"reduction": "none"}, {"label_smoothing": 0.1, "reduction": "none"}):
        with torchlayers.use_kernels(False):
            ours = F.cross_entropy(x, target, **kwargs)
            (grad,) = torch.autograd.grad(ours.sum(), x)
        theirs = TF.cross_entropy(x, target, **kwargs)
        (expected,) = torch.autograd.grad(theirs.sum(), x)
        torch.testing.assert_close(ours, theirs, equal_nan=True)
        torch.testing.assert_close(grad, expected, equal_nan=True)
    ignored = torch.full((5,), -100)
    with torchlayers.use_kernels(False):
        ours = F.cross_entropy(x.detach(), ignored)
    torch.testing.assert_close(ours, TF.cross_entropy(x.detach(), ignored), equal_nan=True)


@pytest.mark.parametrize("target", [[0, 4, 1, 2], [0, -2, 1, 2]], ids=["above", "negative"])
def test_class_out_of_range_raises_index_error_in_every_mode(target, kernels):
    """torch's IndexError, from the kernel with kernels on, from the functional's own check where
    the formula runs instead (kernels off, or forward-mode AD)."""
    x = torch.randn(4, 4)
    for fn in (F.cross_entropy, F.nll_loss):
        with pytest.raises(IndexError, match="out of bounds"):
            fn(x, torch.tensor(target))
        with forward_ad.dual_level(), pytest.raises(IndexError, match="out of bounds"):
            fn(forward_ad.make_dual(x, torch.randn(4, 4)), torch.tensor(target))
    torch.testing.assert_close(
        F.nll_loss(x, torch.tensor(target), ignore_index=target[1]),
        TF.nll_loss(x, torch.tensor(target), ignore_index=target[1]),
    )


# --- higher derivatives ---------------------------------------------------------------------

_TARGET = torch.tensor([0, 3, 4, 1])
_WEIGHT = torch.tensor([0.5, 1.0, 2.0, 1.5, 0.7], dtype=torch.float64)
THIRD_ORDER = [
    ("cross_entropy", {}),
    ("weight_sum", {"weight": _WEIGHT, "reduction": "sum"}),
    ("smoothing_weight", {"weight": _WEIGHT, "label_smoothing": 0.2}),
    ("none", {"reduction": "none"}),
]


@pytest.mark.parametrize("kwargs", [c[1] for c in THIRD_ORDER], ids=[c[0] for c in THIRD_ORDER])
def test_cross_entropy_third_derivatives_match_torch(kwargs, kernels):
    """First, second and third derivatives of cross entropy, through the formulas, equal torch's."""
    x = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    scale = torch.arange(1.0, 5.0, dtype=torch.float64) if kwargs.get("reduction") == "none" else 1.0

    def ours(x):
        return F.cross_entropy(x, _TARGET, **kwargs) * scale

    def theirs(x):
        return TF.cross_entropy(x, _TARGET, **kwargs) * scale

    for a, e in zip(projected_derivatives(ours, x, 3), projected_derivatives(theirs, x, 3), strict=True):
        torch.testing.assert_close(a, e)


@pytest.mark.parametrize("fn", [F.cross_entropy, lambda x, y: F.nll_loss(F.log_softmax(x, 1), y)])
def test_create_graph_gradient_equals_plain_gradient(fn, kernels):
    """Under ``create_graph=True`` the formulas run; the value equals the plain backward's (the
    kernels' with kernels on)."""
    x = torch.randn(6, 5, requires_grad=True)
    target = torch.tensor([0, 4, 2, 2, 1, 3])
    (plain,) = torch.autograd.grad(fn(x, target), x)
    (graphed,) = torch.autograd.grad(fn(x, target), x, create_graph=True)
    assert graphed.requires_grad
    torch.testing.assert_close(graphed, plain)


# --- memory and allocations -----------------------------------------------------------------

_CLASSES = torch.tensor([0, 4, 2, 2, 1, 3])
COSTS = [
    ("nll_loss", lambda x: F.nll_loss(x, _CLASSES), lambda x: TF.nll_loss(x, _CLASSES)),
    ("cross_entropy", lambda x: F.cross_entropy(x, _CLASSES), lambda x: TF.cross_entropy(x, _CLASSES)),
    (
        "cross_entropy_smoothing",
        lambda x: F.cross_entropy(x, _CLASSES, label_smoothing=0.1),
        lambda x: TF.cross_entropy(x, _CLASSES, label_smoothing=0.1),
    ),
]


@pytest.mark.parametrize(("ours", "theirs"), [c[1:] for c in COSTS], ids=[c[0] for c in COSTS])
def test_saves_no_more_than_torch_nn(ours, theirs):
    """Both modes save what torch.nn saves (log p, the target, the weight, Σ w_y), no more."""
    x = torch.randn(6, 5, requires_grad=True)
    expected = saved_bytes(theirs, x)
    for enabled in (True, False):
        with torchlayers.use_kernels(enabled):
            assert saved_bytes(ours, x) <= expected, enabled


@pytest.mark.parametrize(("ours", "theirs"), [c[1:] for c in COSTS], ids=[c[0] for c in COSTS])
def test_backward_allocates_no_more_than_torch_nn(ours, theirs):
    """With kernels on, no zeros are materialised for the gradient of Σ w_y (not differentiable):
    backward allocates no more tensors than torch.nn's does."""
    x = torch.randn(6, 5, requires_grad=True)
    with torchlayers.use_kernels(True):
        assert backward_allocations(ours, x) <= backward_allocations(theirs, x)
