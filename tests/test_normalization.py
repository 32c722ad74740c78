"""Layer normalisation: the derivative's values by hand, eps, the shapes ``normalized_shape`` takes,
the affine options, torch's errors, the caches and the double backward through the statistics."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as TF

import torchlayers
import torchlayers.functional as F
import torchlayers.nn as tnn
from torchlayers.autograd.normalization import LayerNormFunction, layer_norm_grad

KERNEL_MODES = [pytest.param(True, id="kernels"), pytest.param(False, id="formulas")]


def _double(*values):
    return torch.tensor(values, dtype=torch.float64)


# --- the derivative by hand ------------------------------------------------------------------


@pytest.mark.parametrize("kernels", KERNEL_MODES)
def test_gradient_of_three_values_by_hand(kernels):
    """x = (-1, 0, 1), ε = 0: μ = 0, σ² = 2/3, r = √1.5, x̂ = r x. With g = (1, 0, 0) and w = 1,
    ∂x = r (g - mean g - x̂ mean(g x̂)) = r (1 - 1/3 - 1/2, -1/3, -1/3 + 1/2) = r (1/6, -1/3, 1/6);
    a wrong sign on either mean term gives another vector."""
    x = _double(-1.0, 0.0, 1.0).requires_grad_()
    w, b = _double(1.0, 1.0, 1.0).requires_grad_(), _double(0.0, 0.0, 0.0).requires_grad_()
    with torchlayers.use_kernels(kernels):
        y = F.layer_norm(x, [3], w, b, eps=0.0)
        grad_x, grad_w, grad_b = torch.autograd.grad(y, (x, w, b), _double(1.0, 0.0, 0.0))
    r = math.sqrt(1.5)
    torch.testing.assert_close(y, _double(-r, 0.0, r))
    torch.testing.assert_close(grad_x, r * _double(1 / 6, -1 / 3, 1 / 6))
    torch.testing.assert_close(grad_w, _double(-r, 0.0, 0.0))  # ∂w = g x̂
    torch.testing.assert_close(grad_b, _double(1.0, 0.0, 0.0))  # ∂b = g


@pytest.mark.parametrize("kernels", KERNEL_MODES)
def test_eps_enters_the_gradient_of_two_values(kernels):
    """x = (1, 0), ε = 1: x - μ = ±½, σ² + ε = 1.25, so x̂₁ = ½/√1.25 and ∂x̂₁/∂x₁ = ε / (2 (σ² + ε)^{3/2})
    = -∂x̂₁/∂x₂ (with ε = 0 the two-value x̂ is ±1 whatever x is, and the gradient vanishes)."""
    x = _double(1.0, 0.0).requires_grad_()
    w = _double(2.0, 3.0).requires_grad_()
    with torchlayers.use_kernels(kernels):
        y = F.layer_norm(x, (2,), w, None, eps=1.0)
        grad_x, grad_w = torch.autograd.grad(y, (x, w), _double(1.0, 0.0))
    slope = 1.0 / (2 * 1.25**1.5)
    torch.testing.assert_close(y, _double(2 * 0.5 / math.sqrt(1.25), -3 * 0.5 / math.sqrt(1.25)))
    torch.testing.assert_close(grad_x, 2 * _double(slope, -slope))  # times w₁ = 2
    torch.testing.assert_close(grad_w, _double(0.5 / math.sqrt(1.25), 0.0))


def test_formula_returns_only_the_gradients_asked_for():
    x, g = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64)
    w = torch.randn(3, dtype=torch.float64)
    _, mean, rstd = LayerNormFunction.forward(x, (3,), w, None, 1e-5)
    grads = layer_norm_grad.formula(g, x, mean, rstd, w, None, (3,), (False, True, False))
    assert grads[0] is None and grads[2] is None
    torch.testing.assert_close(grads[1], (g * (x - mean) * rstd).sum(0))


# --- eps, normalized_shape, affine options --------------------------------------------------


@pytest.mark.parametrize("eps", [1e-5, 1e-3, 1.0])
def test_eps_is_added_to_the_biased_variance(eps):
    x = torch.randn(4, 6, dtype=torch.float64)
    by_hand = (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, correction=0, keepdim=True) + eps)
    torch.testing.assert_close(F.layer_norm(x, [6], eps=eps), by_hand)
    torch.testing.assert_close(F.layer_norm(x, [6], eps=eps), TF.layer_norm(x, [6], eps=eps))


def test_normalized_shape_as_int_list_tuple_or_size():
    x = torch.randn(2, 3, 4, dtype=torch.float64)
    expected = TF.layer_norm(x, [3, 4])
    for shape in ([3, 4], (3, 4), torch.Size([3, 4])):
        torch.testing.assert_close(F.layer_norm(x, shape), expected, rtol=0, atol=1e-15)
    for shape in (4, [4], (4,), torch.Size([4])):
        module = tnn.LayerNorm(shape, dtype=torch.float64)
        assert module.normalized_shape == (4,)
        assert module.weight.shape == (4,)
        torch.testing.assert_close(module(x), TF.layer_norm(x, [4]))


def test_functional_refuses_what_torch_refuses():
    x = torch.randn(2, 3, 4)
    cases = [
        lambda f: f(x, 4),  # the functional takes no int (the module does)
        lambda f: f(x, [4.0]),
        lambda f: f(x, []),
        lambda f: f(x, [5]),
        lambda f: f(x, [2, 3]),
        lambda f: f(torch.randn(3), [2, 3]),
        lambda f: f(x, [4], torch.ones(3)),
        lambda f: f(x, [4], None, torch.ones(3)),
        lambda f: f(x, (3, 4), torch.ones(12)),
        lambda f: f(x, [4], torch.ones(4, dtype=torch.bfloat16)),
        lambda f: f(x.double(), [4], torch.ones(4)),
    ]
    for case in cases:
        with pytest.raises(Exception) as theirs:
            case(TF.layer_norm)
        with pytest.raises(theirs.type) as ours:
            case(F.layer_norm)
        assert str(ours.value) == str(theirs.value)


def test_module_wrong_input_shape_raises_torchs_message():
    x = torch.randn(3, 5)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.LayerNorm(4)(x)
    with pytest.raises(RuntimeError) as ours:
        tnn.LayerNorm(4)(x)
    assert str(ours.value) == str(theirs.value)
    assert "Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[3, 5]" in str(
        ours.value
    )


def test_no_affine_has_no_parameters():
    ours, theirs = (
        tnn.LayerNorm([3, 4], elementwise_affine=False),
        torch.nn.LayerNorm([3, 4], elementwise_affine=False),
    )
    assert ours.weight is None and ours.bias is None
    assert list(ours.parameters()) == [] and ours.state_dict().keys() == theirs.state_dict().keys() == set()
    assert repr(ours) == repr(theirs) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=False, bias=False)"
    x = torch.randn(2, 3, 4, dtype=torch.float64)
    torch.testing.assert_close(ours(x), theirs(x))


def test_bias_false_learns_the_weight_only():
    ours = tnn.LayerNorm(4, bias=False, dtype=torch.float64)
    assert list(ours.state_dict()) == ["weight"] and ours.bias is None
    assert repr(ours) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=False)"
    torch.nn.init.normal_(ours.weight)
    theirs = torch.nn.LayerNorm(4, bias=False, dtype=torch.float64)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    g = torch.randn(3, 4, dtype=torch.float64)
    mine = torch.autograd.grad(ours(x), (x, ours.weight), g)
    twin = torch.autograd.grad(theirs(x), (x, theirs.weight), g)
    for a, e in zip(mine, twin, strict=True):
        torch.testing.assert_close(a, e)


def test_reset_parameters_gives_ones_and_zeros():
    module = tnn.LayerNorm([2, 3])
    torch.nn.init.normal_(module.weight)
    torch.nn.init.normal_(module.bias)
    module.reset_parameters()
    assert torch.equal(module.weight, torch.ones(2, 3)) and torch.equal(module.bias, torch.zeros(2, 3))


# --- caches, double backward, dtypes -------------------------------------------------------


def test_caches_input_parameters_and_the_statistics_atens_shapes():
    x = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    w, b = torch.randn(4, dtype=torch.float64, requires_grad=True), torch.randn(4, dtype=torch.float64)
    y = F.layer_norm(x, [4], w, b)
    saved_input, mean, rstd, saved_weight, saved_bias = y.grad_fn.saved_tensors
    assert saved_input is x and saved_weight is w and saved_bias is b
    _, aten_mean, aten_rstd = torch.native_layer_norm(x.detach(), [4], w.detach(), b, 1e-5)
    assert mean.shape == rstd.shape == (2, 3, 1)
    torch.testing.assert_close(mean, aten_mean)
    torch.testing.assert_close(rstd, aten_rstd)


def test_double_backward_through_the_statistics_matches_torch():
    """The Hessian of Σ y² (the statistics' dependence on x included) equals torch's."""
    x = torch.randn(2, 5, dtype=torch.float64)
    w, b = torch.randn(5, dtype=torch.float64), torch.randn(5, dtype=torch.float64)

    def ours(x, w, b):
        return F.layer_norm(x, [5], w, b).square().sum()

    def theirs(x, w, b):
        return TF.layer_norm(x, [5], w, b).square().sum()

    for mine, twin in zip(
        torch.autograd.functional.hessian(ours, (x, w, b)),
        torch.autograd.functional.hessian(theirs, (x, w, b)),
        strict=True,
    ):
        for a, e in zip(mine, twin, strict=True):
            torch.testing.assert_close(a, e)
    inputs = tuple(t.clone().requires_grad_() for t in (x, w, b))
    assert torch.autograd.gradgradcheck(lambda *t: F.layer_norm(t[0], [5], t[1], t[2]), inputs)


def test_half_input_with_float32_parameters_as_torch():
    """ATen's mixed case: a bfloat16 input with float32 weight and bias gives a bfloat16 output,
    and each gradient in its own tensor's dtype."""
    x = torch.randn(3, 8).bfloat16().requires_grad_()
    w, b = torch.randn(8, requires_grad=True), torch.randn(8, requires_grad=True)
    y, expected = F.layer_norm(x, [8], w, b), TF.layer_norm(x, [8], w, b)
    assert y.dtype == expected.dtype == torch.bfloat16
    torch.testing.assert_close(y, expected)
    g = torch.randn(3, 8).bfloat16()
    for a, e in zip(
        torch.autograd.grad(y, (x, w, b), g), torch.autograd.grad(expected, (x, w, b), g), strict=True
    ):
        assert a.dtype == e.dtype
        torch.testing.assert_close(a, e, rtol=1.6e-2, atol=2e-2)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=str)
def test_cpu_autocast_keeps_the_input_dtype_as_torch(dtype):
    """layer_norm is on CUDA autocast's float32 list, not on CPU's: there the output keeps the
    input's dtype, as torch's."""
    x = torch.randn(3, 6, dtype=dtype)
    w, b = torch.ones(6, dtype=dtype), torch.zeros(6, dtype=dtype)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ours, theirs = F.layer_norm(x, [6], w, b), TF.layer_norm(x, [6], w, b)
    assert ours.dtype == theirs.dtype == dtype
