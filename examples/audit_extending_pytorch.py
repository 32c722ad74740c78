"""Audit code the project did not write: the "Extending PyTorch" note's ``LinearFunction`` and
``MulConstant`` (written as the note writes them), and broken variants of them, each with one
bug that :func:`torchlayers.testing.audit` catches and names.

    python -m examples.audit_extending_pytorch            # every report
    python -m examples.audit_extending_pytorch MulConstantWrongSign

The same from the command line, with default elementwise samples::

    python -m torchlayers.testing examples.audit_extending_pytorch:MulConstant \\
        --reference torch.mul --args 2.5
"""

from __future__ import annotations

import sys

import torch
import torch.nn.functional as TF
from torch.autograd import Function

from torchlayers.testing import SampleInput, audit

# --- the documentation's Functions, as written there ---------------------------------------------


class LinearFunction(Function):
    # Note that forward, setup_context, and backward are @staticmethods
    @staticmethod
    def forward(input, weight, bias):
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    # inputs is a Tuple of all of the inputs passed to forward.
    # output is the output of the forward().
    def setup_context(ctx, inputs, output):
        input, weight, bias = inputs
        ctx.save_for_backward(input, weight, bias)

    # This function has only a single output, so it gets only one gradient
    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)

        return grad_input, grad_weight, grad_bias


class MulConstant(Function):
    @staticmethod
    def forward(tensor, constant):
        return tensor * constant

    @staticmethod
    def setup_context(ctx, inputs, output):
        # ctx is a context object that can be used to stash information
        # for backward computation
        tensor, constant = inputs  # noqa: RUF059  (as the note writes it)
        ctx.constant = constant

    @staticmethod
    def backward(ctx, grad_output):
        # We return as many input gradients as there were arguments.
        # Gradients of non-Tensor arguments to forward must be None.
        return grad_output * ctx.constant, None


# --- the same, ready for torch.func and forward-mode AD (the note's later sections) -------------


class MulConstantFull(MulConstant):
    """MulConstant with the vmap rule torch.func needs and a ``jvp``: d(c x) = c dx."""

    generate_vmap_rule = True

    @staticmethod
    def jvp(ctx, tensor_tangent, _constant_tangent):
        return tensor_tangent * ctx.constant


class LinearFunctionVmap(LinearFunction):
    generate_vmap_rule = True


class MulConstantInPlace(Function):
    """``tensor *= constant``: an in-place Function marks its input dirty."""

    @staticmethod
    def forward(tensor, constant):
        tensor.mul_(constant)
        return tensor  # the input itself: Dynamo refuses ``return tensor.mul_(constant)`` here

    @staticmethod
    def setup_context(ctx, inputs, output):
        tensor, constant = inputs
        ctx.constant = constant
        ctx.mark_dirty(tensor)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


# --- one bug each ----------------------------------------------------------------------------------


class MulConstantWrongSign(MulConstantFull):
    @staticmethod
    def backward(ctx, grad_output):
        return -grad_output * ctx.constant, None  # bug: d(c x)/dx is c, not -c


class LinearFunctionDetached(LinearFunctionVmap):
    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_output = grad_output.detach()  # bug: the gradient is no longer differentiable
        grad_input = grad_output.mm(weight)
        grad_weight = grad_output.t().mm(input)
        grad_bias = grad_output.sum(0) if bias is not None else None
        return grad_input, grad_weight, grad_bias


class MulConstantWrongJvp(MulConstantFull):
    @staticmethod
    def jvp(ctx, tensor_tangent, _constant_tangent):
        return tensor_tangent  # bug: the tangent of c x is c dx


class MulConstantWrongDtype(MulConstantFull):
    @staticmethod
    def forward(tensor, constant):
        # bug: computes half precision in float32 for accuracy and never rounds back
        wide = tensor.float() if tensor.dtype in (torch.float16, torch.bfloat16) else tensor
        return wide * constant


class MulConstantGraphBreak(MulConstantFull):
    @staticmethod
    def forward(tensor, constant):
        if tensor.sum() > 0:  # bug: data-dependent control flow breaks the graph
            return tensor * constant
        return constant * tensor


class MulConstantInPlaceNotDirty(MulConstantInPlace):
    @staticmethod
    def setup_context(ctx, inputs, output):
        _tensor, constant = inputs
        ctx.constant = constant  # bug: ctx.mark_dirty(tensor) forgotten


# --- samples and the audits ----------------------------------------------------------------------


def linear_samples():
    """2-d inputs, as the note's ``mm`` needs; with and without bias."""
    return [
        (
            torch.randn(4, 3, dtype=torch.float64),
            torch.randn(5, 3, dtype=torch.float64),
            torch.randn(5, dtype=torch.float64),
        ),
        (torch.randn(2, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64), None),
        SampleInput(
            (
                torch.randn(0, 3, dtype=torch.float64),
                torch.randn(2, 3, dtype=torch.float64),
                torch.randn(2, dtype=torch.float64),
            ),
            name="empty batch",
        ),
    ]


def mul_constant_samples():
    return [
        (torch.randn(3, 4, dtype=torch.float64), 2.5),
        (torch.randn(5, dtype=torch.float64), -1.5),
        (torch.randn((), dtype=torch.float64), 0.5),
        (torch.randn(0, 2, dtype=torch.float64), 3.0),
    ]


# name -> (Function, samples, reference, keywords of audit)
AUDITS = {
    "LinearFunction": (LinearFunction, linear_samples, TF.linear, {}),
    "MulConstant": (MulConstant, mul_constant_samples, torch.mul, {"elementwise": True}),
    "MulConstantFull": (MulConstantFull, mul_constant_samples, torch.mul, {"elementwise": True}),
    "MulConstantInPlace": (
        MulConstantInPlace,
        mul_constant_samples,
        torch.Tensor.mul_,
        {"elementwise": True, "inplace": True},
    ),
    "MulConstantWrongSign": (MulConstantWrongSign, mul_constant_samples, torch.mul, {"elementwise": True}),
    "LinearFunctionDetached": (LinearFunctionDetached, linear_samples, TF.linear, {}),
    "MulConstantWrongJvp": (MulConstantWrongJvp, mul_constant_samples, torch.mul, {"elementwise": True}),
    "MulConstantWrongDtype": (MulConstantWrongDtype, mul_constant_samples, torch.mul, {"elementwise": True}),
    "MulConstantGraphBreak": (MulConstantGraphBreak, mul_constant_samples, torch.mul, {"elementwise": True}),
    "MulConstantInPlaceNotDirty": (
        MulConstantInPlaceNotDirty,
        mul_constant_samples,
        torch.Tensor.mul_,
        {"elementwise": True, "inplace": True},
    ),
}


def run(name: str, **options):
    """The report of one entry of :data:`AUDITS`."""
    function, samples, reference, keywords = AUDITS[name]
    torch.manual_seed(0)
    return audit(function, samples(), reference=reference, **keywords, **options)


def main(names: list[str]) -> int:
    failed = 0
    for name in names or list(AUDITS):
        report = run(name)
        print(report, end="\n\n")
        failed += not report.ok
    return 0 if failed == 0 or not names else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
