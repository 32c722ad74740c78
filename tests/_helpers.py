"""Helpers shared by the registry-driven tests: devices, calling an op on a sample, gradients."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import torch

from torchlayers.testing import OPS, OpInfo, SampleInput
from torchlayers.testing._calls import (  # noqa: F401  (the harness's own, re-exported for the tests)
    as_function,
    detached_copy,
)

# CUDA parametrizations carry the ``cuda`` marker; conftest.py skips them without a GPU.
DEVICES = [pytest.param("cpu", id="cpu"), pytest.param("cuda", id="cuda", marks=pytest.mark.cuda)]


def op_params(ops: list[OpInfo] = OPS) -> list:
    """``pytest.param`` per op, id'd by its name."""
    return [pytest.param(op, id=op.name) for op in ops]


def skip_if_listed(op, test: str) -> None:
    """Skip ``test`` for a module info whose ``skips`` names it, with the given reason (an
    ``OpInfo``'s ``skips`` name the audit's checks instead)."""
    if test in op.skips:
        pytest.skip(op.skips[test])


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
