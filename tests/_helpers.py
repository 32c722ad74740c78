"""Helpers shared by the registry-driven tests: devices, calling an op on a sample, gradients."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import torch

from torchlayers.testing import OPS, OpInfo, SampleInput

# CUDA parametrizations carry the ``cuda`` marker; conftest.py skips them without a GPU.
DEVICES = [pytest.param("cpu", id="cpu"), pytest.param("cuda", id="cuda", marks=pytest.mark.cuda)]
HALF_DTYPES = (torch.float16, torch.bfloat16)


def op_params(ops: list[OpInfo] = OPS) -> list:
    """``pytest.param`` per op, id'd by its name."""
    return [pytest.param(op, id=op.name) for op in ops]


def skip_if_listed(op, test: str) -> None:
    """Skip ``test`` for an op (or module info) whose ``skips`` names it, with the given reason."""
    if test in op.skips:
        pytest.skip(op.skips[test])


def tensor_positions(sample: SampleInput) -> list[int]:
    """Positions in ``sample.args`` of the differentiable (floating) tensors."""
    return [i for i, a in enumerate(sample.args) if isinstance(a, torch.Tensor) and a.is_floating_point()]


def as_function(fn: Callable, sample: SampleInput, **extra_kwargs) -> Callable:
    """``fn`` as a function of the sample's differentiable tensors only (for gradcheck, jacrev…)."""
    positions = tensor_positions(sample)

    def call(*tensors):
        args = list(sample.args)
        for i, tensor in zip(positions, tensors, strict=True):
            args[i] = tensor
        return fn(*args, **sample.kwargs, **extra_kwargs)

    return call


def function_args(op: OpInfo, sample: SampleInput) -> tuple:
    """The positional arguments of ``op.function.apply`` for a sample of ``op.op``.

    By default the functional's signature, defaults filled in, in order, which is the
    ``forward`` signature of every core Function. ``OpInfo.function_args`` overrides it.
    """
    if op.function_args is not None:
        return op.function_args(sample.args, sample.kwargs)
    bound = inspect.signature(op.op).bind(*sample.args, **sample.kwargs)
    bound.apply_defaults()
    return tuple(bound.arguments.values())


def first_output(result):
    """Functions with extra outputs (Maxout's winner index) return a tuple; the value is first."""
    return result[0] if isinstance(result, tuple) else result


def grads(output: torch.Tensor, inputs: list[torch.Tensor], grad_output: torch.Tensor) -> tuple:
    """d(output)/d(inputs) contracted with ``grad_output``; ``None`` where an input is unused."""
    if not output.requires_grad:
        return (None,) * len(inputs)
    return torch.autograd.grad(output, inputs, grad_output, allow_unused=True)


def assert_same_grads(actual: tuple, expected: tuple, **kwargs) -> None:
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        assert (a is None) == (e is None), f"gradient {i}: {a} vs {e}"
        if a is not None:
            torch.testing.assert_close(a, e, msg=lambda m, i=i: f"gradient {i}: {m}", **kwargs)


@contextmanager
def about(sample: SampleInput, *context) -> Iterator[None]:
    """Name the sample (and any context) in the failure message of the block."""
    try:
        yield
    except pytest.skip.Exception:
        raise
    except Exception as error:
        where = ", ".join([repr(sample), *map(str, context)])
        raise AssertionError(f"{where}: {type(error).__name__}: {error}") from error


def detached_copy(value, requires_grad: bool | None = None):
    """A fresh leaf with the same values and strides (``clone`` would make it contiguous)."""
    if not isinstance(value, torch.Tensor):
        return value
    copy = torch.empty_strided(value.shape, value.stride(), dtype=value.dtype, device=value.device)
    copy.copy_(value.detach())
    keep = value.requires_grad if requires_grad is None else requires_grad
    return copy.requires_grad_(keep and copy.is_floating_point())


def non_leaf_like(leaf: torch.Tensor) -> torch.Tensor:
    """A differentiable non-leaf with ``leaf``'s values and layout (what in-place ops may modify).

    Non-contiguous leaves give a strided view of a larger non-leaf, so the in-place tests also
    cover writing through a view.
    """
    if leaf.is_contiguous() or leaf.dim() == 0:
        return leaf * 1
    return leaf.repeat_interleave(2, dim=-1)[..., ::2]
