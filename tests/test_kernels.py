"""The kernel table against the formulas it stands in for, generated from the op registry.

For every registry op and sample (that kernels on and off give the same values and gradients is
the audit's ``formula_vs_kernel`` check, in ``tests/test_audit_registry.py``): with kernels off
no kernel of the table runs (formula mode is pure), forward, backward or double backward; with kernels on,
a ``create_graph=True`` backward runs the formulas (so they are what gets differentiated), and a
plain backward runs the kernels. Across the registry every kernel of the table, and every
formula, runs at least once, so no entry goes unchecked. Then the switch itself.
"""

from __future__ import annotations

import functools
import inspect
import os
import subprocess
import sys
import threading

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import torchlayers
from tests._helpers import about, as_function, grads, op_params
from torchlayers.autograd import kernels
from torchlayers.testing.ops import OPS

TABLE_ATEN = {op for entry in kernels.KERNELS.values() for op in entry.aten}


class _AtenLog(TorchDispatchMode):
    """The ATen overloads that reach the dispatcher while it is active."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: set = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.add(func)
        return func(*args, **(kwargs or {}))


class _CallLog:
    """The formulas and kernels of the table (Python code objects) that run while it is active."""

    WATCHED = frozenset(
        [entry.run.__code__ for entry in kernels.KERNELS.values()]
        + [wrapper.formula.__code__ for wrapper in kernels.FORMULAS.values()]
    )

    def __init__(self) -> None:
        self.codes: set = set()

    def _profile(self, frame, event, arg):
        if event == "call" and frame.f_code in self.WATCHED:
            self.codes.add(frame.f_code)

    def __enter__(self):
        sys.setprofile(self._profile)
        threading.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        sys.setprofile(None)
        threading.setprofile(None)


def _variants(op) -> list:
    """The op, and its in-place form applied to a non-leaf copy where it has one."""
    if not op.supports_inplace:
        return [op.op]

    def inplace(input, *rest, **kwargs):
        return op.op(input * 1, *rest, **kwargs, inplace=True)

    return [op.op, inplace]


def _run(fn, sample):
    """(output, first-order gradients) of ``fn`` on the sample, for a fixed cotangent."""
    tensors = sample.tensors()
    output = as_function(fn, sample)(*tensors)
    torch.manual_seed(1)
    grad_output = torch.rand_like(output) + 0.5
    return output, grads(output, tensors, grad_output)


def _double_backward(fn, sample) -> None:
    """Differentiate the sum of the first-order gradients once more."""
    tensors = sample.tensors()
    output = as_function(fn, sample)(*tensors)
    if not output.requires_grad:
        return
    first = torch.autograd.grad(output.sum(), tensors, create_graph=True, allow_unused=True)
    total = sum(g.sum() for g in first if g is not None and g.requires_grad)
    if isinstance(total, torch.Tensor):
        torch.autograd.grad(total, tensors, allow_unused=True)


def _samples(op, dtype):
    return [s for s in op.sample_inputs("cpu", dtype, True) if all(t.numel() for t in s.tensors())]


@functools.cache
def _traces(name: str):
    """For one op, over its float64 samples: the table ATen ops and the watched Python codes
    that ran with kernels on (plain forward + backward) and with kernels off (forward,
    backward and double backward)."""
    op = next(op for op in OPS if op.name == name)
    kernel_ops, formula_ops = _AtenLog(), _AtenLog()
    kernel_calls, formula_calls = _CallLog(), _CallLog()
    for sample in _samples(op, torch.float64):
        for fn in _variants(op):
            with torchlayers.use_kernels(True), kernel_ops, kernel_calls:
                _run(fn, sample)
            with torchlayers.use_kernels(False), formula_ops, formula_calls:
                _run(fn, sample)
                _double_backward(fn, sample)
    return kernel_ops.ops & TABLE_ATEN, formula_ops.ops & TABLE_ATEN, kernel_calls.codes, formula_calls.codes


@pytest.mark.parametrize("op", op_params())
def test_formula_mode_runs_no_kernel(op):
    """With kernels off, no fused kernel of the table runs: forward, backward, double backward."""
    ran = _traces(op.name)[1]
    assert not ran, f"{op.name} ran {sorted(map(str, ran))} with kernels off"


@pytest.mark.parametrize("op", op_params())
def test_create_graph_differentiates_the_formula(op):
    """With kernels on, a backward under ``create_graph=True`` runs the formulas (their ops are
    what double backward differentiates), and no backward kernel of the table."""
    if not _traces(op.name)[0]:
        pytest.skip(f"{op.name} runs no kernel of the table")
    for sample in _samples(op, torch.float64):
        for fn in _variants(op):
            tensors = sample.tensors()
            output = as_function(fn, sample)(*tensors)
            if not output.requires_grad:
                continue
            log = _AtenLog()
            with torchlayers.use_kernels(True), log:
                torch.autograd.grad(output.sum(), tensors, create_graph=True, allow_unused=True)
            with about(sample, fn.__name__):
                assert not log.ops & TABLE_ATEN, f"ran {sorted(map(str, log.ops & TABLE_ATEN))}"


def test_every_kernel_and_formula_runs_in_the_registry():
    """Each entry of the table ran with kernels on and its formula with kernels off, for some
    registry op: the registry-generated comparison above covers the whole table."""
    kernel_codes, formula_codes = set(), set()
    for op in OPS:
        _, _, kernel_calls, formula_calls = _traces(op.name)
        kernel_codes |= kernel_calls
        formula_codes |= formula_calls
    unexercised = [name for name, entry in kernels.KERNELS.items() if entry.run.__code__ not in kernel_codes]
    assert not unexercised, f"no registry op runs these kernels: {unexercised}"
    no_formula_run = [
        name for name, wrapper in kernels.FORMULAS.items() if wrapper.formula.__code__ not in formula_codes
    ]
    assert not no_formula_run, f"no registry op runs these formulas with kernels off: {no_formula_run}"


def test_every_table_entry_has_its_formula():
    """The table and the ``@stand_in`` formulas name each other one to one."""
    assert set(kernels.FORMULAS) == set(kernels.KERNELS)
    for name, wrapper in kernels.FORMULAS.items():
        assert wrapper.kernel is kernels.KERNELS[name].run


def test_only_the_kernel_table_calls_aten():
    """``torch.ops.aten`` appears in the package's source only in the kernel table."""
    root = os.path.dirname(torchlayers.__file__)
    offenders = []
    for folder, _, files in os.walk(root):
        for file in files:
            path = os.path.join(folder, file)
            if file.endswith(".py") and path != kernels.__file__:
                with open(path, encoding="utf-8") as source:
                    if "torch.ops.aten" in source.read():
                        offenders.append(os.path.relpath(path, root))
    assert not offenders


# --- the switch ----------------------------------------------------------------------------


def test_use_kernels_sets_and_restores_like_set_grad_enabled():
    before = torchlayers.kernels_enabled()
    try:
        torchlayers.use_kernels(False)
        assert not torchlayers.kernels_enabled()
        with torchlayers.use_kernels(True):
            assert torchlayers.kernels_enabled()
            with torchlayers.use_kernels(False):
                assert not torchlayers.kernels_enabled()
            assert torchlayers.kernels_enabled()
        assert not torchlayers.kernels_enabled()
    finally:
        torchlayers.use_kernels(before)
    assert torchlayers.kernels_enabled() is before


def test_use_kernels_refuses_a_non_bool():
    with pytest.raises(TypeError, match="must be bool"):
        torchlayers.use_kernels(1)


@pytest.mark.parametrize(("value", "expected"), [("0", "False"), ("1", "True"), ("", "True")])
def test_environment_variable_sets_the_default(value, expected):
    environment = {**os.environ, "TORCHLAYERS_KERNELS": value}
    result = subprocess.run(
        [sys.executable, "-c", "import torchlayers; print(torchlayers.kernels_enabled())"],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    assert result.stdout.strip() == expected


def test_formula_runs_under_a_debugger_in_formula_mode():
    """Stepping into a backward in formula mode reaches the formula's own lines: a line trace of
    ``sigmoid``'s backward records the line of ``sigmoid_grad`` that computes g (1 - y) y."""
    from torchlayers.autograd import activation

    formula = activation.sigmoid_grad.formula
    lines = set()

    def trace(frame, event, arg):
        if frame.f_code is formula.__code__ and event == "line":
            lines.add(frame.f_lineno)
        return trace

    x = torch.randn(4, requires_grad=True)
    y = torchlayers.functional.sigmoid(x)
    with torchlayers.use_kernels(False):
        sys.settrace(trace)
        threading.settrace(trace)
        try:
            y.sum().backward()
        finally:
            sys.settrace(None)
            threading.settrace(None)
    source, first = inspect.getsourcelines(formula)
    formula_line = next(first + i for i, line in enumerate(source) if "(1 - y) * y" in line)
    assert formula_line in lines
    torch.testing.assert_close(x.grad, torch.sigmoid(x) * (1 - torch.sigmoid(x)))
