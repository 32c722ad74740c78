"""Every ``torchlayers.nn`` module against its ``torch.nn`` twin: forward, backward and
forward+backward time, saved-for-backward bytes, CUDA peak memory and, for elementwise ops,
the achieved bandwidth as a fraction of the device's copy bandwidth. The torchlayers module is
timed twice in the same interleaved run: with ATen's kernels standing in for the formulas (the
default) and with the formulas alone (``use_kernels(False)``), so the cost of each formula over
its kernel is measured against the same torch.nn figure.

Modules are discovered from ``torchlayers.nn.__all__``: a module with a spec below is
benchmarked, one without a spec is listed as unbenchmarked, a spec whose module does not exist
(yet) is skipped. Both implementations get the same parameters (the reference loads the
torchlayers module's ``state_dict``) and the same random inputs and incoming gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

import torchlayers
import torchlayers.nn as tnn
from benchmarks.config import Config
from benchmarks.timing import compare, copy_bandwidth, cuda_peak_bytes, saved_tensor_bytes

SIZES = ("small", "large")
MEASURES = ("forward", "backward", "forward_backward")
FORMULAS = "torchlayers (formulas)"  # the candidate timed with kernels off


class _MaxoutReference(nn.Module):
    """Maxout from native parts: ``torch.nn.Linear`` and ``max`` over the piece dimension."""

    def __init__(self, maxout: tnn.Maxout) -> None:
        super().__init__()
        self.pieces = maxout.pieces
        self.linear = nn.Linear(maxout.in_features, maxout.out_features * maxout.pieces)
        self.linear.load_state_dict(maxout.state_dict())

    def forward(self, input):
        scores = self.linear(input)
        return scores.unflatten(-1, (self.pieces, -1)).max(dim=-2).values


class _Native(nn.Module):
    """A native expression as a module (the reference of modules torch.nn does not have)."""

    def __init__(self, function: Callable) -> None:
        super().__init__()
        self.function = function

    def forward(self, input):
        return self.function(input)


def _twin(module: nn.Module, **kwargs) -> nn.Module:
    """The torch.nn module of the same name and arguments, with the same parameter values."""
    reference = getattr(nn, type(module).__name__)(**kwargs)
    reference.load_state_dict(module.state_dict())
    return reference


@dataclass(frozen=True)
class OpSpec:
    """How to build, feed and account for one module."""

    kind: str  # "elementwise", "rowwise" (softmaxes over dim 1), "affine" or "loss"
    kwargs: Callable[[tuple[int, ...]], dict] = lambda shape: {}
    # The reference module, given the torchlayers module and its constructor kwargs.
    reference: Callable[..., nn.Module] = _twin
    # Extra, non-differentiable inputs (a loss's target), given the input.
    targets: Callable[[torch.Tensor], tuple] = lambda input: ()
    # The input, given its shape and device= (default: standard normal, both signs).
    make_input: Callable[[tuple[int, ...], torch.device], torch.Tensor] = torch.randn
    # Least memory traffic, in elements of the input, of forward and of backward.
    traffic: tuple[int, int] | None = None
    notes: tuple[str, ...] = field(default=())


def _class_targets(input: torch.Tensor) -> tuple:
    return (torch.randint(0, input.shape[1], input.shape[:1], device=input.device),)


def _log_probabilities(shape, device=None):
    return torch.randn(shape, device=device).log_softmax(dim=1)


def _probabilities(shape, device=None):
    return torch.rand(shape, device=device).clamp(0.01, 0.99)


# Least traffic of an elementwise op: forward reads x and writes y (2), backward reads the
# incoming gradient and the saved tensor and writes the input's gradient (3).
_UNARY = (2, 3)

SPECS: dict[str, OpSpec] = {
    "Linear": OpSpec("affine", kwargs=lambda shape: {"in_features": shape[1], "out_features": shape[1]}),
    "Maxout": OpSpec(
        "affine",
        # Half as many outputs from two pieces: the same weight (and flops) as Linear's.
        kwargs=lambda shape: {"in_features": shape[1], "out_features": shape[1] // 2, "pieces": 2},
        reference=lambda module, **kwargs: _MaxoutReference(module),
        notes=("reference: torch.nn.Linear + Tensor.max(dim).values",),
    ),
    "Sigmoid": OpSpec("elementwise", traffic=_UNARY),
    "Tanh": OpSpec("elementwise", traffic=_UNARY),
    "ReLU": OpSpec("elementwise", traffic=_UNARY),
    "LeakyReLU": OpSpec("elementwise", kwargs=lambda shape: {"negative_slope": 0.1}, traffic=_UNARY),
    "PReLU": OpSpec("elementwise", traffic=_UNARY),
    "ELU": OpSpec("elementwise", traffic=_UNARY),
    "MulConstant": OpSpec(
        "elementwise",
        kwargs=lambda shape: {"constant_scalar": 2.5},
        reference=lambda module, **kwargs: _Native(lambda input: input * 2.5),
        traffic=(2, 2),  # backward: read the gradient, write it scaled
        notes=("reference: input * 2.5",),
    ),
    "AddConstant": OpSpec(
        "elementwise",
        kwargs=lambda shape: {"constant_scalar": 1.5},
        reference=lambda module, **kwargs: _Native(lambda input: input + 1.5),
        traffic=(2, 0),  # backward is the identity: native autograd passes the gradient on
        notes=("reference: input + 1.5",),
    ),
    "Softmax": OpSpec("rowwise", kwargs=lambda shape: {"dim": 1}, traffic=_UNARY),
    "LogSoftmax": OpSpec("rowwise", kwargs=lambda shape: {"dim": 1}, traffic=_UNARY),
    "CrossEntropyLoss": OpSpec("loss", targets=_class_targets),
    "MultiMarginLoss": OpSpec("loss", targets=_class_targets),
    "NLLLoss": OpSpec(
        "loss",
        targets=_class_targets,
        make_input=_log_probabilities,
        notes=(
            "its backward zero-fills a fresh input-sized gradient and writes one element per row, "
            "so on CPU its time is mostly the allocator's: fresh pages (a page fault per 4 KiB) or "
            "reused heap, which depends on the process's history; the large ratios swing both ways "
            "between runs (0.4 to 3.2 seen) with the same ATen calls on both sides",
        ),
    ),
    "BCELoss": OpSpec("loss", targets=lambda input: (torch.rand_like(input),), make_input=_probabilities),
    "MSELoss": OpSpec("loss", targets=lambda input: (torch.randn_like(input),)),
}


def discover() -> tuple[list[str], list[str], list[str]]:
    """(modules to benchmark, torchlayers modules without a spec, specs without a module)."""
    available = [name for name in tnn.__all__ if isinstance(getattr(tnn, name, None), type)]
    benchmarked = [name for name in SPECS if name in available]
    return (
        benchmarked,
        [name for name in available if name not in SPECS],
        [name for name in SPECS if name not in available],
    )


def shape_for(spec: OpSpec, size: str, config: Config) -> tuple[int, int]:
    if size == "small":
        return config.small_shape
    if spec.kind == "affine":
        return config.linear_large
    # Rows of 1024 classes for the losses and softmaxes, 64 long rows for pointwise ops.
    columns = 1024 if spec.kind in ("loss", "rowwise") else config.large_numel // 64
    return (config.large_numel // columns, columns)


@dataclass
class _Case:
    """One implementation, ready to run: module, arguments, what to differentiate, and how."""

    module: nn.Module
    arguments: tuple
    wrt: list[torch.Tensor]
    grad_output: torch.Tensor
    kernels: bool = True  # torchlayers.use_kernels for this case's blocks (torch.nn ignores it)

    def forward(self):
        return self.module(*self.arguments)

    def forward_backward(self):
        return torch.autograd.grad(self.forward(), self.wrt, self.grad_output)

    def candidate(self, measure: str):
        """A factory of the callable to time; it sets the kernel mode when called, which
        ``compare`` does right before each of this case's blocks (outside the timed calls)."""
        if measure == "forward":
            return self._in_mode(lambda: self.forward)
        if measure == "forward_backward":
            return self._in_mode(lambda: self.forward_backward)

        def with_graph():  # built per round, outside the timed block; backward reuses it
            output = self.forward()
            return lambda: torch.autograd.grad(output, self.wrt, self.grad_output, retain_graph=True)

        return self._in_mode(with_graph)

    def _in_mode(self, factory):
        def in_mode():
            torchlayers.use_kernels(self.kernels)
            return factory()

        return in_mode

    def saved_bytes(self) -> int:
        with torchlayers.use_kernels(self.kernels):
            return saved_tensor_bytes(self.forward)

    def cuda_peak_bytes(self, device: torch.device) -> int:
        with torchlayers.use_kernels(self.kernels):
            return cuda_peak_bytes(self.forward_backward, device)


def _cases(name: str, spec: OpSpec, shape: tuple[int, int], device: torch.device) -> dict[str, _Case]:
    kwargs = spec.kwargs(shape)
    ours = getattr(tnn, name)(**kwargs).to(device)
    reference = spec.reference(ours, **kwargs).to(device)
    input = spec.make_input(shape, device=device).requires_grad_()
    arguments = (input, *spec.targets(input))
    with torch.no_grad():
        output = reference(*arguments)
    grad_output = torch.rand_like(output) + 0.5  # random, never zeros
    return {
        "torchlayers": _Case(ours, arguments, [input, *ours.parameters()], grad_output),
        FORMULAS: _Case(ours, arguments, [input, *ours.parameters()], grad_output, kernels=False),
        "torch.nn": _Case(reference, arguments, [input, *reference.parameters()], grad_output),
    }


def benchmark_op(name: str, size: str, config: Config, copy_bytes_per_s: float | None) -> dict:
    spec = SPECS[name]
    shape = shape_for(spec, size, config)
    cases = _cases(name, spec, shape, config.device)
    record: dict = {
        "op": name,
        "kind": spec.kind,
        "size": size,
        "shape": list(shape),
        "notes": list(spec.notes),
    }
    mode = torchlayers.kernels_enabled()
    try:
        for measure in MEASURES:
            comparison = compare(
                {implementation: case.candidate(measure) for implementation, case in cases.items()},
                config.device,
                rounds=config.rounds,
                min_block_s=config.min_block_s,
                reference="torch.nn",
            )
            record[measure] = comparison.as_dict()
    finally:
        torchlayers.use_kernels(mode)
    record["saved_bytes"] = {implementation: case.saved_bytes() for implementation, case in cases.items()}
    if config.device.type == "cuda":
        record["cuda_peak_bytes"] = {
            implementation: case.cuda_peak_bytes(config.device) for implementation, case in cases.items()
        }
    if spec.traffic is not None and copy_bytes_per_s:
        record["copy_bandwidth_fraction"] = _bandwidth_fractions(record, spec, shape, copy_bytes_per_s)
    return record


def _bandwidth_fractions(record: dict, spec: OpSpec, shape, copy_bytes_per_s: float) -> dict:
    """Least bytes moved / time / copy bandwidth, per measure and implementation."""
    element_bytes = torch.finfo(torch.float32).bits // 8
    forward_elements, backward_elements = spec.traffic
    elements = {
        "forward": forward_elements,
        "backward": backward_elements,
        "forward_backward": forward_elements + backward_elements,
    }
    numel = shape[0] * shape[1]
    fractions = {}
    for measure, per_element in elements.items():
        if per_element == 0:
            continue
        fractions[measure] = {
            implementation: numel * per_element * element_bytes / seconds / copy_bytes_per_s
            for implementation, seconds in record[measure]["seconds"].items()
        }
    return fractions


def run(config: Config, log: Callable[[str], None] = print) -> dict:
    benchmarked, unbenchmarked, missing = discover()
    copy_bytes_per_s = copy_bandwidth(config.device, config.large_numel)
    log(f"copy bandwidth: {copy_bytes_per_s / 1e9:.1f} GB/s (float32 copy_ of {config.large_numel} elements)")
    records = []
    for name in benchmarked:
        for size in SIZES:
            record = benchmark_op(name, size, config, copy_bytes_per_s)
            log(
                f"{name:>16} {size:>5} {record['shape']}: fwd {record['forward']['ratio']:.2f}  "
                f"bwd {record['backward']['ratio']:.2f}  fwd+bwd {record['forward_backward']['ratio']:.2f}  "
                f"formulas fwd+bwd {record['forward_backward']['ratios'][FORMULAS]:.2f}"
            )
            records.append(record)
    return {
        "copy_bandwidth_bytes_per_s": copy_bytes_per_s,
        "records": records,
        "not_benchmarked": unbenchmarked,
        "not_in_torchlayers": missing,
    }
