"""``audit``: every check the project runs on its own operations, run on any op, one report line
per check. See :func:`audit`."""

from __future__ import annotations

import contextlib
import inspect
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch
from torch.autograd import Function
from torch.utils._python_dispatch import TorchDispatchMode

import torchlayers
from torchlayers.autograd import kernels
from torchlayers.autograd._function import compilable
from torchlayers.testing import _jacobian as J
from torchlayers.testing._calls import (
    as_function,
    detached_copy,
    floating_outputs,
    grads,
    non_leaf_like,
    noncontiguous_like,
    saved_tensor_bytes,
    with_tensors,
)
from torchlayers.testing._errors import as_error_input, assert_same_error
from torchlayers.testing.registry import FLOAT_DTYPES, SampleInput

__all__ = ["CHECKS", "AuditError", "Check", "Report", "audit"]

_DTYPE_NAMES = {dtype: str(dtype).removeprefix("torch.") for dtype in FLOAT_DTYPES}
_HALF = (torch.float16, torch.bfloat16)

#: Every check, in report order.
CHECKS = (
    "gradcheck",
    "gradcheck_forward",
    "gradcheck_batched",
    "gradgradcheck",
    "vmap",
    "jacrev",
    "jacfwd",
    "compile",
    "autocast",
    *(f"parity_{name}" for name in _DTYPE_NAMES.values()),
    "special_values",
    "noncontiguous",
    "empty",
    "zero_dim",
    "inplace",
    "saved_bytes",
    "formula_vs_kernel",
    "errors",
)

# assert_close's defaults, for values that passed through each dtype
_TOLERANCE = {
    torch.float64: {"rtol": 1e-7, "atol": 1e-7},
    torch.float32: {"rtol": 1.3e-6, "atol": 1e-5},
    torch.float16: {"rtol": 1e-3, "atol": 1e-5},
    torch.bfloat16: {"rtol": 1.6e-2, "atol": 1e-5},
}
# kernels against formulas: the same function evaluated two ways, float64 to ~1 ulp of the sum
_KERNEL_TOLERANCE = {
    torch.float64: {"rtol": 1e-10, "atol": 1e-12},
    torch.float32: {"rtol": 1.3e-6, "atol": 1e-5},
    torch.bfloat16: {"rtol": 1.6e-2, "atol": 1e-2},
}


# --- the report ---------------------------------------------------------------------------------


@dataclass
class Check:
    """The outcome of one check: ``status`` is ``"pass"``, ``"FAIL"``, ``"warn"`` (a cost, not a
    wrong result: more bytes saved than the reference) or ``"skip"`` (not applicable, why in
    ``figure``); ``figure`` is what was measured, ``details`` what a failure shows beyond it."""

    name: str
    status: str
    figure: str
    details: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "FAIL"

    def __str__(self) -> str:
        return f"{self.status:<4}  {self.name:<18} {self.figure}"


@dataclass
class Report:
    """What :func:`audit` found: one :class:`Check` per check, in :data:`CHECKS` order."""

    target: str
    checks: list[Check]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """``True`` only if no check failed (skipped and warned checks do not fail)."""
        return not self.failures

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if check.failed]

    @property
    def warnings(self) -> list[Check]:
        return [check for check in self.checks if check.status == "warn"]

    def __getitem__(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)

    def raise_for_failures(self) -> None:
        """Raise :class:`AuditError` (an ``AssertionError``) with the report if a check failed."""
        if not self.ok:
            raise AuditError(str(self))

    def __str__(self) -> str:
        lines = [f"audit of {self.target}", *(f"  {check}" for check in self.checks)]
        for check in self.failures + self.warnings:
            if check.details:
                lines += [f"{check.name}:", check.details]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


class AuditError(AssertionError):
    """An audit with failed checks (the report is the message)."""


class _SkipCheck(Exception):  # noqa: N818  (not an error: the check does not apply)
    pass


class _CheckFailedError(Exception):
    def __init__(self, figure: str, details: str = "") -> None:
        super().__init__(figure)
        self.figure, self.details = figure, details


class _CostWarningError(_CheckFailedError):
    pass


# --- what is audited ----------------------------------------------------------------------------


def _name(obj) -> str:
    if obj is None:
        return "None"
    module = getattr(obj, "__module__", None) or ""
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__name__
    if qualname.startswith("_VariableFunctionsClass."):  # torch.mul and the other native ops
        return f"torch.{obj.__name__}"
    if qualname.startswith("TensorBase."):
        return f"torch.Tensor.{obj.__name__}"
    if module == "torch._C._nn":
        module = "torch.nn.functional"
    return f"{module}.{qualname}" if module and module not in ("__main__", "builtins") else qualname


def _overrides(cls: type[Function], name: str) -> bool:
    return getattr(cls, name) is not getattr(Function, name)


@dataclass
class _Target:
    name: str
    call: Callable  # the op as every out-of-place check calls it
    compiled: Callable  # what torch.compile traces
    function: type[Function] | None
    reference: Callable | None
    make: Callable[[torch.dtype, bool], list[SampleInput]]
    elementwise: bool
    special_kwargs: tuple[dict, ...]
    inplace_call: Callable | None  # the in-place variant, its input first
    inplace_reference: Callable | None
    compiled_inplace: Callable | None  # the in-place variant as torch.compile traces it
    autocast_output: str | None
    dtypes: tuple[torch.dtype, ...]
    device: str
    torchlayers_op: bool
    # (op, reference, maker of error inputs) as the caller gave them, for the errors check
    errors: tuple[Callable, Callable | None, Callable[[], list]] | None = None
    batched_forward_grad: bool = True  # OpInfo.check_batched_forward_grad

    def samples(self, dtype: torch.dtype, requires_grad: bool = True) -> list[SampleInput]:
        return self.make(dtype, requires_grad)

    def differentiable(self, dtype=torch.float64) -> list[SampleInput]:
        return [s for s in self.samples(dtype) if any(t.requires_grad for t in s.tensors())]

    # applicability, from the Function class when there is one (a plain callable is tried)
    def lacks(self, what: str) -> str | None:
        cls = self.function
        if cls is None:
            return None
        name = cls.__name__
        if what == "jvp" and not _overrides(cls, "jvp"):
            return f"{name} defines no jvp: forward-mode AD does not apply"
        if what == "vmap":
            if not _overrides(cls, "setup_context"):
                return f"{name} has no setup_context: torch.func transforms refuse it"
            if not (cls.generate_vmap_rule or _overrides(cls, "vmap")):
                return f"{name} has no vmap rule (generate_vmap_rule = True or a vmap staticmethod)"
        return None


def _sample_maker(samples, device: str) -> Callable[[torch.dtype, bool], list[SampleInput]]:
    if callable(samples):
        return lambda dtype, requires_grad: list(samples(device, dtype, requires_grad))
    given = [s if isinstance(s, SampleInput) else SampleInput(tuple(s)) for s in samples]

    def make(dtype, requires_grad):
        def cast(a):
            if not isinstance(a, torch.Tensor):
                return a
            return detached_copy(a.to(device), requires_grad and a.is_floating_point(), dtype)

        return [
            SampleInput(tuple(cast(a) for a in s.args), {k: cast(v) for k, v in s.kwargs.items()}, s.name)
            for s in given
        ]

    return make


def _first_cloned(fn: Callable) -> Callable:
    """An in-place op as an out-of-place one: it modifies a copy of its first argument."""

    def call(input, *rest, **kwargs):
        return fn(input.clone(), *rest, **kwargs)

    return call


def _inplace_kwarg(fn: Callable) -> Callable:
    def call(input, *rest, **kwargs):
        return fn(input, *rest, **kwargs, inplace=True)

    return call


# --- helpers shared by the checks ------------------------------------------------------------


def _max_diff(actual, expected) -> float:
    """max |a - e| over entries (NaN against NaN counts 0, NaN against a number inf)."""
    worst = 0.0
    for a, e in zip(floating_outputs(actual), floating_outputs(expected), strict=False):
        if a.numel() == 0 or a.shape != e.shape:
            continue
        a, e = a.detach().double(), e.detach().double()
        both_nan = a.isnan() & e.isnan()
        same = (a == e) | both_nan  # equal infinities give inf - inf = nan, not 0
        diff = torch.where(same, torch.zeros_like(a), (a - e).abs().nan_to_num(nan=math.inf))
        worst = max(worst, diff.max().item())
    return worst


def _max_grad_diff(actual: tuple, expected: tuple) -> float:
    return max(
        [_max_diff(a, e) for a, e in zip(actual, expected, strict=True) if a is not None and e is not None],
        default=0.0,
    )


def _cotangents(outputs, seed: int = 1) -> tuple:
    generator = torch.Generator().manual_seed(seed)
    return tuple(
        torch.rand(o.shape, generator=generator, dtype=torch.float64)
        .add_(0.5)
        .to(device=o.device, dtype=o.dtype)
        for o in outputs
    )


def _run(fn: Callable, sample: SampleInput):
    """(floating outputs, gradients of the sample's tensors) for a fixed cotangent."""
    tensors = sample.tensors()
    outputs = floating_outputs(as_function(fn, sample)(*tensors))
    return outputs, grads(outputs, tensors, _cotangents(outputs))


def _assert_same_grads(actual: tuple, expected: tuple, **tolerance) -> None:
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        if (a is None) != (e is None):
            raise AssertionError(
                f"gradient {i}: {'None' if a is None else 'a tensor'}, reference "
                f"{'None' if e is None else 'a tensor'}"
            )
        if a is not None:
            if a.dtype != e.dtype:
                raise AssertionError(f"gradient {i}: dtype {a.dtype}, reference {e.dtype}")
            torch.testing.assert_close(
                a, e, equal_nan=True, msg=lambda m, i=i: f"gradient {i}: {m}", **tolerance
            )


def _assert_same_outputs(actual: tuple, expected: tuple, **tolerance) -> None:
    if len(actual) != len(expected):
        raise AssertionError(f"{len(actual)} floating outputs, reference {len(expected)}")
    for a, e in zip(actual, expected, strict=True):
        if a.dtype != e.dtype:
            raise AssertionError(
                f"output dtype {_DTYPE_NAMES.get(a.dtype, a.dtype)}, "
                f"reference {_DTYPE_NAMES.get(e.dtype, e.dtype)}"
            )
        if a.shape != e.shape:
            raise AssertionError(f"output shape {tuple(a.shape)}, reference {tuple(e.shape)}")
        torch.testing.assert_close(a, e, equal_nan=True, **tolerance)


def _rounded_from_float64(reference, sample, ours, theirs) -> None:
    """Where the reference rounds intermediate results to float16/bfloat16 (torch's CPU loss
    kernels round ``x - y`` before squaring it; a chain of ops rounds after each) and the op
    computes in float32 and rounds elsewhere, the two can differ by more than the dtype's
    tolerance. Then the op must equal the float64 oracle rounded to the dtype, normwise (an
    element's error scales with the largest element where terms cancel, as in softmax(x) -
    target), or be no farther from it than twice the reference is: never a different formula.

    ``ours`` and ``theirs`` are the (outputs, gradients) of the op and of the reference."""
    outputs, actual_grads = ours
    wide = SampleInput(
        tuple(detached_copy(a, dtype=torch.float64) for a in sample.args),
        {k: detached_copy(v, dtype=torch.float64) for k, v in sample.kwargs.items()},
    )
    truths = floating_outputs(as_function(reference, wide)(*wide.tensors()))
    truth_grads = grads(truths, wide.tensors(), tuple(c.double() for c in _cotangents(outputs)))
    triples = list(zip(outputs, truths, theirs[0], strict=True))
    triples += [
        (a, e, r)
        for a, e, r in zip(actual_grads, truth_grads, theirs[1], strict=True)
        if a is not None and e is not None
    ]
    for actual, exact, reference_result in triples:
        rtol = _TOLERANCE[actual.dtype]["rtol"] if actual.dtype in _HALF else 1.3e-6
        scale = exact.abs().max().item() if exact.numel() else 0.0
        reference_error = (reference_result.double() - exact).abs().max().item() if exact.numel() else 0.0
        atol = max(1e-5, 2 * rtol * scale, 2 * reference_error)
        torch.testing.assert_close(actual.double(), exact, rtol=rtol, atol=atol)


def _first_line(error: BaseException) -> str:
    """The exception's type and first line, and assert_close's greatest absolute difference."""
    text = str(error).strip().splitlines()
    line = f"{type(error).__name__}: {text[0].rstrip(',') if text else ''}"
    greatest = [t.strip() for t in text if t.strip().startswith("Greatest absolute difference")]
    if greatest:
        line += f" ({greatest[0].replace('Greatest absolute difference', 'greatest |Δ|')})"
    return line[:240]


def _message(error: BaseException, lines: int = 6) -> str:
    text = str(error).strip().splitlines()[:lines]
    return "\n".join(f"    {line}" for line in [f"{type(error).__name__}:", *text])


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _label(sample: SampleInput, index: int) -> str:
    return f"sample {index} {sample!r}"


# --- the checks -------------------------------------------------------------------------------
# Each returns its figure, or raises _SkipCheck / _CheckFailedError / _CostWarningError; any other
# exception is the failure.

_GRADCHECK = {"check_undefined_grad": False, "check_batched_grad": False}


def _jacobian_error(numeric, analytic) -> tuple[float, float]:
    if numeric.shape != analytic.shape or numeric.numel() == 0:
        return (0.0, 0.0) if numeric.shape == analytic.shape else (math.inf, math.inf)
    diff = (analytic - numeric).abs().max().item()
    significant = (analytic.abs() + numeric.abs()) > 1e-5
    rel = J.relative_error(analytic, numeric)[significant]
    return diff, (rel.max().item() if rel.numel() else 0.0)


def _within_gradcheck_tolerance(numeric: torch.Tensor, analytic: torch.Tensor) -> bool:
    """gradcheck's criterion, |a - n| <= atol + rtol |n| with its defaults, entrywise."""
    if numeric.shape != analytic.shape:
        return False
    return bool(((analytic - numeric).abs() <= 1e-5 + 1e-3 * numeric.abs()).all())


def _gradcheck_each(t: _Target, label: str, options: dict, jacobian: Callable | None) -> str:
    """torch's gradcheck (fast mode: random projections) on every sample and, where ``jacobian``
    is given, the full Jacobian against central differences (the measured figure, and the
    side-by-side table on a mismatch)."""
    samples = t.differentiable()
    if not samples:
        raise _SkipCheck("no sample has a tensor that requires grad")
    worst = (0.0, 0.0)
    for index, sample in enumerate(samples):
        fn, inputs = as_function(t.call, sample), sample.tensors()
        where, table = f"  {_label(sample, index)}", []
        if jacobian is not None:
            numeric, analytic = J.numeric_jacobian(fn, inputs), jacobian(fn, inputs)
            diff, rel = _jacobian_error(numeric, analytic)
            worst = (max(worst[0], diff), max(worst[1], rel))
            table = [
                f"    numeric (central differences) beside {label}, worst entries first:",
                J.side_by_side(numeric, analytic, inputs, label),
            ]
            if not _within_gradcheck_tolerance(numeric, analytic):
                raise _CheckFailedError(
                    f"{label} Jacobian off by up to {diff:.2g} (rel. error {rel:.1e}) from central "
                    f"differences (sample {index})",
                    "\n".join([where, *table]),
                )
        try:
            torch.autograd.gradcheck(fn, inputs, fast_mode=True, **options)
        except Exception as error:
            details = [where, _message(error, 2), *table]
            raise _CheckFailedError(f"{_first_line(error)} (sample {index})", "\n".join(details)) from error
    if jacobian is None:
        return f"{_count(len(samples), 'sample')}, float64"
    return (
        f"max |{label} - numeric| {worst[0]:.1e}, rel. error {worst[1]:.1e} "
        f"({_count(len(samples), 'sample')}, float64)"
    )


def check_gradcheck(t: _Target) -> str:
    # an output's undefined gradient (autograd's None for an unused output) must count as zeros
    options = {**_GRADCHECK, "check_undefined_grad": True}
    return _gradcheck_each(t, "analytic", options, J.reverse_jacobian)


def check_gradcheck_forward(t: _Target) -> str:
    if (reason := t.lacks("jvp")) is not None:
        raise _SkipCheck(reason)
    options = {**_GRADCHECK, "check_forward_ad": True, "check_backward_ad": False}
    return _gradcheck_each(t, "forward", options, J.forward_jacobian)


def check_gradcheck_batched(t: _Target) -> str:
    forward = t.lacks("jvp") is None and t.lacks("vmap") is None and t.batched_forward_grad
    options = {"check_undefined_grad": False, "check_batched_grad": True}
    if forward:
        options.update(check_forward_ad=True, check_batched_forward_grad=True)
    figure = _gradcheck_each(t, "analytic", options, None)
    return f"{figure}, {'reverse and forward mode' if forward else 'reverse mode'}"


def check_gradgradcheck(t: _Target) -> str:
    samples = t.differentiable()
    if not samples:
        raise _SkipCheck("no sample has a tensor that requires grad")
    forward = t.lacks("jvp") is None
    for index, sample in enumerate(samples):
        fn, inputs = as_function(t.call, sample), sample.tensors()
        try:
            torch.autograd.gradgradcheck(
                fn,
                inputs,
                check_fwd_over_rev=forward,
                check_batched_grad=True,
                fast_mode=True,
            )
        except Exception as error:
            details = [f"  {_label(sample, index)}", _message(error, 1)]
            with contextlib.suppress(Exception):
                details += _backward_jacobians(fn, inputs)
            raise _CheckFailedError(f"{_first_line(error)} (sample {index})", "\n".join(details)) from error
    modes = "reverse and forward" if forward else "reverse"
    return f"{_count(len(samples), 'sample')}, float64, {modes} over reverse"


def _backward_jacobians(fn, inputs) -> list[str]:
    """The Jacobians of backward itself, (inputs, grad_output) -> gradients: numeric beside
    analytic (double backward)."""
    outputs = floating_outputs(fn(*inputs))
    cotangents = [c.double().requires_grad_() for c in _cotangents(outputs)]
    n = len(inputs)

    def backward(*values):
        # central differences pass plain tensors: backward needs leaves to differentiate
        leaves = [v if v.requires_grad else v.detach().requires_grad_() for v in values[:n]]
        gos = values[n:]
        outs = [o for o in floating_outputs(fn(*leaves)) if o.requires_grad]
        found = torch.autograd.grad(outs, leaves, gos[: len(outs)], create_graph=True, allow_unused=True)
        return tuple(torch.zeros_like(x) if g is None else g for x, g in zip(leaves, found, strict=True))

    values = [x.detach().clone() for x in inputs] + [c.detach() for c in cotangents]
    numeric, analytic = J.numeric_jacobian(backward, values), J.reverse_jacobian(backward, values)
    return [
        "    Jacobian of backward (inputs, then grad_outputs, as inputs): numeric beside analytic:",
        J.side_by_side(numeric, analytic, values, "analytic"),
    ]


def _transform_samples(t: _Target) -> list[SampleInput]:
    samples = [
        s for s in t.samples(torch.float64, False) if s.tensors() and all(x.numel() for x in s.tensors())
    ]
    if not samples:
        raise _SkipCheck("no sample with non-empty floating tensors")
    return samples


def check_vmap(t: _Target) -> str:
    if (reason := t.lacks("vmap")) is not None:
        raise _SkipCheck(reason)
    worst, samples = 0.0, _transform_samples(t)
    for index, sample in enumerate(samples):
        scales = torch.linspace(1.0, 0.5, 3, dtype=torch.float64)
        batched = [torch.stack([x * s for s in scales]) for x in sample.tensors()]
        fn = as_function(t.call, sample)
        actual = torch.func.vmap(fn)(*batched)
        one_by_one = [floating_outputs(fn(*(b[i] for b in batched))) for i in range(3)]
        stacked = tuple(torch.stack(parts) for parts in zip(*one_by_one, strict=True))
        try:
            _assert_same_outputs(floating_outputs(actual), stacked)
            if t.reference is not None:
                expected = torch.func.vmap(as_function(t.reference, sample))(*batched)
                _assert_same_outputs(floating_outputs(actual), floating_outputs(expected))
                worst = max(worst, _max_diff(actual, expected))
        except AssertionError as error:
            raise _CheckFailedError(
                f"vmap differs on sample {index}: {_first_line(error)}", _message(error)
            ) from error
    against = "the reference's vmap and a loop" if t.reference is not None else "a loop"
    return f"max |Δ| {worst:.1e} against {against} ({_count(len(samples), 'sample')}, batch of 3)"


def _check_jacobian(t: _Target, transform) -> str:
    if (reason := t.lacks("vmap")) is not None:
        raise _SkipCheck(reason)
    if transform is torch.func.jacfwd and (reason := t.lacks("jvp")) is not None:
        raise _SkipCheck(reason)
    worst, samples = 0.0, _transform_samples(t)
    for index, sample in enumerate(samples):
        inputs = sample.tensors()
        argnums = tuple(range(len(inputs)))
        actual = transform(as_function(t.call, sample), argnums=argnums)(*inputs)
        if t.reference is not None:
            # the reference's by reverse mode: any correct Jacobian is the same matrix, and some
            # torch ops (multi_margin_loss) have no forward-mode formula
            expected = torch.func.jacrev(as_function(t.reference, sample), argnums=argnums)(*inputs)
            tolerance = {}
        else:
            actual = _as_matrix(actual, inputs)
            expected = J.numeric_jacobian(as_function(t.call, sample), inputs)
            tolerance = {"rtol": 1e-3, "atol": 1e-5}  # gradcheck's
        try:
            torch.testing.assert_close(actual, expected, **tolerance)
        except AssertionError as error:
            raise _CheckFailedError(
                f"{transform.__name__} differs on sample {index}: {_first_line(error)}", _message(error)
            ) from error
        flat_a, flat_e = torch.utils._pytree.tree_leaves(actual), torch.utils._pytree.tree_leaves(expected)
        worst = max([worst, *(_max_diff(a, e) for a, e in zip(flat_a, flat_e, strict=True))])
    against = "the reference's jacrev" if t.reference is not None else "central differences"
    return f"max |Δ| {worst:.1e} against {against} ({_count(len(samples), 'sample')})"


def _as_matrix(jacobian, inputs) -> torch.Tensor:
    """jacrev/jacfwd's nested result (per output, per input: output shape + input shape) as the
    m x n matrix of :mod:`._jacobian`."""
    per_output = jacobian if isinstance(jacobian[0], tuple) else (jacobian,)
    rows = [
        torch.cat([b.reshape(-1, x.numel()) for b, x in zip(blocks, inputs, strict=True)], dim=1)
        for blocks in per_output
    ]
    return torch.cat(rows).double()


def check_jacrev(t: _Target) -> str:
    return _check_jacobian(t, torch.func.jacrev)


def check_jacfwd(t: _Target) -> str:
    return _check_jacobian(t, torch.func.jacfwd)


def _compiled_run(fn: Callable, tensors: list[torch.Tensor]):
    """``fn`` compiled with ``fullgraph=True`` on AOTAutograd's eager backend (what matters
    for custom Functions, without code generation), and the number of graphs it produced.
    Dynamo's caches are reset first: a cache entry of an earlier audit would hide this one."""
    from torch._dynamo.backends.registry import lookup_backend

    aot_eager = lookup_backend("aot_eager")
    graphs = []

    def counting(gm, example_inputs):
        graphs.append(gm)
        return aot_eager(gm, example_inputs)

    torch._dynamo.reset()
    try:
        return torch.compile(fn, backend=counting, fullgraph=True)(*tensors), len(graphs)
    finally:
        torch._dynamo.reset()


def _graph_breaks(fn: Callable, tensors: list[torch.Tensor]) -> tuple[int, list[str]]:
    torch._dynamo.reset()
    try:
        explanation = torch._dynamo.explain(fn)(*tensors)
    finally:
        torch._dynamo.reset()
    reasons = [str(getattr(r, "reason", r)).strip().splitlines()[0] for r in explanation.break_reasons]
    return explanation.graph_break_count, reasons


def _largest(samples: list[SampleInput]) -> SampleInput:
    return max(samples, key=lambda s: sum(x.numel() for x in s.tensors()))


def _compare_compiled(eager: Callable, sample: SampleInput, label: str) -> tuple[float, float]:
    tensors = sample.tensors()
    expected = floating_outputs(eager(*tensors))
    try:
        result, graphs = _compiled_run(eager, tensors)
    except Exception as error:
        breaks, reasons = _graph_breaks(eager, tensors)
        details = _message(error, 8)
        if reasons:
            details += "\n    graph breaks: " + "; ".join(reasons[:3])
        raise _CheckFailedError(
            f"torch.compile(fullgraph=True) refused {label}: {breaks} graph break(s); {_first_line(error)}",
            details,
        ) from error
    if graphs == 0:
        raise _CheckFailedError("torch.compile ran nothing through the backend (eager fallback)")
    actual = floating_outputs(result)
    _assert_same_outputs(actual, expected)
    cotangents = _cotangents(expected)
    actual_grads, expected_grads = grads(actual, tensors, cotangents), grads(expected, tensors, cotangents)
    _assert_same_grads(actual_grads, expected_grads)
    return _max_diff(actual, expected), _max_grad_diff(actual_grads, expected_grads)


def check_compile(t: _Target) -> str:
    samples = t.differentiable(torch.float32) or t.samples(torch.float32)
    sample = _largest(samples)
    try:
        out, grad = _compare_compiled(as_function(t.compiled, sample), sample, "the op")
    except AssertionError as error:
        raise _CheckFailedError(
            f"compiled differs from eager: {_first_line(error)}", _message(error)
        ) from error
    return f"0 graph breaks; compiled = eager: max |Δ| output {out:.1e}, gradients {grad:.1e} (float32)"


def _autocast_expected(t: _Target, input_dtype, low) -> torch.dtype | None:
    on_cuda = torch.device(t.device).type == "cuda"
    return {
        "input": input_dtype,
        "low": low,
        "float32": torch.float32,
        "low on CUDA": low if on_cuda else input_dtype,
        None: None,
    }[t.autocast_output]


def check_autocast(t: _Target) -> str:
    if t.reference is None:
        raise _SkipCheck("no reference to compare with")
    device_type = torch.device(t.device).type
    low = torch.bfloat16 if device_type == "cpu" else torch.float16
    seen, worst = [], 0.0
    for input_dtype in (torch.float32, low):
        for index, sample in enumerate(t.samples(input_dtype)):
            where = f"autocast({_DTYPE_NAMES[low]}) on {_DTYPE_NAMES[input_dtype]} inputs (sample {index})"
            try:
                with torch.autocast(device_type, dtype=low):
                    outputs = floating_outputs(as_function(t.call, sample)(*sample.tensors()))
                    expected = floating_outputs(as_function(t.reference, sample)(*sample.tensors()))
            except Exception as error:
                raise _CheckFailedError(
                    f"forward under {where} raised {_first_line(error)}", _message(error)
                ) from error
            got = [o.dtype for o in outputs]
            want = [e.dtype for e in expected]
            if got != want:
                raise _CheckFailedError(
                    f"under autocast({_DTYPE_NAMES[low]}) on {_DTYPE_NAMES[input_dtype]} inputs: output "
                    f"{', '.join(map(_DTYPE_NAMES.get, got))}, reference "
                    f"{', '.join(map(_DTYPE_NAMES.get, want))} (sample {index})"
                )
            documented = _autocast_expected(t, input_dtype, low)
            if documented is not None and input_dtype == torch.float32 and got[0] != documented:
                raise _CheckFailedError(
                    f"under autocast: output {got[0]}, documented {documented} (sample {index})"
                )
            tensors = sample.tensors()
            try:
                found = grads(outputs, tensors, _cotangents(outputs))
            except Exception as error:
                # backward runs outside autocast, on gradients in the dtypes forward returned
                raise _CheckFailedError(
                    f"backward after {where} raised {_first_line(error)}", _message(error)
                ) from error
            for x, g in zip(tensors, found, strict=True):
                if g is not None and g.dtype != x.dtype:
                    raise _CheckFailedError(
                        f"under autocast: a {_DTYPE_NAMES[x.dtype]} input got a "
                        f"{_DTYPE_NAMES[g.dtype]} gradient (sample {index})"
                    )
            expected_grads = grads(expected, tensors, _cotangents(expected))
            _autocast_values(t, sample, (outputs, found), (expected, expected_grads), where)
            worst = max(worst, _max_diff(outputs, expected), _max_grad_diff(found, expected_grads))
            seen.append(f"{_DTYPE_NAMES[input_dtype]} → {_DTYPE_NAMES[got[0]]}" if got else "")
    pairs = ", ".join(dict.fromkeys(s for s in seen if s))
    return (
        f"output dtypes as the reference's under autocast({_DTYPE_NAMES[low]}): {pairs}; values and "
        f"gradients too, max |Δ| {worst:.1e}"
    )


def _autocast_values(t: _Target, sample: SampleInput, ours: tuple, theirs: tuple, where: str) -> None:
    """Values and gradients under autocast as the reference's, at the tolerance of the dtype the
    output passed through; from half-precision inputs, where the reference may round in between
    (torch's CUDA cross entropy returns float32 rounded to float16), as the float64 result."""
    (outputs, found), (expected, expected_grads) = ours, theirs
    through = outputs[0].dtype if outputs else torch.float32
    try:
        _assert_same_outputs(outputs, expected)
        _assert_same_grads(found, expected_grads, **(_TOLERANCE[through] if through in _HALF else {}))
    except AssertionError as error:
        inputs_half = any(x.dtype in _HALF for x in sample.tensors())
        if not inputs_half or "dtype" in str(error):
            raise _CheckFailedError(f"under {where}: {_first_line(error)}", _message(error)) from error
        try:
            _rounded_from_float64(t.reference, sample, ours, theirs)
        except AssertionError as wide_error:
            raise _CheckFailedError(
                f"under {where}: {_first_line(error)}; the float64 result disagrees too",
                f"{_message(error)}\n{_message(wide_error)}",
            ) from wide_error


def _check_parity(t: _Target, dtype: torch.dtype) -> str:
    if t.reference is None:
        raise _SkipCheck("no reference to compare with")
    if dtype not in t.dtypes:
        raise _SkipCheck(f"{_DTYPE_NAMES[dtype]} is not among the op's dtypes")
    samples = t.samples(dtype)
    worst_out = worst_grad = 0.0
    via_float64 = 0
    for index, sample in enumerate(samples):
        outputs, actual_grads = _run(t.call, sample)
        expected, expected_grads = _run(t.reference, sample)
        try:
            _assert_same_outputs(outputs, expected)
        except AssertionError as error:
            if "dtype" in str(error) or "shape" in str(error) or dtype not in _HALF:
                raise _CheckFailedError(
                    f"{_first_line(error)} (sample {index})", f"  {_label(sample, index)}\n" + _message(error)
                ) from error
            _rounded(t, sample, (outputs, actual_grads), (expected, expected_grads), index, error)
            via_float64 += 1
            continue
        try:
            _assert_same_grads(
                actual_grads, expected_grads, **({} if dtype not in _HALF else _TOLERANCE[dtype])
            )
        except AssertionError as error:
            if dtype not in _HALF or "dtype" in str(error):
                raise _CheckFailedError(
                    f"{_first_line(error)} (sample {index})", f"  {_label(sample, index)}\n" + _message(error)
                ) from error
            _rounded(t, sample, (outputs, actual_grads), (expected, expected_grads), index, error)
            via_float64 += 1
            continue
        worst_out = max(worst_out, _max_diff(outputs, expected))
        worst_grad = max(worst_grad, _max_grad_diff(actual_grads, expected_grads))
    figure = f"max |Δ| output {worst_out:.1e}, gradients {worst_grad:.1e} ({_count(len(samples), 'sample')})"
    if via_float64:
        figure += f"; {via_float64} against the float64 result rounded, where the reference rounds in between"
    return figure


def _rounded(t, sample, ours, reference, index, error) -> None:
    try:
        _rounded_from_float64(t.reference, sample, ours, reference)
    except AssertionError as wide_error:
        raise _CheckFailedError(
            f"{_first_line(error)} (sample {index}); the float64 result disagrees too",
            f"  {_label(sample, index)}\n{_message(error)}\n{_message(wide_error)}",
        ) from wide_error


def _special_values(dtype: torch.dtype, device) -> torch.Tensor:
    tiny = torch.finfo(dtype).tiny  # the smallest normal number
    values = [float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 1.0, -1.0]
    values += [1e4, -1e4, 88.0, -88.0, 700.0, -700.0, 1e-30, -1e-30, tiny, -tiny]
    return torch.tensor(values, dtype=dtype, device=device)


def check_special_values(t: _Target) -> str:
    if not t.elementwise:
        raise _SkipCheck("not declared elementwise (elementwise=True)")
    if t.reference is None:
        raise _SkipCheck("no reference to compare with")
    template = t.samples(torch.float64, False)[0]
    count = 0
    for dtype in t.dtypes:
        x = _special_values(dtype, t.device)
        others = torch.linspace(-2, 2, x.numel(), dtype=dtype, device=t.device)
        positions = [
            i for i, a in enumerate(template.args) if isinstance(a, torch.Tensor) and a.is_floating_point()
        ]
        kwargs_list = t.special_kwargs if t.special_kwargs != ({},) else (template.kwargs,)
        for kwargs in kwargs_list:
            args = list(template.args)
            for i in positions:
                args[i] = x.clone() if i == positions[0] else others.clone()
            sample = SampleInput(tuple(args), kwargs)
            sample = with_tensors(sample, [a.requires_grad_() for a in sample.tensors()])
            _compare_special(t, sample, x, dtype)
            count += 1
    return f"nan, ±inf, ±0, ±1e4, ±88, ±700, ±1e-30, ±tiny: as the reference ({count} runs over dtypes)"


def _signed_cotangents(outputs) -> tuple:
    """Cotangents from -2 to 2, zero included: a wrong sign, or 0 · ∞ where the derivative is
    infinite, shows in the gradient."""
    return tuple(
        torch.linspace(-2, 2, o.numel(), dtype=o.dtype, device=o.device).reshape(o.shape) for o in outputs
    )


def _compare_special(t: _Target, sample: SampleInput, x: torch.Tensor, dtype) -> None:
    tensors = sample.tensors()
    outputs = floating_outputs(as_function(t.call, sample)(*tensors))
    expected = floating_outputs(as_function(t.reference, sample)(*tensors))
    if not outputs or not expected:
        raise _CheckFailedError("no floating output")
    actual_grads = grads(outputs, tensors, _signed_cotangents(outputs))
    expected_grads = grads(expected, tensors, _signed_cotangents(expected))
    out, ref = outputs[0], expected[0]
    if out.dtype != ref.dtype:
        raise _CheckFailedError(
            f"output dtype {_DTYPE_NAMES.get(out.dtype)}, reference {_DTYPE_NAMES.get(ref.dtype)} "
            f"({_DTYPE_NAMES[dtype]} input)"
        )
    grad, ref_grad = actual_grads[0], expected_grads[0]
    cotangent = _signed_cotangents(outputs)[0]
    for i in range(x.numel()):
        where = f"at x = {x[i].item()} ({_DTYPE_NAMES[dtype]})"
        if not _same_value(out[i], ref[i]):
            raise _CheckFailedError(f"{where}: output {out[i].item()}, reference {ref[i].item()}")
        if grad is None or ref_grad is None or _same_value(grad[i], ref_grad[i]):
            continue
        if x[i].isnan():
            # ATen's kernels can disagree with themselves at NaN between their vectorised loop and
            # their scalar tail (elu_backward); the reference on that element alone is its answer too
            alone = with_tensors(sample, [a[i : i + 1].detach().requires_grad_() for a in sample.tensors()])
            single = floating_outputs(as_function(t.reference, alone)(*alone.tensors()))
            (single_grad, *_) = grads(single, alone.tensors(), (cotangent[i : i + 1],))
            if single_grad is not None and _same_value(grad[i], single_grad[0]):
                continue
        raise _CheckFailedError(f"{where}: gradient {grad[i].item()}, reference {ref_grad[i].item()}")


def _same_value(a: torch.Tensor, e: torch.Tensor) -> bool:
    try:
        torch.testing.assert_close(a, e, equal_nan=True)
    except AssertionError:
        return False
    return True


def _layout_check(t: _Target, samples: list[SampleInput], what: str) -> str:
    for index, sample in enumerate(samples):
        outputs, actual_grads = _run(t.call, sample)
        if t.reference is not None:
            expected, expected_grads = _run(t.reference, sample)
            against = "the reference"
        else:
            contiguous = with_tensors(sample, [detached_copy(x).contiguous() for x in sample.tensors()])
            expected, expected_grads = _run(t.call, contiguous)
            against = "the op on contiguous copies"
        try:
            _assert_same_outputs(outputs, expected)
            _assert_same_grads(actual_grads, expected_grads)
            for x, g in zip(sample.tensors(), actual_grads, strict=True):
                if g is not None and g.shape != x.shape:
                    raise AssertionError(
                        f"gradient shape {tuple(g.shape)} for an input of shape {tuple(x.shape)}"
                    )
        except AssertionError as error:
            raise _CheckFailedError(
                f"{what} sample {index}: {_first_line(error)}",
                f"  {_label(sample, index)}\n{_message(error)}",
            ) from error
    return f"{_count(len(samples), what + ' sample')}: values and gradients as {against}"


def check_noncontiguous(t: _Target) -> str:
    samples = [s for s in t.samples(torch.float64) if any(x.dim() and x.numel() for x in s.tensors())]
    made = [
        with_tensors(s, [noncontiguous_like(x) if x.dim() else x for x in s.tensors()], "noncontiguous")
        for s in samples
        if all(x.is_contiguous() for x in s.tensors())
    ]
    given = [s for s in samples if not all(x.is_contiguous() for x in s.tensors())]
    if not made + given:
        raise _SkipCheck("no sample with a tensor of dimension ≥ 1")
    return _layout_check(t, given + made, "non-contiguous")


def _shaped(t: _Target, test: Callable[[torch.Tensor], bool], shape: tuple, what: str) -> list[SampleInput]:
    samples = [s for s in t.samples(torch.float64) if any(test(x) for x in s.tensors())]
    if samples:
        return samples
    if not t.elementwise:
        raise _SkipCheck(f"no {what} sample given (only elementwise ops get one made)")
    template = t.samples(torch.float64)[0]
    made = [
        x.detach().flatten()[: math.prod(shape)].reshape(shape) if x.numel() else x.detach().new_zeros(shape)
        for x in template.tensors()
    ]
    return [with_tensors(template, [m.clone().requires_grad_() for m in made], what)]


def check_empty(t: _Target) -> str:
    return _layout_check(t, _shaped(t, lambda x: x.numel() == 0, (0,), "empty"), "empty")


def check_zero_dim(t: _Target) -> str:
    return _layout_check(t, _shaped(t, lambda x: x.dim() == 0, (), "0-d"), "0-d")


def check_inplace(t: _Target) -> str:
    if t.inplace_call is None:
        raise _SkipCheck("not in place (inplace=True for an op that modifies its first argument)")
    runs = 0
    for dtype in t.dtypes:
        samples = [s for s in t.samples(dtype) if s.args[0].numel() > 0]
        if not samples:
            raise _SkipCheck("no non-empty sample")
        for index, sample in enumerate(samples):
            where = f"{_DTYPE_NAMES[dtype]}, sample {index}"
            leaf, *rest = sample.args
            try:
                _check_inplace_sample(t, leaf, rest, sample.kwargs)
                if dtype == torch.float64:
                    _check_inplace_derivatives(t, leaf, rest, sample.kwargs)
            except _CheckFailedError as failure:
                raise _CheckFailedError(f"{failure.figure} ({where})", failure.details) from failure
            except Exception as error:
                raise _CheckFailedError(
                    f"{_first_line(error)} ({where})", f"  {_label(sample, index)}\n{_message(error)}"
                ) from error
            runs += 1
    # compiled once, on the largest sample: one compile per check keeps audits fast
    sample = _largest([s for s in t.samples(torch.float64) if s.args[0].numel() > 0])
    leaf, *rest = sample.args

    def modified(x):
        y = non_leaf_like(x)
        t.compiled_inplace(y, *rest, **sample.kwargs)
        return y

    try:
        out, grad = _compare_compiled(
            modified, SampleInput((detached_copy(leaf, True, torch.float32),)), "the in-place op"
        )
    except AssertionError as error:
        raise _CheckFailedError(
            f"compiled in-place differs from eager: {_first_line(error)}", _message(error)
        ) from error
    against = "reference" if t.inplace_reference is not None else "out-of-place op"
    return (
        f"{_count(runs, 'run')} over dtypes: returns its input modified, values and gradients through it "
        f"as the {against}'s; float64: gradcheck, gradgradcheck, jacrev/jacfwd; compiled = eager "
        f"(max |Δ| {max(out, grad):.1e})"
    )


def _check_inplace_sample(t: _Target, leaf, rest, kwargs) -> None:
    leaf = detached_copy(leaf, requires_grad=True)
    input = non_leaf_like(leaf)
    version, pointer = input._version, input.data_ptr()
    output = t.inplace_call(input, *rest, **kwargs)
    if output is not input:
        raise _CheckFailedError(
            "returned a new tensor, not its modified input: is ctx.mark_dirty(input) missing?"
        )
    if input._version == version:
        raise _CheckFailedError("the input's version counter did not change: nothing was written in place")
    if input.data_ptr() != pointer:
        raise _CheckFailedError("the input now points to new memory: the result was not written in place")
    # What in place means to the caller: the input tensor itself now holds the result, and
    # gradients flowing through it must include this op's derivative.
    twin = detached_copy(leaf, requires_grad=True)
    if t.inplace_reference is not None:
        expected = floating_outputs(t.inplace_reference(non_leaf_like(twin), *rest, **kwargs))
        out_of_place = floating_outputs(t.call(leaf, *rest, **kwargs))[0]
        torch.testing.assert_close(
            input, out_of_place, equal_nan=True, msg=lambda m: f"in place differs from out of place: {m}"
        )
    else:
        expected = floating_outputs(t.call(twin, *rest, **kwargs))
    torch.testing.assert_close(input, expected[0], equal_nan=True)
    try:
        _assert_same_grads(
            grads(input, [leaf], _cotangents((input,))), grads(expected, [twin], _cotangents(expected))
        )
    except AssertionError as error:
        raise _CheckFailedError(
            f"gradients through the modified input differ: {_first_line(error)}; is "
            "ctx.mark_dirty(input) missing?",
            _message(error),
        ) from error


def _check_inplace_derivatives(t: _Target, leaf, rest, kwargs) -> None:
    """The in-place op on a non-leaf copy of its input, differentiated as the out-of-place ops
    are: gradcheck (forward mode and batched where the Function has jvp and a vmap rule),
    gradgradcheck, and the ``torch.func`` Jacobians against the reference's in place."""

    def inplace(call):
        return lambda x: call(non_leaf_like(x), *rest, **kwargs)

    leaf = detached_copy(leaf, requires_grad=True)
    forward = t.lacks("jvp") is None
    batched_forward = forward and t.lacks("vmap") is None and t.batched_forward_grad
    torch.autograd.gradcheck(
        inplace(t.inplace_call),
        (leaf,),
        check_forward_ad=forward,
        check_batched_grad=True,
        check_batched_forward_grad=batched_forward,
    )
    torch.autograd.gradgradcheck(
        inplace(t.inplace_call), (leaf,), check_fwd_over_rev=forward, check_batched_grad=True
    )
    if t.lacks("vmap") is not None:
        return
    if t.inplace_reference is not None:
        expected = torch.func.jacrev(inplace(t.inplace_reference))(leaf.detach())
    else:
        expected = torch.func.jacrev(lambda x: t.call(x, *rest, **kwargs))(leaf.detach())
    # jacfwd vmaps the forward: not for an op that draws random numbers there (batched_forward_grad)
    jacfwd = forward and t.batched_forward_grad
    for transform in (torch.func.jacrev, torch.func.jacfwd) if jacfwd else (torch.func.jacrev,):
        actual = transform(inplace(t.inplace_call))(leaf.detach())
        torch.testing.assert_close(
            actual, expected, msg=lambda m, name=transform.__name__: f"{name} in place: {m}"
        )


def check_saved_bytes(t: _Target) -> str:
    samples = t.differentiable()
    if not samples:
        raise _SkipCheck("no sample has a tensor that requires grad")
    ours = theirs = 0
    worse = []
    for index, sample in enumerate(samples):
        fn = as_function(t.call, sample)
        mine = saved_tensor_bytes(lambda fn=fn, s=sample: fn(*s.tensors()))
        ours += mine
        if t.reference is not None:
            ref = as_function(t.reference, sample)
            reference = saved_tensor_bytes(lambda ref=ref, s=sample: ref(*s.tensors()))
            theirs += reference
            if mine > reference:
                worse.append(f"  {_label(sample, index)}: {mine} B saved, reference {reference} B")
    if t.reference is None:
        return f"{ours} B saved for backward over {_count(len(samples), 'sample')} (no reference to compare)"
    figure = f"{ours} B saved for backward, reference {theirs} B ({_count(len(samples), 'sample')}, float64)"
    if worse:
        raise _CostWarningError(
            f"{figure}: more than the reference on {len(worse)} samples", "\n".join(worse[:5])
        )
    return figure


def check_formula_vs_kernel(t: _Target) -> str:
    if not t.torchlayers_op:
        raise _SkipCheck("not a torchlayers op (no kernel table)")
    variants = [t.call]
    if t.inplace_call is not None:  # the in-place form, on a non-leaf copy
        variants.append(lambda input, *rest, **kwargs: t.inplace_call(input * 1, *rest, **kwargs))
    worst, count = 0.0, 0
    table = _TableKernels()
    for dtype in _KERNEL_TOLERANCE:
        if dtype not in t.dtypes:
            continue
        for index, sample in enumerate(t.samples(dtype)):
            if not all(x.numel() for x in sample.tensors()):
                continue
            for variant in variants:
                with torchlayers.use_kernels(True), table:
                    kernel_out, kernel_grads = _run(variant, sample)
                with torchlayers.use_kernels(False):
                    formula_out, formula_grads = _run(variant, sample)
                try:
                    _assert_same_outputs(kernel_out, formula_out, **_KERNEL_TOLERANCE[dtype])
                    _assert_same_grads(kernel_grads, formula_grads, **_KERNEL_TOLERANCE[dtype])
                except AssertionError as error:
                    form = "" if variant is t.call else ", in place"
                    where = f"{_DTYPE_NAMES[dtype]}, sample {index}{form}"
                    raise _CheckFailedError(
                        f"kernels on and off differ ({where}): {_first_line(error)}", _message(error)
                    ) from error
                worst = max(
                    worst, _max_diff(kernel_out, formula_out), _max_grad_diff(kernel_grads, formula_grads)
                )
                count += 1
    if not table.ran:
        raise _SkipCheck("no kernel of the table stands in for a formula on these samples")
    return f"kernels on = off: max |Δ| {worst:.1e} ({_count(count, 'run')} over dtypes)"


def check_errors(t: _Target) -> str:
    if t.errors is None:
        raise _SkipCheck("no error inputs given (error_inputs=: calls the reference rejects)")
    op, reference, make = t.errors
    if reference is None:
        raise _SkipCheck("no reference to compare errors with")
    entries = [as_error_input(entry) for entry in make()]
    modes = (True, False) if t.torchlayers_op else (None,)
    for index, entry in enumerate(entries):
        args, kwargs = entry.sample.args, entry.sample.kwargs
        for mode in modes:
            kernels = contextlib.nullcontext() if mode is None else torchlayers.use_kernels(mode)
            try:
                with kernels:
                    assert_same_error(
                        lambda a=args, k=kwargs: op(*a, **k),
                        lambda a=args, k=kwargs: reference(*a, **k),
                        entry.error,
                        entry.match,
                    )
            except AssertionError as error:
                where = "" if mode is None else f", kernels {'on' if mode else 'off'}"
                raise _CheckFailedError(f"{_label(entry.sample, index)}{where}: {error}") from error
    figure = f"{_count(len(entries), 'bad call')}: the reference's exception type and message"
    return figure + (" (kernels on and off)" if t.torchlayers_op else "")


class _TableKernels(TorchDispatchMode):
    """Notes whether an ATen kernel of torchlayers' kernel table ran while it was active."""

    def __init__(self) -> None:
        super().__init__()
        self.ran = False
        self.table = {op for entry in kernels.KERNELS.values() for op in entry.aten}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ran = self.ran or func in self.table
        return func(*args, **(kwargs or {}))


_CHECK_FUNCTIONS: dict[str, Callable[[_Target], str]] = {
    "gradcheck": check_gradcheck,
    "gradcheck_forward": check_gradcheck_forward,
    "gradcheck_batched": check_gradcheck_batched,
    "gradgradcheck": check_gradgradcheck,
    "vmap": check_vmap,
    "jacrev": check_jacrev,
    "jacfwd": check_jacfwd,
    "compile": check_compile,
    "autocast": check_autocast,
    **{f"parity_{name}": (lambda t, d=dtype: _check_parity(t, d)) for dtype, name in _DTYPE_NAMES.items()},
    "special_values": check_special_values,
    "noncontiguous": check_noncontiguous,
    "empty": check_empty,
    "zero_dim": check_zero_dim,
    "inplace": check_inplace,
    "saved_bytes": check_saved_bytes,
    "formula_vs_kernel": check_formula_vs_kernel,
    "errors": check_errors,
}
assert tuple(_CHECK_FUNCTIONS) == CHECKS


# --- audit ------------------------------------------------------------------------------------


def _is_opinfo(op) -> bool:
    return all(hasattr(op, name) for name in ("op", "ref", "sample_inputs"))


def _is_torchlayers(*objects) -> bool:
    return any(
        (getattr(o, "__module__", "") or "").startswith("torchlayers.") for o in objects if o is not None
    )


def _resolve_checks(checks: Iterable[str] | None, skip) -> tuple[list[str], dict[str, str]]:
    chosen = list(CHECKS if checks is None else checks)
    for name in chosen:
        if name not in CHECKS:
            raise ValueError(f"audit(): unknown check {name!r}; the checks are {', '.join(CHECKS)}")
    skips: dict[str, str] = {}
    items = (
        skip.items() if isinstance(skip, dict) else ((name, "skipped by the caller") for name in skip or ())
    )
    for name, reason in items:
        if name not in CHECKS:
            raise ValueError(
                f"audit(): cannot skip unknown check {name!r}; the checks are {', '.join(CHECKS)}"
            )
        skips[name] = reason
    return chosen, skips


def audit(
    op,
    samples=None,
    reference: Callable | None = None,
    *,
    checks: Iterable[str] | None = None,
    skip: Iterable[str] | dict[str, str] | None = None,
    elementwise: bool | None = None,
    inplace: bool | None = None,
    dtypes: tuple[torch.dtype, ...] | None = None,
    device: str = "cpu",
    strict: bool = False,
    error_inputs=None,
) -> Report:
    r"""Run every check of the project's verification suite on ``op`` and report each.

    Args:
        op: a ``torch.autograd.Function`` subclass (called through ``.apply``), any callable,
            or an :class:`~torchlayers.testing.OpInfo` (its ``op``, ``ref``, ``sample_inputs``
            and flags then stand for ``samples``, ``reference`` and the keywords).
        samples: a list of argument tuples or :class:`~torchlayers.testing.SampleInput`\ s, or a
            maker ``sample_inputs(device, dtype, requires_grad)``. Given tensors are copied into
            each dtype a check needs (float64 for gradcheck); their floating tensors are the
            differentiable inputs, keyword arguments never are. Keep values off kinks and poles.
        reference: a callable with ``op``'s signature that must give the same result (a native
            op, a ``torch.nn`` module, a slow formula). Checks that need one skip without it.
        checks: the names of the checks to run (default: all of :data:`CHECKS`).
        skip: checks not to run: names, or a dict of name to reason.
        elementwise: ``op`` is elementwise, so special values (nan, ±inf, ±0, huge, tiny) and
            made-up empty and 0-d inputs apply.
        inplace: ``op`` modifies its first argument in place and returns it. Every other check
            then calls it on a copy; the ``inplace`` check calls it on a non-leaf tensor.
        dtypes: the floating dtypes ``op`` supports (default: float64, float32, float16, bfloat16).
        device: where samples are made and ops run.
        strict: turn warnings (more bytes saved for backward than the reference) into failures.
        error_inputs: calls the reference rejects, for the ``errors`` check: a list of
            :class:`~torchlayers.testing.ErrorInput`\ s (or ``(sample, exception type[, match])``
            tuples, the sample an argument tuple or a ``SampleInput``), or a maker
            ``error_inputs(device)``. ``op`` must raise the same exception type and message.

    Returns:
        A :class:`Report`: ``ok``, ``failures``, one line per check when printed, and
        ``raise_for_failures()``. An exception raised inside a check is that check's failure.

    A Function that defines ``jvp`` is compiled through its jvp-free twin (see
    :func:`~torchlayers.testing.compilable`), since Dynamo refuses custom ``jvp``\ s; the report
    says so. ``torch.compile`` checks reset Dynamo's caches. Checks run under a fixed seed (the
    caller's random state is restored afterwards), so a report is reproducible.

    Example::

        >>> report = audit(MulConstant, [(torch.randn(3, 4), 2.5)], reference=torch.mul)
        >>> report.raise_for_failures()
    """
    notes: list[str] = []
    function = None
    special_kwargs: tuple[dict, ...] = ({},)
    autocast_output = None
    inplace_call = inplace_reference = compiled_inplace = None
    info_skips: dict[str, str] = {}
    batched_forward_grad = True
    if _is_opinfo(op):
        info = op
        target_name = f"{info.name} ({_name(info.op)})"
        op, reference = info.op, info.ref if reference is None else reference
        samples = info.sample_inputs if samples is None else samples
        function = getattr(info, "function", None)
        elementwise = getattr(info, "unary_elementwise", False) if elementwise is None else elementwise
        special_kwargs = tuple(getattr(info, "special_kwargs", ({},)))
        autocast_output = getattr(info, "autocast_output", None)
        dtypes = tuple(getattr(info, "dtypes", FLOAT_DTYPES)) if dtypes is None else dtypes
        info_skips = dict(getattr(info, "skips", {}))
        error_inputs = getattr(info, "error_inputs", None) if error_inputs is None else error_inputs
        batched_forward_grad = getattr(info, "check_batched_forward_grad", True)
        if getattr(info, "supports_inplace", False):
            inplace_call = compiled_inplace = _inplace_kwarg(op)
            inplace_reference = _inplace_kwarg(reference)
        call = compiled = op
    elif inspect.isclass(op) and issubclass(op, Function):
        function = op
        target_name = _name(op)
        call = op.apply
        compiled = compilable(op)
        if _overrides(op, "jvp"):
            notes.append(
                f"{op.__name__} defines jvp, which Dynamo refuses: torch.compile ran its jvp-free "
                "twin, as torchlayers.testing.compilable does"
            )
    elif callable(op):
        target_name = _name(op)
        call = compiled = op
    else:
        raise TypeError(
            f"audit(): op must be an autograd.Function subclass, a callable or an OpInfo, "
            f"not {type(op).__name__}"
        )
    if samples is None:
        raise TypeError("audit(): samples are needed (argument tuples, SampleInputs or a sample maker)")
    reference_name = "no reference" if reference is None else f"reference {_name(reference)}"
    errors = None
    if error_inputs is not None:
        given = error_inputs
        make_errors = (lambda: given(device)) if callable(given) else (lambda: list(given))
        errors = (call, reference, make_errors)  # before an in-place op is wrapped to clone
    if inplace:
        inplace_call, inplace_reference = call, reference
        compiled_inplace = compiled
        call, compiled = _first_cloned(call), _first_cloned(compiled)
        reference = None if reference is None else _first_cloned(reference)
    target = _Target(
        name=target_name,
        call=call,
        compiled=compiled,
        function=function,
        reference=reference,
        make=_sample_maker(samples, device),
        elementwise=bool(elementwise),
        special_kwargs=special_kwargs,
        inplace_call=inplace_call,
        inplace_reference=inplace_reference,
        compiled_inplace=compiled_inplace,
        autocast_output=autocast_output,
        dtypes=tuple(FLOAT_DTYPES if dtypes is None else dtypes),
        device=device,
        torchlayers_op=_is_torchlayers(op, function),
        errors=errors,
        batched_forward_grad=batched_forward_grad,
    )
    chosen, skips = _resolve_checks(
        checks,
        {
            **info_skips,
            **(skip if isinstance(skip, dict) else dict.fromkeys(skip or (), "skipped by the caller")),
        },
    )
    results = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        for name in chosen:
            results.append(_run_check(name, target, skips, strict))
    header = f"{target.name}, {reference_name}"
    return Report(header, results, notes)


def _run_check(name: str, target: _Target, skips: dict[str, str], strict: bool) -> Check:
    if name in skips:
        return Check(name, "skip", skips[name])
    try:
        return Check(name, "pass", _CHECK_FUNCTIONS[name](target))
    except _SkipCheck as skip:
        return Check(name, "skip", str(skip))
    except _CostWarningError as warning:
        return Check(name, "FAIL" if strict else "warn", warning.figure, warning.details)
    except _CheckFailedError as failure:
        return Check(name, "FAIL", failure.figure, failure.details)
    except Exception as error:  # a bug in the audited code is this check's failure, never a crash
        return Check(name, "FAIL", _first_line(error), _message(error, 8))
