"""Activation derivatives beyond the registry's generic checks: third derivatives and PReLU's
mixed second derivatives against torch's, in whichever mode the suite runs; with kernels on,
plain backward equal to torch.nn's to the last bit (the same kernels), NaN included; in formula
mode, the formula's answer at NaN; a compiled network of every activation."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF

import torchlayers
import torchlayers.functional as F


@pytest.fixture
def kernels_on():
    with torchlayers.use_kernels(True):
        yield


@pytest.fixture
def kernels_off():
    with torchlayers.use_kernels(False):
        yield


def _off_zero(*shape, low=-3.0, high=3.0, requires_grad=True):
    """float64 values in [low, high] kept at least 0.1 from the kinks at 0."""
    x = torch.empty(shape, dtype=torch.float64).uniform_(low, high)
    x = torch.where(x.abs() < 0.1, x.sign() * 0.2 + (x == 0) * 0.2, x)
    return x.requires_grad_(requires_grad)


# The piecewise-linear activations have zero second and third derivatives: only these three
# have a third derivative to compare.
THIRD_ORDER = [
    ("sigmoid", F.sigmoid, torch.sigmoid),
    ("tanh", F.tanh, torch.tanh),
    ("elu", lambda x: F.elu(x, 0.5), lambda x: TF.elu(x, 0.5)),
]


@pytest.mark.parametrize(("ours", "theirs"), [c[1:] for c in THIRD_ORDER], ids=[c[0] for c in THIRD_ORDER])
def test_third_derivative_matches_torch(ours, theirs):
    """d³/dx³ through three nested backward passes equals torch's (away from the kinks)."""

    def third(fn):
        x = _off_zero(4, 5)
        (d1,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
        (d2,) = torch.autograd.grad(d1.sum(), x, create_graph=True)
        (d3,) = torch.autograd.grad(d2.sum(), x)
        return d1, d2, d3

    torch.manual_seed(1)
    actual = third(ours)
    torch.manual_seed(1)
    expected = third(theirs)
    for a, e in zip(actual, expected, strict=True):
        torch.testing.assert_close(a, e)


@pytest.mark.parametrize("weight_shape", [(1,), (3,)], ids=["shared", "channels"])
def test_prelu_second_derivatives_match_torch(weight_shape):
    """Mixed second derivatives of PReLU (the incoming gradient a constant, as after ``sum``),
    against torch's: d/dx and d/dw of ⟨dL/dx, u⟩ + ⟨dL/dw, v⟩."""

    def second(prelu):
        torch.manual_seed(2)
        x = _off_zero(4, 3, 5)
        w = torch.empty(weight_shape, dtype=torch.float64).uniform_(0.05, 0.5).requires_grad_()
        u, v = torch.randn(4, 3, 5, dtype=torch.float64), torch.randn(weight_shape, dtype=torch.float64)
        grad_x, grad_w = torch.autograd.grad(prelu(x, w).sum(), (x, w), create_graph=True)
        return torch.autograd.grad((grad_x * u).sum() + (grad_w * v).sum(), (x, w))

    for a, e in zip(second(F.prelu), second(TF.prelu), strict=True):
        torch.testing.assert_close(a, e)


PARITY = [
    ("sigmoid", F.sigmoid, torch.sigmoid),
    ("tanh", F.tanh, torch.tanh),
    ("relu", F.relu, TF.relu),
    ("relu_inplace", lambda x: F.relu(x * 1, inplace=True), lambda x: TF.relu(x * 1, inplace=True)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    (
        "leaky_relu_inplace",
        lambda x: F.leaky_relu(x * 1, 0.2, inplace=True),
        lambda x: TF.leaky_relu(x * 1, 0.2, inplace=True),
    ),
    ("elu", lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7)),
    ("elu_inplace", lambda x: F.elu(x * 1, 0.7, inplace=True), lambda x: TF.elu(x * 1, 0.7, inplace=True)),
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize(("ours", "theirs"), [c[1:] for c in PARITY], ids=[c[0] for c in PARITY])
def test_plain_backward_is_torch_kernel_bit_for_bit(ours, theirs, dtype, kernels_on):
    """Plain backward runs the kernel torch.nn's backward runs: gradients equal to the last bit,
    float16/bfloat16 included, on a tensor long enough for ATen's vectorised path."""
    x = (torch.randn(8, 1031) * 4).to(dtype).requires_grad_()
    grad_output = torch.randn(8, 1031).to(dtype)
    (actual,) = torch.autograd.grad(ours(x), x, grad_output)
    (expected,) = torch.autograd.grad(theirs(x), x, grad_output)
    torch.testing.assert_close(actual, expected, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
def test_prelu_gradients_are_torch_kernel_bit_for_bit(dtype, kernels_on):
    x = (torch.randn(16, 3, 129) * 4).to(dtype).requires_grad_()
    w = torch.tensor([0.1, -0.3, 0.25]).to(dtype).requires_grad_()
    grad_output = torch.randn(16, 3, 129).to(dtype)
    actual = torch.autograd.grad(F.prelu(x, w), (x, w), grad_output)
    expected = torch.autograd.grad(TF.prelu(x, w), (x, w), grad_output)
    for a, e in zip(actual, expected, strict=True):
        torch.testing.assert_close(a, e, rtol=0, atol=0)


@pytest.mark.parametrize("inplace", [False, True], ids=["out_of_place", "inplace"])
def test_elu_gradient_at_nan_is_torch_nns(inplace, kernels_on):
    """With NaNs in the input, ELU's gradient equals torch.nn's bit for bit, NaNs included:
    the same kernel, no pass of our own (torch's CPU kernel gives NaN there in its vectorised
    loop, the incoming gradient in its scalar tail). Elsewhere it is the formula's."""
    x = torch.randn(4, 67, dtype=torch.float64)  # 67: both the vectorised loop and the tail
    x[1, 7] = x[3, 40] = x[3, 66] = float("nan")
    grad_output = torch.rand(4, 67, dtype=torch.float64) + 0.5
    grads = []
    for elu in (F.elu, TF.elu):
        leaf = x.clone().requires_grad_()
        grads.append(torch.autograd.grad(elu(leaf * 1, 0.5, inplace=inplace), leaf, grad_output)[0])
    grad, expected_grad = grads
    torch.testing.assert_close(grad, expected_grad, rtol=0, atol=0, equal_nan=True)
    nan = x.isnan()
    formula = torch.where(x > 0, grad_output, grad_output * 0.5 * x.exp())
    torch.testing.assert_close(grad[~nan], formula[~nan])


def test_elu_formula_at_nan_passes_the_gradient(kernels_off):
    """In formula mode ELU's gradient at NaN is ATen's formula's (its CUDA kernel and CPU scalar
    loop): the incoming gradient, wherever the NaN stands."""
    x = torch.randn(4, 67, dtype=torch.float64)
    x[1, 7] = x[3, 40] = x[3, 66] = float("nan")
    leaf = x.clone().requires_grad_()
    grad_output = torch.rand(4, 67, dtype=torch.float64) + 0.5
    (grad,) = torch.autograd.grad(F.elu(leaf, 0.5), leaf, grad_output)
    nan = x.isnan()
    torch.testing.assert_close(grad[nan], grad_output[nan], rtol=0, atol=0)


def test_compiled_backward_matches_eager():
    """A compiled network of every fused activation: gradients equal eager's, one graph."""
    torch.manual_seed(0)
    w = torch.full((3,), 0.2, requires_grad=True)

    def network(x, w):
        y = F.sigmoid(x) + F.tanh(x) + F.relu(x) + F.leaky_relu(x, 0.1) + F.elu(x, 0.5)
        return F.prelu(y - 1, w)

    x = torch.randn(4, 3, requires_grad=True)
    compiled = torch.compile(network, backend="aot_eager", fullgraph=True)
    grad_output = torch.randn(4, 3)
    expected = torch.autograd.grad(network(x, w), (x, w), grad_output)
    actual = torch.autograd.grad(compiled(x, w), (x, w), grad_output)
    for a, e in zip(actual, expected, strict=True):
        torch.testing.assert_close(a, e)
