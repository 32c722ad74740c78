"""Lua Torch's Log, Max, Min, Mean, MM, MV and Mul (``torchlayers/autograd/reduction.py``,
``graph.py``, ``linear.py``): the derivatives at hand-checked points, where the gradient of a
max/min goes on ties and NaN, ``keepdim`` and negative dims, torch's error messages, and the
tensors each Function caches."""

from __future__ import annotations

import re

import pytest
import torch

import torchlayers.functional as F
import torchlayers.nn as tnn
from torchlayers.autograd import MMFunction, MulFunction

NAN = float("nan")


def _grad(output, input, grad_output=None):
    (grad,) = torch.autograd.grad(output, input, grad_output)
    return grad


def _saved(fn):
    """The tensors autograd saves while ``fn`` runs, in the order they are saved."""
    saved = []

    def pack(tensor):
        saved.append(tensor)
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        fn()
    return saved


# --- log ------------------------------------------------------------------------------------


def test_log_gradient_is_one_over_x():
    x = torch.tensor([0.5, 2.0, 4.0], requires_grad=True)
    y = F.log(x)
    torch.testing.assert_close(y, torch.tensor([0.5, 2.0, 4.0]).log())
    grad = _grad(y, x, torch.tensor([1.0, 1.0, 2.0]))
    torch.testing.assert_close(grad, torch.tensor([2.0, 0.5, 0.5]), rtol=0, atol=0)  # g / x


def test_log_caches_its_input():
    x = torch.tensor([0.5, 2.0], requires_grad=True)
    (saved,) = _saved(lambda: F.log(x))
    assert saved is x


def test_log_second_derivative_is_minus_one_over_x_squared():
    x = torch.tensor([0.5, 2.0], requires_grad=True)
    (grad,) = torch.autograd.grad(F.log(x).sum(), x, create_graph=True)
    torch.testing.assert_close(_grad(grad.sum(), x), torch.tensor([-4.0, -0.25]))


# --- max and min along a dimension ----------------------------------------------------------


@pytest.mark.parametrize(
    ("reduce", "kind"), [(F.max, torch.return_types.max), (F.min, torch.return_types.min)]
)
def test_extremum_returns_values_and_indices_as_torch(reduce, kind):
    x = torch.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 0.0]], requires_grad=True)
    result = reduce(x, 1)
    assert type(result) is kind
    values, indices = result
    assert not indices.requires_grad and indices.dtype == torch.int64
    expected = getattr(torch, reduce.__name__)(x, 1)
    torch.testing.assert_close(values, expected.values)
    assert torch.equal(indices, expected.indices)


def test_max_gradient_goes_to_the_first_maximum_on_ties():
    x = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    values, indices = F.max(x, 1)
    assert indices.tolist() == [1, 0]
    grad = _grad(values, x, torch.tensor([5.0, 7.0]))
    assert grad.tolist() == [[0.0, 5.0, 0.0], [7.0, 0.0, 0.0]]
    assert torch.equal(grad, _grad(torch.max(x, 1).values, x, torch.tensor([5.0, 7.0])))


def test_min_gradient_goes_to_the_first_minimum_on_ties():
    x = torch.tensor([[1.0, 0.0, 0.0], [2.0, 4.0, 2.0]], requires_grad=True)
    values, indices = F.min(x, 1)
    assert indices.tolist() == [1, 0]
    assert _grad(values, x, torch.tensor([5.0, 7.0])).tolist() == [[0.0, 5.0, 0.0], [7.0, 0.0, 0.0]]


@pytest.mark.parametrize("reduce", [F.max, F.min])
def test_extremum_of_a_slice_with_nan_is_its_first_nan(reduce):
    x = torch.tensor([1.0, 3.0, NAN, 2.0, NAN], requires_grad=True)
    values, indices = reduce(x, 0)
    assert values.isnan() and indices.item() == 2
    assert _grad(values, x).tolist() == [0.0, 0.0, 1.0, 0.0, 0.0]


def test_max_keepdim_and_negative_dim():
    x = torch.tensor([[[1.0, 6.0], [5.0, 2.0], [3.0, 4.0]]], requires_grad=True)  # (1, 3, 2)
    values, indices = F.max(x, -2, keepdim=True)
    assert values.shape == (1, 1, 2) and indices.tolist() == [[[1, 0]]]
    grad = _grad(values, x, torch.tensor([[[10.0, 20.0]]]))
    assert grad.tolist() == [[[0.0, 20.0], [10.0, 0.0], [0.0, 0.0]]]
    values, _ = F.max(x, -1)
    assert values.shape == (1, 3)
    grad = _grad(values, x, torch.tensor([[1.0, 2.0, 3.0]]))
    assert grad.tolist() == [[[0.0, 1.0], [2.0, 0.0], [0.0, 3.0]]]


def test_max_of_a_zero_dim_tensor():
    x = torch.tensor(2.5, requires_grad=True)
    values, indices = F.max(x, -1)
    assert values.shape == () and indices.item() == 0
    assert _grad(values, x, torch.tensor(3.0)).item() == 3.0


def test_max_forward_mode_reads_the_tangent_at_the_index():
    x = torch.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]])
    tangent = torch.tensor([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])
    with torch.autograd.forward_ad.dual_level():
        values, _ = F.max(torch.autograd.forward_ad.make_dual(x, tangent), 1)
        assert torch.autograd.forward_ad.unpack_dual(values).tangent.tolist() == [20.0, 40.0]


def test_max_caches_only_the_indices():
    x = torch.randn(3, 4, requires_grad=True)
    saved = _saved(lambda: F.max(x, 1))
    assert len(saved) == 1 and saved[0].dtype == torch.int64 and saved[0].shape == (3,)


# --- max and min of the whole tensor --------------------------------------------------------


def test_max_of_all_elements_shares_the_gradient_among_ties():
    x = torch.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    y = F.max(x)
    assert y.shape == () and y.item() == 3.0
    grad = _grad(y, x, torch.tensor(4.0))
    assert grad.tolist() == [0.0, 2.0, 2.0, 0.0]
    assert torch.equal(grad, _grad(torch.max(x), x, torch.tensor(4.0)))


def test_min_of_all_elements_shares_the_gradient_among_ties():
    x = torch.tensor([[0.0, 3.0], [0.0, 0.0]], requires_grad=True)
    assert _grad(F.min(x), x, torch.tensor(3.0)).tolist() == [[1.0, 0.0], [1.0, 1.0]]


def test_max_of_all_elements_with_nan_shares_the_gradient_among_the_nans():
    x = torch.tensor([1.0, NAN, 3.0, NAN], requires_grad=True)
    y = F.max(x)
    assert y.isnan()
    assert _grad(y, x).tolist() == [0.0, 0.5, 0.0, 0.5]


def test_max_of_all_elements_forward_mode_is_the_mean_tangent_of_the_ties():
    x = torch.tensor([1.0, 3.0, 3.0])
    with torch.autograd.forward_ad.dual_level():
        y = F.max(torch.autograd.forward_ad.make_dual(x, torch.tensor([5.0, 2.0, 4.0])))
        assert torch.autograd.forward_ad.unpack_dual(y).tangent.item() == 3.0


# --- torch's errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: F.max(torch.empty(0, 3), 0), IndexError, "max(): Expected reduction dim 0 to have non-zero"),
        (lambda: F.min(torch.empty(0)), RuntimeError, "min(): Expected reduction dim to be specified"),
        (lambda: F.max(torch.ones(3), 1), IndexError, "Dimension out of range"),
        (lambda: F.max(torch.ones(3), keepdim=True), TypeError, "max() received an invalid combination"),
        (lambda: F.max(torch.ones(3), torch.ones(3)), TypeError, "torch.maximum"),
        (lambda: F.min(torch.ones(3), torch.ones(3)), TypeError, "torch.minimum"),
        (lambda: F.max(torch.ones(2, 3), (0, 1)), TypeError, "got (Tensor, tuple), but expected one of"),
        (lambda: F.max([1.0, 2.0]), TypeError, "argument 'input' (position 1) must be Tensor, not list"),
        (lambda: F.mean(torch.ones(3).long()), RuntimeError, "mean(): could not infer output dtype"),
        (lambda: F.mean(torch.ones(2, 3), (0, 0)), RuntimeError, "dim 0 appears multiple times"),
        (lambda: F.mean(torch.ones(2, 3), 2), IndexError, "Dimension out of range"),
        (
            lambda: F.mm(torch.ones(2, 3), torch.ones(4, 5)),
            RuntimeError,
            "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)",
        ),
        (lambda: F.mm(torch.ones(3), torch.ones(3, 2)), RuntimeError, "self must be a matrix"),
        (
            lambda: F.mm(torch.ones(2, 3), torch.ones(3, 2, dtype=torch.float64)),
            RuntimeError,
            "expected m1 and m2 to have the same dtype",
        ),
        (lambda: F.mm(torch.ones(2, 3), None), TypeError, "argument 'mat2' (position 2) must be Tensor"),
        (
            lambda: F.mv(torch.ones(2, 3), torch.ones(4)),
            RuntimeError,
            "size mismatch, got input (2), mat (2x3), vec (4)",
        ),
        (lambda: F.mv(torch.ones(2, 3), torch.ones(3, 1)), RuntimeError, "vector + matrix @ vector expected"),
    ],
)
def test_errors_are_torchs(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


# --- mean -----------------------------------------------------------------------------------


def test_mean_gradient_is_g_over_n():
    x = torch.tensor([[1.0, 2.0, 6.0], [3.0, 4.0, 8.0]], requires_grad=True)
    y = F.mean(x, 1)
    torch.testing.assert_close(y, torch.tensor([3.0, 5.0]))
    grad = _grad(y, x, torch.tensor([3.0, 6.0]))
    assert grad.tolist() == [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]  # g / 3


@pytest.mark.parametrize("dim", [None, [], (0, 1), (-1, 0)])
def test_mean_of_all_elements(dim):
    x = torch.tensor([[1.0, 2.0], [3.0, 6.0]], requires_grad=True)
    y = F.mean(x) if dim is None else F.mean(x, dim)
    assert y.shape == () and y.item() == 3.0
    assert _grad(y, x, torch.tensor(8.0)).tolist() == [[2.0, 2.0], [2.0, 2.0]]  # g / 4


def test_mean_keepdim_and_negative_dims():
    x = torch.arange(24.0).reshape(2, 3, 4).requires_grad_()
    y = F.mean(x, (0, -1), keepdim=True)
    assert y.shape == (1, 3, 1)
    torch.testing.assert_close(y, torch.mean(x, (0, -1), keepdim=True))
    grad = _grad(y, x, torch.tensor([8.0, 16.0, 24.0]).reshape(1, 3, 1))
    assert grad[1, :, 3].tolist() == [1.0, 2.0, 3.0]  # g / (2 * 4)
    y = F.mean(x, -2)
    assert y.shape == (2, 4)
    assert _grad(y, x, torch.full((2, 4), 6.0)).unique().tolist() == [2.0]  # g / 3


def test_mean_over_an_empty_batch_and_of_a_zero_dim_tensor():
    x = torch.empty(0, 3, requires_grad=True)
    y = F.mean(x, 1)
    assert y.shape == (0,) and _grad(y, x, torch.empty(0)).shape == (0, 3)
    s = torch.tensor(5.0, requires_grad=True)
    assert F.mean(s, 0).item() == 5.0 and _grad(F.mean(s, 0), s, torch.tensor(2.0)).item() == 2.0


def test_mean_dtype_casts_first_and_the_gradient_comes_back_in_the_input_dtype():
    x = torch.tensor([1.0, 2.0, 4.0], requires_grad=True)
    y = F.mean(x, dtype=torch.float64)
    assert y.dtype == torch.float64 == torch.mean(x, dtype=torch.float64).dtype
    grad = _grad(y, x, torch.tensor(3.0, dtype=torch.float64))
    assert grad.dtype == torch.float32 and grad.tolist() == [1.0, 1.0, 1.0]


def test_mean_caches_nothing():
    x = torch.randn(3, 4, requires_grad=True)
    assert _saved(lambda: F.mean(x, 1)) == []


def test_mean_forward_mode_is_the_mean_tangent():
    with torch.autograd.forward_ad.dual_level():
        dual = torch.autograd.forward_ad.make_dual(torch.zeros(2, 2), torch.tensor([[1.0, 3.0], [5.0, 7.0]]))
        y = F.mean(dual, 0)
        assert torch.autograd.forward_ad.unpack_dual(y).tangent.tolist() == [3.0, 5.0]


# --- mm and mv ------------------------------------------------------------------------------

A = [[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]]  # (3, 2)
B = [[2.0, 0.0, 1.0, -1.0], [1.0, 3.0, 0.0, 2.0]]  # (2, 4)


def test_mm_gradients_are_g_bt_and_at_g():
    a, b = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    g = torch.tensor([[1.0, 0.0, 0.0, 2.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, -1.0, 1.0]])
    y = F.mm(a, b)
    assert y.tolist() == [[4.0, 6.0, 1.0, 3.0], [-1.0, -3.0, 0.0, -2.0], [7.0, 3.0, 3.0, -1.0]]
    grad_a, grad_b = torch.autograd.grad(y, (a, b), g)
    assert grad_a.tolist() == [[0.0, 5.0], [0.0, 3.0], [-2.0, 2.0]]  # G Bᵀ
    assert grad_b.tolist() == [[1.0, 0.0, -3.0, 5.0], [2.0, -1.0, -1.0, 5.0]]  # Aᵀ G


def test_mv_gradients_are_outer_g_v_and_at_g():
    a, v = torch.tensor(A, requires_grad=True), torch.tensor([2.0, -1.0], requires_grad=True)
    y = F.mv(a, v)
    assert y.tolist() == [0.0, 1.0, 5.0]
    grad_a, grad_v = torch.autograd.grad(y, (a, v), torch.tensor([1.0, 2.0, -1.0]))
    assert grad_a.tolist() == [[2.0, -1.0], [4.0, -2.0], [-2.0, 1.0]]  # g vᵀ
    assert grad_v.tolist() == [-2.0, -1.0]  # Aᵀ g


@pytest.mark.parametrize(("needs_a", "needs_b"), [(True, False), (False, True)])
def test_mm_caches_only_the_factor_each_gradient_needs(needs_a, needs_b):
    a = torch.randn(3, 2, requires_grad=needs_a)
    b = torch.randn(2, 4, requires_grad=needs_b)
    saved = _saved(lambda: F.mm(a, b))
    assert len(saved) == 1 and saved[0] is (b if needs_a else a)
    assert type(F.mm(a, b).grad_fn).__name__ == f"{MMFunction.__name__}Backward"


def test_matrix_products_under_cpu_autocast_as_torch():
    """CPU autocast lowers mm but not mv (on CUDA it lowers both); log and mean keep the dtype."""
    a, b, v = torch.randn(3, 4), torch.randn(4, 2), torch.randn(4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert F.mm(a, b).dtype == torch.mm(a, b).dtype == torch.bfloat16
        assert F.mv(a, v).dtype == torch.mv(a, v).dtype == torch.float32
        assert F.log(a.abs()).dtype == torch.float32
        assert F.mean(a.bfloat16()).dtype == torch.bfloat16


# --- Mul ------------------------------------------------------------------------------------


def test_mul_is_lua_torchs_learnable_gain():
    torch.manual_seed(0)
    m = tnn.Mul()
    torch.manual_seed(0)
    expected = torch.empty(1).uniform_(-1.0, 1.0)  # Lua's reset(): U(-1/√1, 1/√1)
    assert list(m.state_dict()) == ["weight"] and m.weight.shape == (1,)
    assert torch.equal(m.weight.detach(), expected)
    assert repr(m) == "Mul()"


def test_mul_gradients_are_w_g_and_sum_of_g_x():
    m = tnn.Mul()
    with torch.no_grad():
        m.weight.fill_(-2.0)
    x = torch.tensor([[1.0, 2.0], [3.0, -1.0]], requires_grad=True)
    y = m(x)
    assert y.tolist() == [[-2.0, -4.0], [-6.0, 2.0]]
    assert y.grad_fn._forward_cls.__name__ == MulFunction.__name__
    grad_x, grad_w = torch.autograd.grad(y, (x, m.weight), torch.tensor([[1.0, 0.5], [2.0, 3.0]]))
    assert grad_x.tolist() == [[-2.0, -1.0], [-4.0, -6.0]]  # w g
    assert grad_w.tolist() == [1.0 + 1.0 + 6.0 - 3.0]  # Σ g x


def test_mul_factory_kwargs():
    m = tnn.Mul(dtype=torch.float64)
    assert m.weight.dtype == torch.float64 and -1.0 <= m.weight.item() <= 1.0
