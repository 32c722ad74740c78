"""``torchlayers.functional`` where the audit has nothing to say: the registry's samples reach
the edge shapes, in-place calls refuse what torch refuses and never touch the incoming
gradient, bad arguments raise as torch's do, ``mlp``'s activation names. Values and gradients
against the oracle in each dtype, special values, in-place semantics and autocast are the
audit's checks (``tests/test_audit_registry.py``)."""

from __future__ import annotations

import pytest
import torch

import torchlayers.functional as F
from tests._helpers import (
    about,
    detached_copy,
    op_params,
)
from torchlayers.testing import OPS

UNARY_OPS = [op for op in OPS if op.unary_elementwise]
INPLACE_OPS = [op for op in OPS if op.supports_inplace]


def test_samples_cover_edge_shapes():
    """The registry's unary samples include 0-d, empty and non-contiguous inputs."""
    for op in UNARY_OPS:
        inputs = [sample.args[0] for sample in op.sample_inputs("cpu", torch.float64, False)]
        assert any(x.dim() == 0 for x in inputs), op.name
        assert any(x.numel() == 0 for x in inputs), op.name
        assert any(not x.is_contiguous() for x in inputs), op.name


# --- in-place -------------------------------------------------------------------------------


def _inplace_cases(op, dtype=torch.float64):
    """Non-empty samples of an in-place op; the main input is made a non-leaf by the test."""
    return [s for s in op.sample_inputs("cpu", dtype, True) if s.args[0].numel() > 0]


@pytest.mark.parametrize("op", op_params(INPLACE_OPS))
def test_inplace_on_leaf_requiring_grad_raises_like_torch(op):
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
