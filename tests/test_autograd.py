"""The ``*Function`` classes: ``apply`` is what the functional calls, what each node caches, and
the subgradient chosen at every kink. Gradients checked numerically (gradcheck in both modes,
batched, second order) are the audit's checks (``tests/test_audit_registry.py``)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF

import torchlayers.autograd as A
import torchlayers.functional as F
from tests._helpers import (
    about,
    first_output,
    function_args,
    op_params,
)
from tests.test_regression import backward_allocations
from torchlayers.testing.ops import OPS

# --- Function.apply is what the functional calls --------------------------------------------


@pytest.mark.parametrize("op", op_params())
def test_function_apply_matches_functional(op):
    for sample in op.sample_inputs("cpu", torch.float64, True):
        with about(sample):
            via_function = first_output(op.function.apply(*function_args(op, sample)))
            torch.testing.assert_close(via_function, op.op(*sample.args, **sample.kwargs), rtol=0, atol=0)
            assert via_function.grad_fn is not None
            assert type(via_function.grad_fn).__name__ == f"{op.function.__name__}Backward"


def test_needs_input_grad_is_respected():
    """A gradient is computed (and returned) only for the inputs that require one."""
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    w = torch.randn(5, 3, dtype=torch.float64)
    b = torch.randn(5, dtype=torch.float64, requires_grad=True)
    out = F.linear(x, w, b)
    grad_x, grad_b = torch.autograd.grad(out.sum(), (x, b))
    torch.testing.assert_close(grad_x, w.sum(0).expand(4, 3))
    torch.testing.assert_close(grad_b, torch.full((5,), 4.0, dtype=torch.float64))
    assert w.grad is None


# --- what each node caches ------------------------------------------------------------------


def _packed_by(fn, *inputs):
    """Run ``fn`` and return its output and every tensor autograd packed for backward."""
    packed = []

    def pack(tensor):
        packed.append(tensor)
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        output = fn(*inputs)
    return output, packed


def _leaf(*shape, requires_grad=True):
    return torch.randn(*shape, dtype=torch.float64, requires_grad=requires_grad)


@pytest.mark.parametrize(
    "fn",
    [F.sigmoid, F.tanh, F.relu, F.exp, F.reciprocal],
    ids=["sigmoid", "tanh", "relu", "exp", "reciprocal"],
)
def test_caches_its_output_and_nothing_else(fn):
    """σ, tanh, ReLU, eˣ and 1/x need only their output for backward (Caffe's sigmoid layer)."""
    x = _leaf(3, 4)
    output, packed = _packed_by(fn, x)
    assert len(packed) == 1
    assert packed[0].data_ptr() == output.data_ptr()
    torch.testing.assert_close(packed[0], output, rtol=0, atol=0)


def test_inplace_relu_caches_its_output():
    x = _leaf(3, 4)
    output, packed = _packed_by(lambda t: F.relu(t * 1, inplace=True), x)
    assert len(packed) == 1
    assert packed[0].data_ptr() == output.data_ptr()


@pytest.mark.parametrize(
    ("requires_grad", "expected"),
    [
        ((True, True, True), ("input", "weight")),
        ((False, True, True), ("input",)),
        ((True, False, False), ("weight",)),
    ],
)
def test_linear_caches_input_and_weight_only(requires_grad, expected):
    """x Wᵀ + b keeps x (for dW) and W (for dx), each only if that gradient is needed; never b."""
    tensors = {"input": _leaf(4, 3), "weight": _leaf(5, 3), "bias": _leaf(5)}
    for tensor, flag in zip(tensors.values(), requires_grad, strict=True):
        tensor.requires_grad_(flag)
    _, packed = _packed_by(F.linear, *tensors.values())
    assert [t.data_ptr() for t in packed] == [tensors[name].data_ptr() for name in expected]


@pytest.mark.parametrize(
    ("fn", "saved"),
    [
        (F.add, 0),  # d(x + y) = dx + dy needs nothing
        (F.mul, 2),  # d(xy) = y dx + x dy
        (lambda x, y: F.mul_constant(x, 3.0), 0),
        (lambda x, y: F.add_constant(x, 3.0), 0),
        (lambda x, y: F.leaky_relu(x, 0.1), 1),  # the input's sign
        (lambda x, y: F.elu(x), 1),
        (lambda x, y: F.prelu(x, y[:4]), 2),  # input and weight
    ],
    ids=["add", "mul", "mul_constant", "add_constant", "leaky_relu", "elu", "prelu"],
)
def test_caches_only_what_backward_needs(fn, saved):
    _, packed = _packed_by(fn, _leaf(3, 4), _leaf(4))
    assert len(packed) == saved


# --- subgradients at the kinks and NaN ------------------------------------------------------

KINK_CASES = [
    # (name, ours, torch's, expected derivative at x = 0)
    ("relu", F.relu, TF.relu, 0.0),
    (
        "leaky_relu",
        lambda x, **kw: F.leaky_relu(x, 0.1, **kw),
        lambda x, **kw: TF.leaky_relu(x, 0.1, **kw),
        0.1,
    ),
    ("elu", lambda x, **kw: F.elu(x, 0.5, **kw), lambda x, **kw: TF.elu(x, 0.5, **kw), 0.5),
]


@pytest.mark.parametrize("inplace", [False, True], ids=["out_of_place", "inplace"])
@pytest.mark.parametrize(("name", "ours", "theirs", "slope"), KINK_CASES, ids=[c[0] for c in KINK_CASES])
def test_subgradient_at_kink(name, ours, theirs, slope, inplace):
    """ReLU'(0) = 0, LeakyReLU'(0) = a, ELU'(0) = α, at +0 and -0, and torch agrees."""
    x = torch.tensor([0.0, -0.0], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(ours(x * 1, inplace=inplace).sum(), x)
    (grad_torch,) = torch.autograd.grad(theirs(x * 1, inplace=inplace).sum(), x)
    torch.testing.assert_close(grad, torch.full_like(grad, slope), rtol=0, atol=0)
    torch.testing.assert_close(grad, grad_torch, rtol=0, atol=0)


def test_prelu_subgradient_at_kink():
    """PReLU'(0) = w for the input, and the weight's gradient there is x = 0."""
    x = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    w = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64, requires_grad=True)
    grad_x, grad_w = torch.autograd.grad(F.prelu(x, w).sum(), (x, w))
    torch.testing.assert_close(grad_x, w.detach().expand(2, 3), rtol=0, atol=0)
    torch.testing.assert_close(grad_w, torch.zeros(3, dtype=torch.float64), rtol=0, atol=0)
    grad_x_torch, grad_w_torch = torch.autograd.grad(TF.prelu(x, w).sum(), (x, w))
    torch.testing.assert_close(grad_x, grad_x_torch, rtol=0, atol=0)
    torch.testing.assert_close(grad_w, grad_w_torch, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(F.relu, TF.relu), (F.leaky_relu, TF.leaky_relu), (F.elu, TF.elu), (F.sigmoid, torch.sigmoid)],
    ids=["relu", "leaky_relu", "elu", "sigmoid"],
)
def test_nan_propagates(ours, theirs):
    """relu(nan) is nan (not 0), and the gradient there is torch's."""
    x = torch.tensor([float("nan")], requires_grad=True)
    output = ours(x)
    assert output.isnan().all()
    (grad,) = torch.autograd.grad(output, x, torch.ones(1))
    (grad_torch,) = torch.autograd.grad(theirs(x), x, torch.ones(1))
    torch.testing.assert_close(grad, grad_torch, equal_nan=True)


def test_maxout_routes_gradient_to_first_winner_on_ties():
    """On a tie the gradient goes to the first piece only, as torch.max does."""
    x = torch.ones(1, 2, dtype=torch.float64, requires_grad=True)
    weight = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)  # two identical pieces
    (grad_weight,) = torch.autograd.grad(F.maxout(x, weight, pieces=2).sum(), weight)
    torch.testing.assert_close(grad_weight, torch.tensor([[1.0, 1.0], [0.0, 0.0]], dtype=torch.float64))


def test_function_classes_are_exported():
    """Every Function in the registry is importable from torchlayers.autograd."""
    for op in OPS:
        assert getattr(A, op.function.__name__) is op.function


def test_maxout_backward_allocates_no_more_than_torch_nn():
    """Maxout's winning piece (not differentiable) gets no zeros materialised for its gradient,
    and the gradient is scattered into one fresh tensor: no more allocations than torch.nn's."""
    tensors = [torch.randn(shape, requires_grad=True) for shape in [(6, 4), (10, 4), (10,)]]

    def ours(x, w, b):
        return F.maxout(x, w, b, pieces=2)

    def theirs(x, w, b):
        return TF.linear(x, w, b).unflatten(-1, (2, -1)).max(-2).values

    assert backward_allocations(ours, *tensors) <= backward_allocations(theirs, *tensors)
