"""``torchlayers.functional`` against its oracle (``OpInfo.ref``: torch.nn.functional or native
ops): values and every gradient in each dtype, special values, in-place semantics, autocast."""

from __future__ import annotations

import pytest
import torch

import torchlayers
import torchlayers.functional as F
from tests._helpers import (
    DEVICES,
    HALF_DTYPES,
    about,
    assert_same_grads,
    detached_copy,
    grads,
    non_leaf_like,
    op_params,
    skip_if_listed,
)
from torchlayers.testing import FLOAT_DTYPES, OPS

UNARY_OPS = [op for op in OPS if op.unary_elementwise]
INPLACE_OPS = [op for op in OPS if op.supports_inplace]


def _dtype_params():
    return [pytest.param(dtype, id=str(dtype).removeprefix("torch.")) for dtype in FLOAT_DTYPES]


# --- parity on random values ----------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", _dtype_params())
@pytest.mark.parametrize("op", op_params())
def test_matches_reference(op, dtype, device):
    """Output and the gradient of every tensor input equal the reference's, computed in the
    same dtype, within assert_close's default tolerance for that dtype."""
    skip_if_listed(op, "test_matches_reference")
    if dtype not in op.dtypes:
        pytest.skip(f"{op.name} does not support {dtype}")
    for sample in op.sample_inputs(device, dtype, True):
        with about(sample):
            output = op.op(*sample.args, **sample.kwargs)
            expected = op.ref(*sample.args, **sample.kwargs)
            assert output.dtype == expected.dtype
            assert output.shape == expected.shape
            grad_output = torch.randn_like(expected)
            tensors = sample.tensors()
            actual_grads = grads(output, tensors, grad_output)
            try:
                torch.testing.assert_close(output, expected)
                assert_same_grads(actual_grads, grads(expected, tensors, grad_output))
            except AssertionError:
                if dtype not in HALF_DTYPES:
                    raise
                _assert_rounded_from_float64(op, sample, output, actual_grads, grad_output)


def _assert_rounded_from_float64(op, sample, output, actual_grads, grad_output) -> None:
    """Where torch rounds intermediate results to float16/bfloat16 (e.g. its CPU loss kernels
    round ``x - y`` before squaring it) and we compute in float32 and round once, the two can
    differ by more than the dtype's tolerance. Then ours must equal the float64 oracle rounded to
    the dtype (values at the dtype's tolerance, gradients normwise): never a different formula."""
    wide = [
        detached_copy(a).double().requires_grad_(a.requires_grad) if _is_float_tensor(a) else a
        for a in sample.args
    ]
    wide_kwargs = {k: v.double() if _is_float_tensor(v) else v for k, v in sample.kwargs.items()}
    truth = op.ref(*wide, **wide_kwargs)
    # normwise, as the gradients below: a loss that sums float16 log-probabilities over classes
    # (label smoothing) carries their rounding, a few units in the last place of the largest term
    value_rtol = {torch.float16: 1e-3, torch.bfloat16: 1.6e-2, torch.float32: 1.3e-6}[output.dtype]
    value_scale = truth.abs().max().item() if truth.numel() else 0.0
    torch.testing.assert_close(
        output.double(), truth, rtol=value_rtol, atol=max(1e-5, 2 * value_rtol * value_scale)
    )
    tensors = [a for a in wide if _is_float_tensor(a)]
    truth_grads = grads(truth, tensors, grad_output.double())
    assert len(actual_grads) == len(truth_grads)
    for i, (actual, exact) in enumerate(zip(actual_grads, truth_grads, strict=True)):
        assert (actual is None) == (exact is None), f"gradient {i}"
        if actual is None:
            continue
        # Normwise: gradients such as softmax(x) - target cancel, and both torch and we round
        # the float16 log-probabilities they start from, so an element's error scales with the
        # largest element, not with itself.
        rtol = {torch.float16: 1e-3, torch.bfloat16: 1.6e-2, torch.float32: 1.3e-6}[actual.dtype]
        scale = exact.abs().max().item() if exact.numel() else 0.0
        torch.testing.assert_close(
            actual.double(), exact, rtol=rtol, atol=2 * rtol * scale, msg=lambda m, i=i: f"gradient {i}: {m}"
        )


def _is_float_tensor(value) -> bool:
    return isinstance(value, torch.Tensor) and value.is_floating_point()


def test_samples_cover_edge_shapes():
    """The registry's unary samples include 0-d, empty and non-contiguous inputs."""
    for op in UNARY_OPS:
        inputs = [sample.args[0] for sample in op.sample_inputs("cpu", torch.float64, False)]
        assert any(x.dim() == 0 for x in inputs), op.name
        assert any(x.numel() == 0 for x in inputs), op.name
        assert any(not x.is_contiguous() for x in inputs), op.name


# --- special values -------------------------------------------------------------------------


def _special_values(dtype: torch.dtype, device) -> torch.Tensor:
    tiny = torch.finfo(dtype).tiny  # the smallest normal number
    values = [float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 1.0, -1.0]
    values += [1e4, -1e4, 88.0, -88.0, 700.0, -700.0, 1e-30, -1e-30, tiny, -tiny]
    return torch.tensor(values, dtype=dtype, device=device)


@pytest.mark.parametrize("dtype", _dtype_params())
@pytest.mark.parametrize("op", op_params(UNARY_OPS))
def test_special_values(op, dtype):
    """nan, ±inf, ±0, ±1e4, ±88, ±700 and tiny numbers: output and gradient equal torch's.

    The oracle runs on the same tensor, so ATen's kernels take the same paths for both: they
    can disagree with themselves at NaN between their vectorised loop and their scalar tail
    (elu_backward gives NaN in one and the incoming gradient in the other), and torch.nn's
    answer is the one a drop-in replacement must give.
    """
    skip_if_listed(op, "test_special_values")
    x = _special_values(dtype, "cpu").requires_grad_()
    grad_output = torch.linspace(-2, 2, x.numel(), dtype=dtype)
    for kwargs in op.special_kwargs:
        with about(kwargs, dtype):
            output = op.op(x, **kwargs)
            (grad,) = torch.autograd.grad(output, x, grad_output)
            expected = op.ref(x, **kwargs)
            (expected_grad,) = torch.autograd.grad(expected, x, grad_output)
            for i in range(x.numel()):
                where = f"at x = {x[i].item()}"
                torch.testing.assert_close(output[i], expected[i], equal_nan=True, msg=where)
                if x[i].isnan() and not torchlayers.kernels_enabled():
                    # the formula gives ATen's formula's answer at NaN: its CUDA kernel's and its
                    # CPU scalar loop's, which one element alone takes (the vectorised loop may not)
                    single = x[i : i + 1].detach().requires_grad_()
                    alone = op.ref(single, **kwargs)
                    (expected_alone,) = torch.autograd.grad(alone, single, grad_output[i : i + 1])
                    torch.testing.assert_close(grad[i : i + 1], expected_alone, equal_nan=True, msg=where)
                    continue
                torch.testing.assert_close(grad[i], expected_grad[i], equal_nan=True, msg=where)


# --- in-place -------------------------------------------------------------------------------


def _inplace_cases(op, dtype=torch.float64):
    """Non-empty samples of an in-place op; the main input is made a non-leaf by the test."""
    return [s for s in op.sample_inputs("cpu", dtype, True) if s.args[0].numel() > 0]


@pytest.mark.parametrize("dtype", _dtype_params())
@pytest.mark.parametrize("op", op_params(INPLACE_OPS))
def test_inplace_matches_torch_inplace(op, dtype):
    """inplace=True returns its (non-leaf) input, modified, with torch's in-place values and
    gradients. Non-contiguous samples write through a strided view."""
    skip_if_listed(op, "test_inplace_matches_torch_inplace")
    for sample in _inplace_cases(op, dtype):
        with about(sample):
            leaf, *rest = sample.args
            input = non_leaf_like(leaf)
            pointer, version = input.data_ptr(), input._version
            output = op.op(input, *rest, **sample.kwargs, inplace=True)
            assert output is input
            assert output.data_ptr() == pointer
            assert input._version > version

            twin = detached_copy(leaf, requires_grad=True)
            expected = op.ref(non_leaf_like(twin), *rest, **sample.kwargs, inplace=True)
            torch.testing.assert_close(output, expected)
            torch.testing.assert_close(output, op.op(leaf, *rest, **sample.kwargs))
            grad_output = torch.randn_like(output)
            assert_same_grads(grads(output, [leaf], grad_output), grads(expected, [twin], grad_output))


@pytest.mark.parametrize("op", op_params(INPLACE_OPS))
def test_inplace_on_leaf_requiring_grad_raises_like_torch(op):
    skip_if_listed(op, "test_inplace_on_leaf_requiring_grad_raises_like_torch")
    sample = max(_inplace_cases(op), key=lambda s: s.args[0].numel())  # values of both signs
    leaf, *rest = sample.args
    with pytest.raises(Exception) as torch_error:
        op.ref(detached_copy(leaf, requires_grad=True), *rest, **sample.kwargs, inplace=True)
    values = leaf.detach().clone()
    with pytest.raises(torch_error.type, match="leaf Variable that requires grad"):
        op.op(leaf, *rest, **sample.kwargs, inplace=True)
    torch.testing.assert_close(leaf.detach(), values, rtol=0, atol=0)  # refused before any write


@pytest.mark.parametrize("inplace", [False, True], ids=["out_of_place", "inplace"])
@pytest.mark.parametrize("op", op_params(INPLACE_OPS))
def test_backward_never_mutates_grad_output(op, inplace):
    """Unlike Lua Torch's in-place MulConstant, the incoming gradient is left untouched."""
    for sample in _inplace_cases(op):
        with about(sample):
            leaf, *rest = sample.args
            output = op.op(leaf * 1, *rest, **sample.kwargs, inplace=inplace)
            grad_output = torch.randn_like(output)
            kept = grad_output.clone()
            (grad,) = torch.autograd.grad(output, leaf, grad_output)
            torch.testing.assert_close(grad_output, kept, rtol=0, atol=0)
            assert grad.data_ptr() != grad_output.data_ptr()


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda x: F.leaky_relu(x, -0.1, inplace=True), lambda x: torch.nn.functional.leaky_relu_(x, -0.1)),
        (lambda x: F.elu(x, -0.5, inplace=True), lambda x: torch.nn.functional.elu_(x, -0.5)),
    ],
    ids=["leaky_relu", "elu"],
)
def test_inplace_with_negative_parameter_raises_like_torch(ours, theirs):
    """With a negative slope/alpha the output no longer tells the input's sign: torch refuses
    the in-place backward, and so do we, with the same exception type."""
    x = torch.randn(5, requires_grad=True)
    with pytest.raises(Exception) as torch_error:
        theirs(x * 1).sum().backward()
    with pytest.raises(torch_error.type, match="negative"):
        ours(x * 1).sum().backward()


# --- argument checking ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: F.mul_constant(torch.ones(2), "2"),
        lambda: F.add_constant(torch.ones(2), None),
        lambda: F.maxout(torch.ones(2, 3), torch.ones(4, 3), pieces=2.0),
    ],
    ids=["mul_constant_str", "add_constant_none", "maxout_float_pieces"],
)
def test_bad_argument_types_raise_type_error(call):
    with pytest.raises(TypeError):
        call()


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: F.maxout(torch.ones(2, 3), torch.ones(4, 3), pieces=0), ValueError),
        (lambda: F.maxout(torch.ones(2, 3), torch.ones(5, 3), pieces=2), RuntimeError),
        (lambda: F.maxout(torch.ones(2, 3), torch.ones(4, 3), torch.ones(3), pieces=2), RuntimeError),
    ],
    ids=["pieces_zero", "rows_not_divisible", "bias_shape"],
)
def test_maxout_bad_shapes_raise(call, error):
    with pytest.raises(error, match="maxout"):
        call()


# --- autocast -------------------------------------------------------------------------------

_AUTOCAST = {"cpu": torch.bfloat16, "cuda": torch.float16}


def _expected_autocast_dtype(op, input_dtype, autocast_dtype, device):
    expected = {"input": input_dtype, "low": autocast_dtype, "float32": torch.float32}
    expected["low on CUDA"] = autocast_dtype if device == "cuda" else input_dtype
    return expected[op.autocast_output]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("op", op_params())
def test_autocast(op, device):
    """Under autocast each op returns the dtype its torch counterpart returns (as
    ``OpInfo.autocast_output`` documents), and backward gives gradients in each input's dtype."""
    skip_if_listed(op, "test_autocast")
    autocast_dtype = _AUTOCAST[device]
    for input_dtype in (torch.float32, autocast_dtype):
        for sample in op.sample_inputs(device, input_dtype, True):
            with about(sample, input_dtype):
                with torch.autocast(device, dtype=autocast_dtype):
                    output = op.op(*sample.args, **sample.kwargs)
                    expected = op.ref(*sample.args, **sample.kwargs)
                assert output.dtype == expected.dtype
                if input_dtype == torch.float32:
                    assert output.dtype == _expected_autocast_dtype(op, input_dtype, autocast_dtype, device)
                tensors = sample.tensors()
                grad_output = torch.randn_like(output)
                actual_grads = grads(output, tensors, grad_output)
                for tensor, grad in zip(tensors, actual_grads, strict=True):
                    assert grad is None or grad.dtype == tensor.dtype
                try:
                    torch.testing.assert_close(output, expected)
                    wide = output.dtype in (torch.float32, torch.float64)
                    tolerance = {} if wide else _tolerance(output.dtype)
                    assert_same_grads(actual_grads, grads(expected, tensors, grad_output), **tolerance)
                except AssertionError:
                    # torch's CUDA cross_entropy under autocast returns float32 values rounded
                    # to float16; we compute in float32 throughout. Then ours must be the
                    # float64 oracle's value at the output dtype's tolerance.
                    if input_dtype not in HALF_DTYPES:
                        raise
                    _assert_rounded_from_float64(op, sample, output, actual_grads, grad_output)


def _tolerance(dtype):
    """assert_close's default tolerance for ``dtype``, for gradients that passed through it."""
    return {torch.float16: {"rtol": 1e-3, "atol": 1e-5}, torch.bfloat16: {"rtol": 1.6e-2, "atol": 1e-5}}[
        dtype
    ]


def test_half_dtypes_are_the_registry_defaults():
    assert set(HALF_DTYPES) <= set(FLOAT_DTYPES)


@pytest.mark.parametrize(
    ("activations", "parameters", "error", "match"),
    [
        (["swish"], 4, ValueError, "unknown activation 'swish'"),
        (["relu"], 3, ValueError, "1 hidden layers take 4 parameters"),
        (["prelu"], 4, ValueError, "1 hidden layers take 5 parameters"),
        ([("relu", 0.1)], 4, ValueError, "takes no argument"),
        ([("elu", "1")], 4, TypeError, "must be a real number"),
    ],
    ids=["unknown", "count", "prelu_count", "argument", "argument_type"],
)
def test_mlp_bad_arguments_raise(activations, parameters, error, match):
    tensors = [torch.ones(3, 3)] * parameters
    with pytest.raises(error, match=match):
        F.mlp(torch.ones(2, 3), *tensors, activations=activations)


def test_mlp_activation_defaults_are_torch_nn_functionals():
    """A name alone takes torch.nn.functional's default: leaky ReLU's slope 0.01, ELU's α 1."""
    x, w1, b1, w2, b2 = (
        torch.randn(4, 3),
        torch.randn(5, 3),
        torch.randn(5),
        torch.randn(2, 5),
        torch.randn(2),
    )
    for name, explicit in (("leaky_relu", ("leaky_relu", 0.01)), ("elu", ("elu", 1.0))):
        torch.testing.assert_close(
            F.mlp(x, w1, b1, w2, b2, activations=[name]),
            F.mlp(x, w1, b1, w2, b2, activations=[explicit]),
            rtol=0,
            atol=0,
        )
