"""Dropout: torch's mask for the same seed, the gate's derivative by hand, the edges p = 0 and
p = 1, evaluation mode, torch's errors, in place, the cache, and the transforms the registry
cannot run (vmap with randomness)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.autograd import forward_ad

import torchlayers
import torchlayers.functional as F
import torchlayers.nn as tnn
from torchlayers.autograd import DropoutFunction
from torchlayers.autograd.regularization import dropout_grad, dropout_mask

KERNEL_MODES = [pytest.param(True, id="kernels"), pytest.param(False, id="formulas")]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16], ids=str)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_same_seed_gives_torchs_mask_and_output(p, dtype):
    x = torch.randn(64, 33, dtype=torch.float64).to(dtype)
    ours, native = tnn.Dropout(p), torch.nn.Dropout(p)
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    torch.manual_seed(7)
    y = ours(a)
    torch.manual_seed(7)
    expected = native(b)
    kept = expected != 0
    assert torch.equal(y != 0, kept)  # the very same mask
    assert 0 < kept.float().mean() < 1
    if dtype == torch.float64:
        assert torch.equal(y, expected)
    else:  # torch rounds 1/(1-p) to the dtype first; ours computes in float32 and rounds once
        torch.testing.assert_close(y, expected)
    upstream = torch.randn_like(x)
    (grad,) = torch.autograd.grad(y, a, upstream)
    (expected_grad,) = torch.autograd.grad(expected, b, upstream)
    torch.testing.assert_close(grad, expected_grad)
    torch.testing.assert_close(grad, (upstream.double() * kept / (1 - p)).to(dtype))  # d/dx = m/(1-p)


@pytest.mark.parametrize("kernels", KERNEL_MODES)
def test_gate_derivative_by_hand(kernels):
    """x = (1, -2, 3, 4), m = (1, 0, 1, 0), p = 0.5: y = x m / (1 - p) = (2, 0, 6, 0) and, for
    g = (1, 2, 3, 4), ∂x = g m / (1 - p) = (2, 0, 6, 0); a wrong factor or sign fails."""
    x = torch.tensor([1.0, -2.0, 3.0, 4.0], dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([True, False, True, False])
    g = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    with torchlayers.use_kernels(kernels):
        y = DropoutFunction.apply(x, mask, 0.5, False)
        (grad,) = torch.autograd.grad(y, x, g)
    torch.testing.assert_close(y, torch.tensor([2.0, 0.0, 6.0, 0.0], dtype=torch.float64))
    torch.testing.assert_close(grad, torch.tensor([2.0, 0.0, 6.0, 0.0], dtype=torch.float64))
    torch.testing.assert_close(
        dropout_grad.formula(g, mask, 4.0), torch.tensor([4.0, 0, 12.0, 0], dtype=torch.float64)
    )


def test_forward_mode_tangent_is_the_same_gate():
    x, t = torch.randn(5, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    with forward_ad.dual_level():
        torch.manual_seed(3)
        y = F.dropout(forward_ad.make_dual(x, t), 0.4)
        tangent = forward_ad.unpack_dual(y).tangent
    torch.manual_seed(3)
    mask = dropout_mask(x, 0.4)
    torch.testing.assert_close(tangent, t * mask / 0.6)


# --- p edges, evaluation mode, errors --------------------------------------------------------


def test_p_zero_eval_mode_and_empty_input_return_the_input_itself():
    x = torch.randn(8, 5, requires_grad=True)
    assert F.dropout(x, 0.0) is x is TF.dropout(x, 0.0)
    assert F.dropout(x, 0.5, training=False) is x
    assert tnn.Dropout(0.5).eval()(x) is x
    empty = torch.randn(0, 3)
    assert F.dropout(empty, 0.5) is empty


def test_p_one_zeroes_everything_as_torch_and_draws_nothing():
    x = torch.tensor([float("nan"), float("inf"), -2.0, 0.0, 3.0], requires_grad=True)
    torch.manual_seed(0)
    y = F.dropout(x, 1.0)
    after_ours = torch.rand(3)
    torch.manual_seed(0)
    expected = TF.dropout(x, 1.0)
    after_torch = torch.rand(3)
    torch.testing.assert_close(y, expected, equal_nan=True)  # x · 0: NaN for NaN and ±inf
    assert torch.equal(y[2:], torch.zeros(3))
    assert torch.equal(after_ours, after_torch)  # the generator is where torch leaves it
    (grad,) = torch.autograd.grad(y, x, torch.ones(5))
    assert torch.equal(grad, torch.zeros(5))


def test_dropped_nan_and_inf_give_nan_as_torch():
    x = torch.tensor([float("nan"), float("inf"), -float("inf"), 1.0] * 8)
    torch.manual_seed(5)
    y = F.dropout(x, 0.5)
    torch.manual_seed(5)
    torch.testing.assert_close(y, TF.dropout(x, 0.5), equal_nan=True)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_p_outside_the_unit_interval_raises_torchs_value_error(p):
    for ours, theirs in [
        (tnn.Dropout, torch.nn.Dropout),
        (lambda p: F.dropout(torch.ones(2), p), lambda p: TF.dropout(torch.ones(2), p)),
    ]:
        with pytest.raises(ValueError) as expected:
            theirs(p)
        with pytest.raises(ValueError) as raised:
            ours(p)
        assert (
            str(raised.value)
            == str(expected.value)
            == f"dropout probability has to be between 0 and 1, but got {p}"
        )


def test_repr_as_torch():
    assert repr(tnn.Dropout()) == repr(torch.nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(tnn.Dropout(0.25, inplace=True)) == repr(torch.nn.Dropout(0.25, inplace=True))


# --- in place, the cache, Function against functional ---------------------------------------


def test_inplace_writes_torchs_result_into_its_input():
    leaf = torch.randn(6, 7, dtype=torch.float64, requires_grad=True)
    ours, theirs = leaf * 1, leaf.detach().clone().requires_grad_() * 1
    torch.manual_seed(11)
    result = F.dropout(ours, 0.3, inplace=True)
    torch.manual_seed(11)
    expected = TF.dropout(theirs, 0.3, inplace=True)
    assert result is ours
    assert torch.equal(result, expected)
    (grad,) = torch.autograd.grad(result, leaf, torch.ones(6, 7, dtype=torch.float64))
    torch.testing.assert_close(grad, (expected != 0).double() / 0.7)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.dropout(leaf, 0.3, inplace=True)


def test_caches_only_the_boolean_mask():
    x = torch.randn(4, 5, requires_grad=True)
    torch.manual_seed(1)
    y = F.dropout(x, 0.5)
    (mask,) = y.grad_fn.saved_tensors
    assert mask.dtype == torch.bool and mask.shape == x.shape
    assert torch.equal(mask, y != 0)


def test_function_apply_with_the_functionals_mask_equals_the_functional():
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    torch.manual_seed(9)
    via_functional = F.dropout(x, 0.6)
    torch.manual_seed(9)
    via_function = DropoutFunction.apply(x, dropout_mask(x, 0.6), 0.6, False)
    assert torch.equal(via_function, via_functional)
    assert type(via_function.grad_fn).__name__ == "DropoutFunctionBackward"


# --- what the registry skips ----------------------------------------------------------------


@pytest.mark.parametrize("randomness", ["same", "different"])
def test_vmap_with_randomness_matches_torch(randomness):
    """Under vmap the mask is drawn as torch's dropout draws it: one for the whole batch
    ("same") or one per sample ("different"), the same numbers for the same seed."""
    x = torch.randn(3, 4, 5, dtype=torch.float64)
    torch.manual_seed(2)
    ours = torch.func.vmap(lambda t: F.dropout(t, 0.4), randomness=randomness)(x)
    torch.manual_seed(2)
    theirs = torch.func.vmap(lambda t: TF.dropout(t, 0.4), randomness=randomness)(x)
    assert torch.equal(ours, theirs)
    masks = ours != 0
    assert torch.equal(masks[0], masks[1]) == (randomness == "same")


def test_mlp_builds_torchlayers_dropout():
    from torchlayers.models import MLP

    model = MLP(6, [4], 2, dropout=0.3, input_dropout=0.2)
    assert [type(layer) for layer in model].count(tnn.Dropout) == 2
