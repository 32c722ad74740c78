"""Adaptive pooling: torch's bins (overlapping where sizes do not divide), the gradient's value on
hand-picked inputs (a cell in two bins gets both shares; a cell winning two bins both
gradients), the argmax on ties and NaN, ``return_indices`` against torch's indices, what the
nodes cache, and torch.nn's errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF

import torchlayers
import torchlayers.functional as F
import torchlayers.nn as tnn
from torchlayers.autograd.pooling import average_matrix, bin_windows

KERNEL_MODES = [pytest.param(True, id="kernels"), pytest.param(False, id="formulas")]
NAN = float("nan")


def _column(*values):
    """A (1, H, 1) input: one channel, one column, requires grad."""
    return torch.tensor(values, dtype=torch.float64).reshape(1, -1, 1).requires_grad_()


def test_bins_are_torchs():
    """5 rows into 3 bins: [0, 2), [1, 4), [3, 5), the membership rows normalised to 1."""
    third, half = 1 / 3, 1 / 2
    expected = torch.tensor(
        [[half, half, 0, 0, 0], [0, third, third, third, 0], [0, 0, 0, half, half]], dtype=torch.float64
    )
    torch.testing.assert_close(average_matrix(5, 3, torch.float64, "cpu"), expected, rtol=0, atol=0)
    windows = bin_windows(5, 3, "cpu")  # padded by repeating each bin's last row
    assert windows.tolist() == [[0, 1, 1], [1, 2, 3], [3, 4, 4]]
    assert bin_windows(4, 2, "cpu").tolist() == [[0, 1], [2, 3]]  # no padding where it divides


@pytest.mark.parametrize("kernels", KERNEL_MODES)
def test_average_gradient_shares_overlapping_cells(kernels):
    """3 rows into 2 bins [0, 2), [1, 3): row 1 lies in both and gets a/2 + b/2."""
    x = _column(1.0, 2.0, 4.0)
    with torchlayers.use_kernels(kernels):
        output = F.adaptive_avg_pool2d(x, (2, 1))
        torch.testing.assert_close(output.flatten(), torch.tensor([1.5, 3.0], dtype=torch.float64))
        (grad,) = torch.autograd.grad(
            output, x, torch.tensor([2.0, 6.0], dtype=torch.float64).reshape(1, 2, 1)
        )
    torch.testing.assert_close(grad.flatten(), torch.tensor([1.0, 4.0, 3.0], dtype=torch.float64))


@pytest.mark.parametrize("kernels", KERNEL_MODES)
def test_average_gradient_of_a_larger_output(kernels):
    """2 × 2 into 3 × 3 bins: the corner cells lie in 1 bin, edge cells in 2, and bins of one
    cell pass g through (|bin| = 1): dX = A_hᵀ G A_w with G all ones is 1, 2, 2, 4 per cell."""
    x = torch.randn(1, 2, 2, dtype=torch.float64, requires_grad=True)
    with torchlayers.use_kernels(kernels):
        output = F.adaptive_avg_pool2d(x, 3)
        (grad,) = torch.autograd.grad(output, x, torch.ones_like(output))
    # bins of 2 rows into 3: [0, 1), [0, 2), [1, 2): row 0 gets 1 + 1/2, row 1 the same
    torch.testing.assert_close(grad, torch.full((1, 2, 2), 1.5**2, dtype=torch.float64))


@pytest.mark.parametrize("kernels", KERNEL_MODES)
def test_max_gradient_sums_over_bins_a_cell_wins(kernels):
    """[1, 5, 2] into 2 bins [0, 2), [1, 3): 5 wins both, so it gets a + b, the others 0."""
    x = _column(1.0, 5.0, 2.0)
    with torchlayers.use_kernels(kernels):
        output, indices = F.adaptive_max_pool2d(x, (2, 1), return_indices=True)
        (grad,) = torch.autograd.grad(
            output, x, torch.tensor([2.0, 6.0], dtype=torch.float64).reshape(1, 2, 1)
        )
    assert indices.flatten().tolist() == [1, 1]
    torch.testing.assert_close(grad.flatten(), torch.tensor([0.0, 8.0, 0.0], dtype=torch.float64))


TIES_AND_NANS = {
    "ties": [[1.0, 3.0, 3.0, 2.0], [3.0, 0.0, 3.0, 5.0], [3.0, 3.0, 1.0, 1.0]],
    "nans": [[1.0, NAN, 3.0, 2.0], [NAN, 0.0, NAN, 5.0], [3.0, 3.0, 1.0, NAN]],
    "infinities": [[-torch.inf] * 4, [-torch.inf, 2.0, torch.inf, torch.inf], [1.0, 1.0, 1.0, 1.0]],
}


@pytest.mark.parametrize("kernels", KERNEL_MODES)
@pytest.mark.parametrize("output_size", [1, (2, 2), (3, 3), (2, 1), (5, 7)], ids=str)
@pytest.mark.parametrize("values", list(TIES_AND_NANS.values()), ids=list(TIES_AND_NANS))
def test_max_winner_on_ties_and_nan_is_torchs(values, output_size, kernels):
    """The first maximum in row-major order on ties, the last NaN of a bin that holds NaN, the
    first cell of a bin of -inf: values, indices and gradients as torch's."""
    x = torch.tensor(values).unsqueeze(0).requires_grad_()
    with torchlayers.use_kernels(kernels):
        output, indices = F.adaptive_max_pool2d(x, output_size, return_indices=True)
    expected, expected_indices = TF.adaptive_max_pool2d(x, output_size, return_indices=True)
    torch.testing.assert_close(output, expected, equal_nan=True, rtol=0, atol=0)
    assert torch.equal(indices, expected_indices)
    grad_output = torch.rand_like(output)
    with torchlayers.use_kernels(kernels):
        (grad,) = torch.autograd.grad(output, x, grad_output)
    torch.testing.assert_close(grad, torch.autograd.grad(expected, x, grad_output)[0], rtol=0, atol=0)


@pytest.mark.parametrize("kernels", KERNEL_MODES)
@pytest.mark.parametrize(
    ("shape", "output_size"),
    [((2, 3, 7, 5), (3, 4)), ((3, 4, 9), (None, 4)), ((1, 2, 3, 3), (6, 5)), ((2, 1, 4, 4), (0, 2))],
    ids=["4d", "unbatched_keep_height", "larger", "empty_output"],
)
def test_return_indices_are_torchs(shape, output_size, kernels):
    x = torch.randn(shape)
    with torchlayers.use_kernels(kernels):
        output, indices = F.adaptive_max_pool2d(x, output_size, return_indices=True)
        module_output, module_indices = tnn.AdaptiveMaxPool2d(output_size, return_indices=True)(x)
    expected, expected_indices = TF.adaptive_max_pool2d(x, output_size, return_indices=True)
    torch.testing.assert_close(output, expected, rtol=0, atol=0)
    assert indices.dtype == torch.int64 and torch.equal(indices, expected_indices)
    assert torch.equal(module_indices, expected_indices) and torch.equal(module_output, output)


@pytest.mark.parametrize("kernels", KERNEL_MODES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16], ids=str)
@pytest.mark.parametrize("pool", [F.adaptive_avg_pool2d, F.adaptive_max_pool2d], ids=["avg", "max"])
def test_channels_last_and_half_inputs_match_torch(pool, dtype, kernels):
    x = torch.randn(2, 3, 7, 5).to(dtype).contiguous(memory_format=torch.channels_last).requires_grad_()
    reference = getattr(TF, pool.__name__)
    with torchlayers.use_kernels(kernels):
        output = pool(x, (3, 4))
    expected = reference(x, (3, 4))
    torch.testing.assert_close(output, expected)
    grad_output = torch.randn_like(expected)
    with torchlayers.use_kernels(kernels):
        (grad,) = torch.autograd.grad(output, x, grad_output)
    if dtype == torch.float32:
        torch.testing.assert_close(grad, torch.autograd.grad(expected, x, grad_output)[0])
        return
    # half types: torch's kernels round every bin's share before summing them, the formula sums
    # in float32 and rounds once; so against the float64 gradient, normwise
    wide = x.detach().double().requires_grad_()
    (exact,) = torch.autograd.grad(reference(wide, (3, 4)), wide, grad_output.double())
    rtol = {torch.bfloat16: 1.6e-2, torch.float16: 1e-3}[dtype]
    torch.testing.assert_close(grad.double(), exact, rtol=rtol, atol=2 * rtol * exact.abs().max().item())


@pytest.mark.parametrize("kernels", KERNEL_MODES)
def test_average_keeps_float32_under_autocast(kernels):
    """The formula's matrix products run with autocast off: float32 in, float32 out, as torch."""
    x = torch.randn(2, 3, 5, 4, requires_grad=True)
    with torchlayers.use_kernels(kernels), torch.autocast("cpu", dtype=torch.bfloat16):
        output = F.adaptive_avg_pool2d(x, (3, 2))
    assert output.dtype == torch.float32
    torch.testing.assert_close(output, TF.adaptive_avg_pool2d(x, (3, 2)))


def _saved(fn):
    packed = []

    def pack(tensor):
        packed.append(tensor)
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        fn()
    return packed


def test_caches():
    """Average: the input (the kernel reads its shape); max: the input and the argmax indices,
    the tensors torch's nodes keep."""
    x = torch.randn(2, 3, 5, 4, requires_grad=True)
    (saved,) = _saved(lambda: F.adaptive_avg_pool2d(x, (3, 2)))
    assert saved is x
    saved_input, saved_indices = _saved(lambda: F.adaptive_max_pool2d(x, (3, 2)))
    assert saved_input is x
    assert torch.equal(saved_indices, TF.adaptive_max_pool2d(x, (3, 2), return_indices=True)[1])


def test_modules_repr_and_outputs_like_torch():
    x = torch.randn(1, 2, 5, 6)
    for ours, theirs in [
        (tnn.AdaptiveAvgPool2d((None, 3)), torch.nn.AdaptiveAvgPool2d((None, 3))),
        (tnn.AdaptiveMaxPool2d(2, return_indices=True), torch.nn.AdaptiveMaxPool2d(2, return_indices=True)),
    ]:
        assert repr(ours) == repr(theirs)
        torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("input", "output_size"),
    [
        (torch.ones(2, 3), (1, 1)),
        (torch.ones(2, 3), 2),
        (torch.ones(1, 1, 1, 2, 3), 2),
        (torch.ones(1, 2, 3), (1, 1, 1)),
        (torch.ones(1, 1, 2, 3), (1, 1, 1)),
        (torch.ones(1, 2, 3), [2]),
        (torch.ones(1, 2, 3), (1.5, 1)),
        (torch.ones(1, 2, 3), "a"),
        (torch.ones(1, 2, 0), 2),
        (torch.ones(2, 0, 2, 3), 2),
        (torch.ones(1, 2, 3), (2, -3)),
        (torch.ones(1, 2, 3, dtype=torch.long), 2),
    ],
    ids=[
        "2d_pair",
        "2d_int",
        "5d",
        "3d_triple",
        "4d_triple",
        "single",
        "float_size",
        "str_size",
        "empty_width",
        "empty_channels",
        "negative",
        "integer_input",
    ],
)
@pytest.mark.parametrize("name", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
def test_errors_are_torchs(name, input, output_size):
    """The exception type torch raises (and no error where torch gives none: an empty channel
    dimension is fine for the average); the message too where people match on it."""
    try:
        expected = getattr(TF, name)(input, output_size)
    except Exception as torch_error:
        with pytest.raises(type(torch_error)) as error:
            getattr(F, name)(input, output_size)
        if isinstance(torch_error, ValueError) or "non-zero size" in str(torch_error):
            assert str(error.value) == str(torch_error)
    else:
        torch.testing.assert_close(getattr(F, name)(input, output_size), expected)
