"""Property tests (hypothesis): shapes and value laws that hold for any input, not just the
registry's samples."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays, mutually_broadcastable_shapes

import torchlayers.functional as F

PROPERTY = settings(max_examples=25, deadline=None)

SHAPES = array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, width=32)
FINITE = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, width=32)


def _tensor(array) -> torch.Tensor:
    return torch.from_numpy(array.copy())


any_tensor = arrays("float32", SHAPES, elements=ANY_FLOAT).map(_tensor)
finite_tensor = arrays("float32", SHAPES, elements=FINITE).map(_tensor)


@PROPERTY
@given(x=any_tensor, slope=st.floats(0, 1), alpha=st.floats(0.1, 3))
def test_activations_keep_shape_and_dtype(x, slope, alpha):
    for output in (
        F.relu(x),
        F.sigmoid(x),
        F.tanh(x),
        F.leaky_relu(x, slope),
        F.elu(x, alpha),
        F.exp(x),
        F.reciprocal(x),
        F.mul_constant(x, alpha),
        F.add_constant(x, alpha),
    ):
        assert output.shape == x.shape
        assert output.dtype == x.dtype


@PROPERTY
@given(x=any_tensor)
def test_relu_is_non_negative_or_nan(x):
    output = F.relu(x)
    assert ((output >= 0) | output.isnan()).all()
    assert torch.equal(output.isnan(), x.isnan())
    torch.testing.assert_close(output, TF.relu(x), equal_nan=True, rtol=0, atol=0)


@PROPERTY
@given(x=any_tensor)
def test_sigmoid_in_unit_interval_and_tanh_in_symmetric_interval(x):
    s, t = F.sigmoid(x), F.tanh(x)
    keep = ~x.isnan()
    assert ((s[keep] >= 0) & (s[keep] <= 1)).all()
    assert ((t[keep] >= -1) & (t[keep] <= 1)).all()
    torch.testing.assert_close(F.sigmoid(-x[keep]), 1 - s[keep])  # σ(-x) = 1 - σ(x)


@PROPERTY
@given(x=finite_tensor, slope=st.floats(0, 1))
def test_leaky_relu_is_max_of_two_lines(x, slope):
    """For 0 <= a <= 1, the lecture's max(a x, x)."""
    torch.testing.assert_close(F.leaky_relu(x, slope), torch.maximum(slope * x, x), rtol=0, atol=0)


@PROPERTY
@given(x=finite_tensor, alpha=st.floats(0.1, 3))
def test_elu_bounded_below_by_minus_alpha(x, alpha):
    output = F.elu(x, alpha)
    assert (output >= -alpha * (1 + 1e-6)).all()
    torch.testing.assert_close(output[x > 0], x[x > 0], rtol=0, atol=0)


@PROPERTY
@given(
    batch=array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    in_features=st.integers(1, 5),
    out_features=st.integers(1, 5),
    bias=st.booleans(),
)
def test_linear_keeps_batch_shape(batch, in_features, out_features, bias):
    x = torch.randn(*batch, in_features, requires_grad=True)
    weight = torch.randn(out_features, in_features, requires_grad=True)
    b = torch.randn(out_features, requires_grad=True) if bias else None
    output = F.linear(x, weight, b)
    assert output.shape == (*batch, out_features)
    torch.testing.assert_close(output, TF.linear(x, weight, b))
    tensors = [x, weight] + ([b] if bias else [])
    for tensor, grad in zip(tensors, torch.autograd.grad(output.sum(), tensors), strict=True):
        assert grad.shape == tensor.shape


@PROPERTY
@given(
    batch=array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4),
    in_features=st.integers(1, 4),
    out_features=st.integers(1, 4),
    pieces=st.integers(1, 4),
)
def test_maxout_is_at_least_every_piece(batch, in_features, out_features, pieces):
    x = torch.randn(*batch, in_features)
    weight = torch.randn(out_features * pieces, in_features)
    bias = torch.randn(out_features * pieces)
    output = F.maxout(x, weight, bias, pieces)
    assert output.shape == (*batch, out_features)
    # Every piece's scores, from one matmul (separate ones could round differently).
    scores = TF.linear(x, weight, bias).unflatten(-1, (pieces, out_features))
    for p in range(pieces):
        assert (output >= scores[..., p, :]).all()
    assert (output.unsqueeze(-2) == scores).any(dim=-2).all()  # and it is one of them


@PROPERTY
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4))
def test_binary_nodes_broadcast_and_unbroadcast(shapes):
    """Outputs broadcast as torch does; each gradient comes back in its input's own shape."""
    a_shape, b_shape = shapes.input_shapes
    a = torch.randn(a_shape, dtype=torch.float64, requires_grad=True)
    b = torch.randn(b_shape, dtype=torch.float64, requires_grad=True)
    for ours, theirs in ((F.add, torch.add), (F.mul, torch.mul)):
        output = ours(a, b)
        assert output.shape == torch.broadcast_shapes(a_shape, b_shape) == shapes.result_shape
        expected = theirs(a, b)
        torch.testing.assert_close(output, expected)
        grad_output = torch.randn_like(output)
        actual_grads = torch.autograd.grad(output, (a, b), grad_output)
        expected_grads = torch.autograd.grad(expected, (a, b), grad_output)
        for grad, expected_grad, tensor in zip(actual_grads, expected_grads, (a, b), strict=True):
            assert grad.shape == tensor.shape
            torch.testing.assert_close(grad, expected_grad)


@PROPERTY
@given(x=finite_tensor, constant=st.floats(-100, 100), scale=st.floats(-100, 100))
def test_constant_nodes_are_affine(x, constant, scale):
    torch.testing.assert_close(F.add_constant(x, constant), x + constant, rtol=0, atol=0)
    torch.testing.assert_close(F.mul_constant(x, scale), x * scale, rtol=0, atol=0)
    if x.numel():
        assert math.isfinite(float(F.mul_constant(x, scale).abs().max()))
