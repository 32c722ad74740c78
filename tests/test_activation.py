"""Activation derivatives beyond the registry's generic checks: third derivatives and PReLU's
mixed second derivatives against torch's, in whichever mode the suite runs; with kernels on,
plain backward equal to torch.nn's to the last bit (the same kernels), NaN included; in formula
mode, the formula's answer at NaN; a compiled network of every activation. Then the soft
activations (log-sigmoid, softplus, softsign, softshrink, softmin): their derivatives at
hand-picked points, thresholds and branches, large inputs, what each caches, torch's errors."""

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


# --- the soft activations: log-sigmoid, softplus, softsign, softshrink, softmin --------------


def _packed_by(fn, *inputs):
    """Run ``fn`` and return its output and every tensor autograd packed for backward."""
    packed = []

    def pack(tensor):
        packed.append(tensor)
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        output = fn(*inputs)
    return output, packed


def _derivative(fn, values, dtype=torch.float64):
    x = torch.tensor(values, dtype=dtype, requires_grad=True)
    (grad,) = torch.autograd.grad(fn(x).sum(), x)
    return grad


def _exact(values):
    return torch.tensor(values, dtype=torch.float64)


SOFT_PARITY = [
    ("logsigmoid", F.logsigmoid, TF.logsigmoid),
    ("softplus", F.softplus, TF.softplus),
    ("softplus_beta", lambda x: F.softplus(x, 0.3, 1.5), lambda x: TF.softplus(x, 0.3, 1.5)),
    ("softsign", F.softsign, TF.softsign),
    ("softshrink", lambda x: F.softshrink(x, 0.3), lambda x: TF.softshrink(x, 0.3)),
    ("softmin", lambda x: F.softmin(x, 1), lambda x: TF.softmin(x, 1)),
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize(("ours", "theirs"), [c[1:] for c in SOFT_PARITY], ids=[c[0] for c in SOFT_PARITY])
def test_soft_activations_are_torch_bit_for_bit(ours, theirs, dtype, kernels_on):
    """With kernels on the forward and plain backward run torch.nn's kernels (softsign: its
    composition, in any mode): values and gradients equal to the last bit, half types included."""
    x = (torch.randn(8, 1031) * 4).to(dtype).requires_grad_()
    grad_output = torch.randn(8, 1031).to(dtype)
    output, expected_output = ours(x), theirs(x)
    torch.testing.assert_close(output, expected_output, rtol=0, atol=0)
    (actual,) = torch.autograd.grad(output, x, grad_output)
    (expected,) = torch.autograd.grad(expected_output, x, grad_output)
    torch.testing.assert_close(actual, expected, rtol=0, atol=0)


# log-sigmoid


def test_logsigmoid_derivative_is_sigmoid_of_minus_x():
    """d/dx log σ(x) = σ(-x) = 1/(1 + eˣ): 1/2 at 0, 1/(1 + e) at 1, e²/(1 + e²) at -2."""
    e = torch.e
    expected = _exact([0.5, 1 / (1 + e), e**2 / (1 + e**2), 1 / (1 + e**3)])
    torch.testing.assert_close(_derivative(F.logsigmoid, [0.0, 1.0, -2.0, 3.0]), expected)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
def test_logsigmoid_is_stable_at_large_inputs(dtype):
    """log σ(-1000) = -1000 (not -inf: e^{1000} is never taken), log σ(1000) = 0; slopes 1 and 0."""
    x = torch.tensor([-1000.0, 1000.0, -30.0], dtype=dtype, requires_grad=True)
    output = F.logsigmoid(x)
    torch.testing.assert_close(output, torch.tensor([-1000.0, 0.0, -30.0], dtype=dtype))
    (grad,) = torch.autograd.grad(output.sum(), x)
    torch.testing.assert_close(grad, torch.tensor([1.0, 0.0, 1.0], dtype=dtype))


def test_logsigmoid_second_derivative():
    """d²/dx² log σ(x) = -σ(x)σ(-x): -1/4 at 0 itself (abs's zero subgradient kept out), and
    torch's elsewhere."""
    x = torch.tensor([0.0, -1.5, 2.0, 0.3], dtype=torch.float64, requires_grad=True)
    (first,) = torch.autograd.grad(F.logsigmoid(x).sum(), x, create_graph=True)
    (second,) = torch.autograd.grad(first.sum(), x)
    torch.testing.assert_close(second, -torch.sigmoid(x) * torch.sigmoid(-x))
    torch.testing.assert_close(second[0], torch.tensor(-0.25, dtype=torch.float64))


def test_logsigmoid_caches_input_and_atens_buffer():
    """The input and, as torch's CPU kernel, the buffer e^{-|x|}: what the docstring says."""
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    _, packed = _packed_by(F.logsigmoid, x)
    _, torch_packed = _packed_by(TF.logsigmoid, x)
    assert len(packed) == len(torch_packed) == 2
    assert packed[0] is x
    torch.testing.assert_close(packed[1], torch.exp(-x.detach().abs()))


# softplus


@pytest.mark.parametrize("beta", [1.0, 2.0, 0.5, -1.0])
def test_softplus_derivative_is_sigmoid_of_beta_x(beta):
    """d/dx (1/β) log(1 + e^{βx}) = σ(βx), below the threshold."""
    points = [-2.0, -0.5, 0.0, 0.7, 3.0]
    expected = torch.sigmoid(beta * _exact(points))
    torch.testing.assert_close(_derivative(lambda x: F.softplus(x, beta), points), expected)


def test_softplus_threshold_branch():
    """Linear (the input itself, slope 1) where βx > threshold; the log at βx == threshold."""
    beta, threshold = 2.0, 3.0
    x = torch.tensor([1.4, 1.5, 1.6, 10.0], dtype=torch.float64, requires_grad=True)
    output = F.softplus(x, beta, threshold)
    log_side = torch.log1p(torch.exp(beta * x[:2].detach())) / beta
    torch.testing.assert_close(output[:2], log_side)
    torch.testing.assert_close(output[2:], x[2:].detach(), rtol=0, atol=0)
    (grad,) = torch.autograd.grad(output.sum(), x)
    torch.testing.assert_close(grad[:2], torch.sigmoid(beta * x[:2].detach()))
    torch.testing.assert_close(grad[2:], torch.ones(2, dtype=torch.float64), rtol=0, atol=0)
    torch.testing.assert_close(output, TF.softplus(x, beta, threshold), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
def test_softplus_large_inputs_and_no_nan_in_double_backward(dtype):
    """softplus(1000) = 1000, softplus(-1000) = 0; slopes 1 and 0, and a second derivative of 0
    (not NaN: e^{βx} is never taken on the linear side)."""
    x = torch.tensor([1000.0, -1000.0, 700.0], dtype=dtype, requires_grad=True)
    output = F.softplus(x)
    torch.testing.assert_close(output, torch.tensor([1000.0, 0.0, 700.0], dtype=dtype))
    (first,) = torch.autograd.grad(output.sum(), x, create_graph=True)
    torch.testing.assert_close(first, torch.tensor([1.0, 0.0, 1.0], dtype=dtype))
    (second,) = torch.autograd.grad(first.sum(), x)
    torch.testing.assert_close(second, torch.zeros(3, dtype=dtype))


def test_softplus_caches_its_input_only():
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    _, packed = _packed_by(lambda t: F.softplus(t, 2.0), x)
    assert len(packed) == 1 and packed[0] is x


# softsign


def test_softsign_derivative_values():
    """d/dx x/(1 + |x|) = 1/(1 + |x|)²: 1 at 0, 1/4 at ±1, 1/16 at -3."""
    expected = _exact([1.0, 0.25, 0.25, 1 / 16, 1 / 1.5**2])
    torch.testing.assert_close(_derivative(F.softsign, [0.0, 1.0, -1.0, -3.0, 0.5]), expected)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16], ids=str)
def test_softsign_at_infinity_is_nan_as_torch(dtype):
    """torch's x / (|x| + 1) is inf/inf = NaN at ±inf, and so is its gradient: ours too."""
    x = torch.tensor([float("inf"), float("-inf"), 1e4, -88.0], dtype=dtype, requires_grad=True)
    output, expected = F.softsign(x), TF.softsign(x)
    assert output[:2].isnan().all()
    torch.testing.assert_close(output, expected, rtol=0, atol=0, equal_nan=True)
    (grad,) = torch.autograd.grad(output.sum(), x)
    (expected_grad,) = torch.autograd.grad(expected.sum(), x)
    assert grad[:2].isnan().all()
    torch.testing.assert_close(grad, expected_grad, rtol=0, atol=0, equal_nan=True)


def test_softsign_caches_its_input_only():
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    _, packed = _packed_by(F.softsign, x)
    assert len(packed) == 1 and packed[0] is x


# softshrink


def test_softshrink_branches_and_derivative():
    """x - λ above λ, x + λ below -λ, 0 between (and at ±λ); slope 1[|x| > λ], 0 at the kinks."""
    points = [-2.0, -0.5, -0.2, 0.0, 0.5, 0.7]
    x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    output = F.softshrink(x, 0.5)
    torch.testing.assert_close(output, _exact([-1.5, 0.0, 0.0, 0.0, 0.0, 0.2]))
    (grad,) = torch.autograd.grad(output.sum(), x)
    torch.testing.assert_close(grad, _exact([1.0, 0.0, 0.0, 0.0, 0.0, 1.0]), rtol=0, atol=0)
    torch.testing.assert_close(grad, _derivative(lambda t: TF.softshrink(t, 0.5), points))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=str)
def test_softshrink_rounds_lambda_to_half_types_as_torch(dtype, kernels_off):
    """λ = 0.3 is compared and subtracted as the input's dtype rounds it (half(0.3) = 0.30005),
    as torch's kernel does: the formula gives torch's numbers, not float32's."""
    x = torch.tensor([0.30029296875, 0.3, -0.30029296875, 0.7, 2.1], dtype=dtype, requires_grad=True)
    output, expected = F.softshrink(x, 0.3), TF.softshrink(x, 0.3)
    torch.testing.assert_close(output, expected, rtol=0, atol=0)
    (grad,) = torch.autograd.grad(output.sum(), x)
    (expected_grad,) = torch.autograd.grad(expected.sum(), x)
    torch.testing.assert_close(grad, expected_grad, rtol=0, atol=0)


def test_softshrink_formula_passes_the_gradient_at_nan(kernels_off):
    """At NaN the formula passes the incoming gradient, as ATen's formula (CUDA kernel, CPU
    scalar loop); the value is NaN."""
    x = torch.tensor([float("nan"), 0.2, 1.0], dtype=torch.float64, requires_grad=True)
    output = F.softshrink(x)
    assert output[0].isnan()
    (grad,) = torch.autograd.grad(output, x, torch.tensor([3.0, 3.0, 3.0], dtype=torch.float64))
    torch.testing.assert_close(grad, _exact([3.0, 0.0, 3.0]), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16], ids=str)
@pytest.mark.parametrize(
    "lambd", [-1, -0.1234567, float("nan"), float("inf"), 1e5], ids=["-1", "-0.123", "nan", "inf", "1e5"]
)
@pytest.mark.parametrize("use_kernels", [True, False], ids=["kernels", "formulas"])
def test_softshrink_lambda_out_of_range_raises_like_torch(lambd, dtype, use_kernels):
    """Outside [0, the dtype's largest number] (1e5 is outside float16's only), torch's
    RuntimeError and message, whichever side computes; the module constructs with any λ and
    raises when called, as torch.nn's."""
    x = torch.ones(3, dtype=dtype)
    module, torch_module = torchlayers.nn.Softshrink(lambd), torch.nn.Softshrink(lambd)
    assert repr(module) == repr(torch_module)
    with torchlayers.use_kernels(use_kernels):
        if lambd == 1e5 and dtype != torch.float16:
            torch.testing.assert_close(F.softshrink(x, lambd), TF.softshrink(x, lambd), rtol=0, atol=0)
            return
        with pytest.raises(RuntimeError) as torch_error:
            TF.softshrink(x, lambd)
        for call in (lambda: F.softshrink(x, lambd), lambda: module(x)):
            with pytest.raises(RuntimeError) as error:
                call()
            assert str(error.value) == str(torch_error.value)


def test_softshrink_caches_its_input_only():
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    _, packed = _packed_by(F.softshrink, x)
    assert len(packed) == 1 and packed[0] is x


# softmin


def test_softmin_jacobian_is_minus_softmax_jacobian():
    """∂ softmin(z)ᵢ/∂zⱼ = -pᵢ(δᵢⱼ - pⱼ), p = softmin(z): the softmax's Jacobian, sign flipped."""
    z = torch.tensor([0.5, -1.0, 2.0, 0.1], dtype=torch.float64)
    p = torch.softmax(-z, 0)
    jacobian = torch.autograd.functional.jacobian(lambda t: F.softmin(t, 0), z)
    torch.testing.assert_close(jacobian, -(torch.diag(p) - torch.outer(p, p)))
    torch.testing.assert_close(F.softmin(z, 0), p)


def test_softmin_dtype_and_implicit_dim_as_torch():
    """``dtype=`` casts before computing; no ``dim`` warns as torch.nn.functional does and picks
    its dimension."""
    x = torch.randn(2, 3, requires_grad=True)
    output = F.softmin(x, 1, dtype=torch.float64)
    assert output.dtype == torch.float64
    torch.testing.assert_close(output, TF.softmin(x, 1, dtype=torch.float64), rtol=0, atol=0)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        implicit = F.softmin(x)
    torch.testing.assert_close(implicit, F.softmin(x, 1))


def test_softmin_module_constructs_as_torch():
    """torch.nn.Softmin checks no ``dim`` at construction (Softmax and LogSoftmax do): neither
    does ours; repr and the call match."""
    for dim in (None, 1, "a"):
        assert repr(torchlayers.nn.Softmin(dim)) == repr(torch.nn.Softmin(dim))
    x = torch.randn(2, 3)
    torch.testing.assert_close(torchlayers.nn.Softmin(1)(x), torch.nn.Softmin(1)(x))


def test_softmin_caches_its_output_only():
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    output, packed = _packed_by(lambda t: F.softmin(t, 1), x)
    assert len(packed) == 1
    torch.testing.assert_close(packed[0], output, rtol=0, atol=0)


SOFT_BAD_ARGUMENTS = [
    ("logsigmoid_float", lambda f: f.logsigmoid(1.0)),
    ("softplus_list", lambda f: f.softplus([1.0])),
    ("softplus_str_beta", lambda f: f.softplus(torch.ones(2), "2")),
    ("softplus_str_threshold", lambda f: f.softplus(torch.ones(2), 1.0, "20")),
    ("softshrink_str_lambd", lambda f: f.softshrink(torch.ones(2), "0.5")),
    ("softshrink_negative_lambd", lambda f: f.softshrink(torch.ones(2), -0.5)),
]


@pytest.mark.parametrize("call", [c[1] for c in SOFT_BAD_ARGUMENTS], ids=[c[0] for c in SOFT_BAD_ARGUMENTS])
def test_soft_activation_bad_arguments_raise_like_torch(call):
    """torch.nn.functional's exception type for each bad argument."""
    with pytest.raises(Exception) as torch_error:
        call(TF)
    with pytest.raises(torch_error.type):
        call(F)
