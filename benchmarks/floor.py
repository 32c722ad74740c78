"""The floor: the least a Python ``autograd.Function`` per operation can cost.

Each Function here runs torch's kernels forward and backward and does nothing else: no argument
checks, no autocast rule, no ``jvp``, no ``torch.func`` or ``torch.compile`` routing, and it is
not meant for double backward (cross entropy's saved log-probabilities are constants to it).
Built into the same ``Linear``/``ReLU``/``CrossEntropyLoss`` modules as the library, it times
what any design with one Python Function per lecture operation must pay above ``torch.nn``'s
C++ nodes; torchlayers' distance to it is the cost of its own Python. Used by
:mod:`benchmarks.overhead` (ReLU alone) and :mod:`benchmarks.mlp` (the host-bound step).
"""

from __future__ import annotations

import itertools

import torch
from torch import Tensor, nn
from torch.autograd import Function

__all__ = [
    "NAME",
    "CrossEntropyLoss",
    "Linear",
    "MinimalCrossEntropy",
    "MinimalLinear",
    "MinimalReLU",
    "ReLU",
    "mlp",
]

NAME = "minimal Python Functions"  # its key in the MLP records

_aten = torch.ops.aten
_MEAN = 1  # ATen's reduction enum for 'mean'
_IGNORE_INDEX = -100


class MinimalLinear(Function):
    """y = x Wᵀ + b for (N, in) inputs: one addmm forward, three kernels backward."""

    @staticmethod
    def forward(ctx, input, weight, bias):
        ctx.save_for_backward(input, weight)
        return torch.nn.functional.linear(input, weight, bias)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight = ctx.saved_tensors
        # dy/dx = W, dy/dW = x (outer), dy/db = 1 summed over the batch
        return grad_output.mm(weight), grad_output.t().mm(input), grad_output.sum(0)


class MinimalReLU(Function):
    """max(0, x): one kernel forward, save the output, one kernel backward."""

    @staticmethod
    def forward(ctx, input):
        output = torch.relu(input)
        ctx.save_for_backward(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        return _aten.threshold_backward.default(grad_output, output, 0)  # d relu = 1[y > 0]


class MinimalCrossEntropy(Function):
    """Mean cross entropy of (N, C) scores and class indices: torch.nn's two kernels each way."""

    @staticmethod
    def forward(ctx, input, target):
        log_probs = torch.log_softmax(input, 1)
        loss, total_weight = _aten.nll_loss_forward.default(log_probs, target, None, _MEAN, _IGNORE_INDEX)
        ctx.save_for_backward(log_probs, target, total_weight)
        return loss

    @staticmethod
    def backward(ctx, grad_loss):
        log_probs, target, total_weight = ctx.saved_tensors
        # dℓ/dz = (softmax(z) - onehot(y)) / N: NLL's scatter, then log-softmax's backward
        grad_log_probs = _aten.nll_loss_backward.default(
            grad_loss, log_probs, target, None, _MEAN, _IGNORE_INDEX, total_weight
        )
        return _aten._log_softmax_backward_data.default(grad_log_probs, log_probs, 1, log_probs.dtype), None


class Linear(nn.Linear):
    """``torch.nn.Linear`` (same parameters and initialisation) through :class:`MinimalLinear`."""

    def forward(self, input: Tensor) -> Tensor:
        return MinimalLinear.apply(input, self.weight, self.bias)


class ReLU(nn.Module):
    """ReLU through :class:`MinimalReLU`."""

    def forward(self, input: Tensor) -> Tensor:
        return MinimalReLU.apply(input)


class CrossEntropyLoss(nn.Module):
    """Mean cross entropy of class indices through :class:`MinimalCrossEntropy`."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return MinimalCrossEntropy.apply(input, target)


def mlp(sizes: tuple[int, ...]) -> nn.Sequential:
    """Linear-ReLU-...-Linear of the given widths from these modules (``torch.nn``'s
    parameter names and initialisation, so it loads an MLP's ``state_dict``)."""
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        if index:
            layers.append(ReLU())
        layers.append(Linear(fan_in, fan_out))
    return nn.Sequential(*layers)
