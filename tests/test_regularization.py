"""The L2 penalty (``torchlayers/autograd/regularization.py``): no kernel stands in for it, so
its formulas run in both modes; half-precision tensors are computed in float32."""

from __future__ import annotations

import sys

import pytest
import torch

import torchlayers
import torchlayers.functional as F
from tests.test_regression import MODES
from torchlayers.autograd import regularization


@pytest.mark.parametrize("kernels", MODES)
def test_backward_steps_into_the_formula(kernels):
    tensors = [torch.randn(4, 3, requires_grad=True), torch.randn(3, requires_grad=True)]
    code = regularization.l2_regularization_grad.__code__
    entered = []

    def trace(frame, event, arg):
        if event == "call" and frame.f_code is code:
            entered.append(frame.f_code)

    with torchlayers.use_kernels(kernels):
        penalty = F.l2_regularization(*tensors, weight=0.1)
        sys.settrace(trace)
        try:
            torch.autograd.grad(penalty, tensors)
        finally:
            sys.settrace(None)
    assert entered == [code, code]


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_float32_rounded(dtype):
    """λ Σ ‖W‖² over many float16/bfloat16 elements, accumulated in float32 and rounded once:
    the float64 value rounded to the dtype, and the gradient 2 λ W to the dtype's rounding."""
    torch.manual_seed(0)
    w = torch.randn(64, 257).to(dtype).requires_grad_()
    wide = w.detach().double().requires_grad_()
    expected = 1e-3 * (wide * wide).sum()
    actual = F.l2_regularization(w, weight=1e-3)
    assert actual.dtype == dtype
    torch.testing.assert_close(actual, expected.to(dtype), rtol=0, atol=0)
    (grad,) = torch.autograd.grad(actual, w)
    (expected_grad,) = torch.autograd.grad(expected, wide)
    torch.testing.assert_close(grad, expected_grad.to(dtype))
