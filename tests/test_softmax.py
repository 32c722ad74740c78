"""The softmax and log-softmax formulas and the kernels that stand in for them: torch.nn's bits
with kernels on, torch.nn's values from the formulas alone with kernels off (NaN, ±inf and huge
logits included), and their higher derivatives, which differentiate the formulas in either mode."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.autograd import gradcheck, gradgradcheck

import torchlayers
import torchlayers.functional as F
from tests._helpers import grads

PAIRS = [("softmax", F.softmax, TF.softmax), ("log_softmax", F.log_softmax, TF.log_softmax)]
DTYPES = [torch.float64, torch.float32, torch.float16, torch.bfloat16]


@pytest.fixture(params=[True, False], ids=["kernels", "formulas"])
def kernels(request):
    with torchlayers.use_kernels(request.param):
        yield request.param


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("dim", [1, 0, -1])
@pytest.mark.parametrize(("ours", "theirs"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_is_torch_kernels_bit_for_bit(ours, theirs, dim, dtype):
    """With kernels on, forward and backward run torch.nn's kernels: equal to the last bit."""
    x = (torch.randn(16, 1031) * 4).to(dtype).requires_grad_()
    grad_output = torch.randn(16, 1031).to(dtype)
    with torchlayers.use_kernels(True):
        output = ours(x, dim)
        (actual,) = torch.autograd.grad(output, x, grad_output)
    expected = theirs(x, dim)
    (expected_grad,) = torch.autograd.grad(expected, x, grad_output)
    torch.testing.assert_close(output, expected, rtol=0, atol=0)
    torch.testing.assert_close(actual, expected_grad, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("ours", "theirs"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_formulas_match_torch(ours, theirs, dtype):
    """With kernels off, the formulas give torch.nn's values and gradients: to 1e-10 relative in
    float64, at each dtype's tolerance otherwise; NaN, ±inf and huge logits included."""
    x = (torch.randn(6, 33, dtype=torch.float64) * 4).to(dtype)
    x[1, 3], x[2, 5], x[3, :] = float("nan"), float("inf"), float("-inf")
    x[4, 7] = -float("inf")
    x[5] = x[5] * 1e4
    x.requires_grad_()
    grad_output = torch.randn(6, 33).to(dtype)
    tolerance = {"rtol": 1e-10, "atol": 1e-12} if dtype == torch.float64 else {}
    with torchlayers.use_kernels(False):
        output = ours(x, 1)
        (actual,) = torch.autograd.grad(output, x, grad_output)
    expected = theirs(x, 1)
    (expected_grad,) = torch.autograd.grad(expected, x, grad_output)
    torch.testing.assert_close(output, expected, equal_nan=True, **tolerance)
    torch.testing.assert_close(actual, expected_grad, equal_nan=True, **tolerance)


@pytest.mark.parametrize("ours", [p[1] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_higher_derivatives_against_finite_differences(ours, kernels):
    """gradcheck and gradgradcheck of x ↦ ∂⟨f(x), u⟩/∂x (the second and third derivatives),
    batched, along either dimension."""
    for dim in (1, 0):
        x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
        u = torch.randn(3, 4, dtype=torch.float64)

        def gradient(x, dim=dim, u=u):
            return torch.autograd.grad((ours(x, dim) * u).sum(), x, create_graph=True)[0]

        assert gradcheck(gradient, (x,), check_batched_grad=True)
        assert gradgradcheck(gradient, (x,), check_batched_grad=True)


def projected_derivatives(fn, x, seed):
    """(d1, d2, d3): the gradient of fn(x), then gradients of its random projections ⟨dₖ, u⟩
    (a plain sum would vanish for softmax and the losses: softmax - onehot sums to 0)."""
    generator = torch.Generator().manual_seed(seed)
    (d1,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
    u = torch.randn(x.shape, dtype=x.dtype, generator=generator)
    (d2,) = torch.autograd.grad((d1 * u).sum(), x, create_graph=True)
    v = torch.randn(x.shape, dtype=x.dtype, generator=generator)
    (d3,) = torch.autograd.grad((d2 * v).sum(), x)
    return d1, d2, d3


@pytest.mark.parametrize(("ours", "theirs"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_third_derivatives_match_torch(ours, theirs, kernels):
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(4, 5, dtype=torch.float64, generator=generator, requires_grad=True)
    weights = torch.arange(1.0, 21.0, dtype=torch.float64).reshape(4, 5)  # a sum would vanish
    actual = projected_derivatives(lambda x: ours(x, 1) * weights, x, 3)
    expected = projected_derivatives(lambda x: theirs(x, 1) * weights, x, 3)
    for a, e in zip(actual, expected, strict=True):
        torch.testing.assert_close(a, e)


@pytest.mark.parametrize(("ours", "theirs"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_create_graph_gradient_equals_plain_gradient(ours, theirs, kernels):
    """Under ``create_graph=True`` the formula runs (autograd differentiates its ops); its value
    equals the plain backward's, the kernel's when kernels are on."""
    x = torch.randn(8, 7, requires_grad=True)
    grad_output = torch.randn(8, 7)
    (plain,) = grads(ours(x, 1), [x], grad_output)
    (graphed,) = torch.autograd.grad(ours(x, 1), x, grad_output, create_graph=True)
    assert graphed.requires_grad
    torch.testing.assert_close(graphed, plain)
