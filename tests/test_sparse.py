"""The lookup table (``embedding`` / ``Embedding``): the gradient's value on hand-picked indices
(repeats accumulate, the padding row gets nothing, ``scale_grad_by_freq`` divides by the count),
``max_norm``'s in-place renormalisation, what the node caches, and torch.nn's errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.func import jacfwd, jacrev

import torchlayers
import torchlayers.functional as F
import torchlayers.nn as tnn
from torchlayers.autograd.sparse import embedding_grad
from torchlayers.testing._calls import saved_tensor_bytes

KERNEL_MODES = [pytest.param(True, id="kernels"), pytest.param(False, id="formulas")]

INDICES = torch.tensor([[1, 3, 1], [0, 1, 2]])
# g_k = k + 1 in both columns (the second ×10): every row's gradient is a sum one can read off
GRAD = torch.arange(1.0, 7.0).reshape(2, 3, 1) * torch.tensor([1.0, 10.0])


def _weight_grad(indices=INDICES, grad=GRAD, **kwargs):
    weight = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
    output = F.embedding(indices, weight, **kwargs)
    torch.testing.assert_close(output, weight.detach()[indices], rtol=0, atol=0)  # y = W[idx]
    (grad_weight,) = torch.autograd.grad(output, weight, grad.double())
    return grad_weight


@pytest.mark.parametrize("kernels", KERNEL_MODES)
def test_repeated_indices_accumulate(kernels):
    """Row 1 is looked up at positions 0, 2 and 4: it gets g₁ + g₃ + g₅ = 1 + 3 + 5."""
    with torchlayers.use_kernels(kernels):
        grad_weight = _weight_grad()
    expected = torch.tensor([[4.0, 40.0], [9.0, 90.0], [6.0, 60.0], [2.0, 20.0]], dtype=torch.float64)
    torch.testing.assert_close(grad_weight, expected, rtol=0, atol=0)


@pytest.mark.parametrize("kernels", KERNEL_MODES)
def test_padding_row_gets_no_gradient(kernels):
    with torchlayers.use_kernels(kernels):
        grad_weight = _weight_grad(padding_idx=1)
        negative = _weight_grad(padding_idx=-3)  # the same row, counted from the end
    expected = torch.tensor([[4.0, 40.0], [0.0, 0.0], [6.0, 60.0], [2.0, 20.0]], dtype=torch.float64)
    torch.testing.assert_close(grad_weight, expected, rtol=0, atol=0)
    torch.testing.assert_close(negative, expected, rtol=0, atol=0)


@pytest.mark.parametrize("kernels", KERNEL_MODES)
def test_scale_grad_by_freq_divides_by_the_count(kernels):
    """Row 1 occurs 3 times: (1 + 3 + 5) / 3; the others once. The padding row still counts
    (row 3 is padding here: its gradient is 0, the rest unchanged)."""
    with torchlayers.use_kernels(kernels):
        grad_weight = _weight_grad(scale_grad_by_freq=True, padding_idx=3)
    expected = torch.tensor([[4.0, 40.0], [3.0, 30.0], [6.0, 60.0], [0.0, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(grad_weight, expected)  # ATen divides each g_k: 1/3 + 3/3 + 5/3 ≈ 3


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16], ids=str)
@pytest.mark.parametrize("kernels", KERNEL_MODES)
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding_idx": 0}, {"scale_grad_by_freq": True}, {"padding_idx": -1, "scale_grad_by_freq": True}],
    ids=["plain", "padding", "scale", "padding_scale"],
)
def test_matches_torch(kwargs, kernels, dtype):
    """Values and weight gradients as torch.nn.functional.embedding's, int64 and int32 indices
    (the registry's gradient checks leave padding and scaling out: they are not derivatives)."""
    weight = torch.randn(6, 4, dtype=dtype, requires_grad=True)
    for indices in (torch.randint(0, 6, (3, 5)), torch.randint(0, 6, (7,), dtype=torch.int32)):
        with torchlayers.use_kernels(kernels):
            output = F.embedding(indices, weight, **kwargs)
        expected = TF.embedding(indices, weight, **kwargs)
        torch.testing.assert_close(output, expected, rtol=0, atol=0)
        grad = torch.randn_like(output)
        with torchlayers.use_kernels(kernels):
            (ours,) = torch.autograd.grad(output, weight, grad)
        (theirs,) = torch.autograd.grad(expected, weight, grad)
        torch.testing.assert_close(ours, theirs)


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16], ids=str)
def test_kernel_equals_formula_with_padding_and_scale(dtype):
    """embedding_dense_backward against the formula where the registry does not reach it."""
    indices = torch.randint(0, 5, (4, 6))
    grad = torch.randn(4, 6, 3, dtype=dtype)
    for padding_idx in (-1, 0, 4):
        for scale in (False, True):
            torch.testing.assert_close(
                embedding_grad.kernel(grad, indices, 5, padding_idx, scale),
                embedding_grad.formula(grad, indices, 5, padding_idx, scale),
            )


def test_forward_mode_agrees_with_backward_at_the_padding_row():
    """jvp uses the Jacobian backward defines (no tangent from the padding row, scaled by the
    counts), so forward- and reverse-mode Jacobians are one matrix (torch's forward mode ignores
    padding and scaling: its jacfwd and jacrev differ there)."""
    weight = torch.randn(4, 2, dtype=torch.float64)

    def lookup(w):
        return F.embedding(INDICES, w, padding_idx=1, scale_grad_by_freq=True)

    torch.testing.assert_close(jacfwd(lookup)(weight), jacrev(lookup)(weight), rtol=0, atol=0)
    reference = jacrev(lambda w: TF.embedding(INDICES, w, padding_idx=1, scale_grad_by_freq=True))
    torch.testing.assert_close(jacrev(lookup)(weight), reference(weight))


def test_empty_indices():
    weight = torch.randn(5, 3, requires_grad=True)
    indices = torch.zeros(2, 0, dtype=torch.long)
    output = F.embedding(indices, weight)
    assert output.shape == (2, 0, 3)
    output.sum().backward()
    torch.testing.assert_close(weight.grad, torch.zeros(5, 3), rtol=0, atol=0)


def test_caches_the_indices_only():
    """Backward needs the indices (where to add) and nothing of the weight: the bytes saved are
    the index tensor's, as torch's embedding."""
    weight = torch.randn(50, 8, requires_grad=True)
    indices = torch.randint(0, 50, (4, 6))
    saved = saved_tensor_bytes(lambda: F.embedding(indices, weight))
    assert saved == indices.untyped_storage().nbytes()
    assert saved <= saved_tensor_bytes(lambda: TF.embedding(indices, weight))


# --- max_norm ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16], ids=str)
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5])
def test_max_norm_renormalises_looked_up_rows_in_place_like_torch(norm_type, dtype):
    """Only rows looked up and longer than max_norm are rescaled to it, in the weight itself;
    values, the modified weight and gradients equal torch's."""
    torch.manual_seed(3)
    ours = (torch.randn(6, 4) * 2).to(dtype).requires_grad_()
    theirs = ours.detach().clone().requires_grad_()
    before = ours.detach().clone()
    indices = torch.tensor([[0, 2, 2], [5, 0, 3]])
    output = F.embedding(indices, ours, max_norm=1.5, norm_type=norm_type)
    expected = TF.embedding(indices, theirs, max_norm=1.5, norm_type=norm_type)
    # the same formula; torch takes each row's norm alone, we all rows' at once (another order of
    # summation, so a last-place difference)
    torch.testing.assert_close(ours.detach(), theirs.detach())
    torch.testing.assert_close(output, expected)
    norms = torch.linalg.vector_norm(ours.detach().double(), norm_type, dim=1)
    looked_up = torch.tensor([True, False, True, True, False, True])
    assert (norms[looked_up] <= 1.5 + 1e-2).all()
    torch.testing.assert_close(ours.detach()[~looked_up], before[~looked_up], rtol=0, atol=0)
    grad = torch.randn_like(output)
    torch.testing.assert_close(
        torch.autograd.grad(output, ours, grad)[0], torch.autograd.grad(expected, theirs, grad)[0]
    )


def test_max_norm_takes_int32_indices_like_torch():
    """embedding accepts int32 indices with max_norm too (the renormalisation once required int64)."""
    torch.manual_seed(4)
    ours = torch.randn(5, 3) * 3
    theirs = ours.clone()
    indices = torch.tensor([[4, 0, 4], [1, 2, 0]], dtype=torch.int32)
    torch.testing.assert_close(
        F.embedding(indices, ours, max_norm=1.0), TF.embedding(indices, theirs, max_norm=1.0)
    )
    torch.testing.assert_close(ours, theirs)


def test_max_norm_module_matches_torch():
    torch.manual_seed(0)
    ours = tnn.Embedding(6, 3, max_norm=1.0)
    theirs = torch.nn.Embedding(6, 3, max_norm=1.0)
    theirs.load_state_dict(ours.state_dict())
    indices = torch.tensor([1, 4, 4, 0])
    torch.testing.assert_close(ours(indices), theirs(indices))
    torch.testing.assert_close(ours.weight, theirs.weight)


# --- the module ----------------------------------------------------------------------------


def test_initialisation_is_standard_normal_with_the_padding_row_zeroed():
    torch.manual_seed(0)
    module = tnn.Embedding(2000, 8, padding_idx=-2)
    assert module.padding_idx == 1998
    torch.testing.assert_close(module.weight[1998], torch.zeros(8), rtol=0, atol=0)
    others = torch.cat([module.weight[:1998], module.weight[1999:]]).detach()
    assert abs(others.mean().item()) < 0.05 and abs(others.std().item() - 1) < 0.05
    torch.manual_seed(0)
    torch.testing.assert_close(module.weight, torch.nn.Embedding(2000, 8, padding_idx=-2).weight)


def test_from_pretrained_like_torch():
    embeddings = torch.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
    for kwargs in ({}, {"freeze": False, "padding_idx": 1}):
        ours = tnn.Embedding.from_pretrained(embeddings, **kwargs)
        theirs = torch.nn.Embedding.from_pretrained(embeddings, **kwargs)
        assert type(ours) is tnn.Embedding
        assert repr(ours) == repr(theirs)
        assert ours.weight.requires_grad == theirs.weight.requires_grad
        torch.testing.assert_close(ours.weight, embeddings, rtol=0, atol=0)  # padding row kept
        torch.testing.assert_close(ours(torch.tensor([1, 0])), theirs(torch.tensor([1, 0])))


@pytest.mark.parametrize(
    ("call", "torch_call"),
    [
        (lambda: tnn.Embedding(5, 2, padding_idx=5), lambda: torch.nn.Embedding(5, 2, padding_idx=5)),
        (lambda: tnn.Embedding(5, 2, padding_idx=-6), lambda: torch.nn.Embedding(5, 2, padding_idx=-6)),
        (
            lambda: tnn.Embedding(5, 2, _weight=torch.ones(2, 2)),
            lambda: torch.nn.Embedding(5, 2, _weight=torch.ones(2, 2)),
        ),
        (
            lambda: tnn.Embedding.from_pretrained(torch.ones(3)),
            lambda: torch.nn.Embedding.from_pretrained(torch.ones(3)),
        ),
        (
            lambda: F.embedding(torch.tensor([1]), torch.ones(5, 2), padding_idx=5),
            lambda: TF.embedding(torch.tensor([1]), torch.ones(5, 2), padding_idx=5),
        ),
        (
            lambda: F.embedding(torch.tensor([1.0]), torch.ones(5, 2)),
            lambda: TF.embedding(torch.tensor([1.0]), torch.ones(5, 2)),
        ),
        (
            lambda: F.embedding(torch.tensor([1], dtype=torch.int16), torch.ones(5, 2)),
            lambda: TF.embedding(torch.tensor([1], dtype=torch.int16), torch.ones(5, 2)),
        ),
        (
            lambda: F.embedding(torch.tensor([1]), torch.ones(5)),
            lambda: TF.embedding(torch.tensor([1]), torch.ones(5)),
        ),
    ],
    ids=[
        "padding_too_large",
        "padding_too_negative",
        "weight_shape",
        "pretrained_1d",
        "functional_padding",
        "float_indices",
        "short_indices",
        "weight_1d",
    ],
)
def test_errors_are_torchs(call, torch_call):
    with pytest.raises(Exception) as torch_error:
        torch_call()
    with pytest.raises(torch_error.type) as error:
        call()
    assert str(error.value) == str(torch_error.value)


@pytest.mark.parametrize("kernels", KERNEL_MODES)
@pytest.mark.parametrize("index", [5, -1], ids=["too_large", "negative"])
def test_out_of_range_index_raises_like_torch(index, kernels):
    weight = torch.ones(5, 2)
    with pytest.raises(IndexError, match="index out of range"):
        TF.embedding(torch.tensor([0, index]), weight)
    with torchlayers.use_kernels(kernels), pytest.raises(IndexError, match="index out of range"):
        F.embedding(torch.tensor([0, index]), weight)


def test_sparse_gradients_are_refused_by_name():
    with pytest.raises(NotImplementedError, match="sparse=True"):
        tnn.Embedding(5, 2, sparse=True)
    with pytest.raises(NotImplementedError, match="sparse=True"):
        F.embedding(torch.tensor([1]), torch.ones(5, 2), sparse=True)
