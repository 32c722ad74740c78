"""The op registry's vocabulary: :class:`SampleInput`, :class:`OpInfo`, :class:`ModuleInfo` and
the sample makers the project's entries use.

An :class:`OpInfo` names an operation (``op``), the callable that must give the same result
(``ref``, the oracle) and a maker of samples; :func:`torchlayers.testing.audit` accepts one in
place of its ``op``, ``samples`` and ``reference`` arguments.

``sample_inputs(device, dtype, requires_grad)`` returns :class:`SampleInput`\\ s that are safe for
``gradcheck``: values kept off kinks and poles, so that central differences are valid. The first
positional argument is the "main" input; every floating tensor argument is differentiable,
keyword arguments never are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = [
    "FLOAT_DTYPES",
    "SHAPES",
    "ErrorInput",
    "ModuleInfo",
    "OpInfo",
    "SampleInput",
    "binary_samples",
    "constant_samples",
    "linear_samples",
    "make_tensor",
    "maxout_samples",
    "prelu_samples",
    "unary_samples",
]

FLOAT_DTYPES = (torch.float64, torch.float32, torch.float16, torch.bfloat16)


@dataclass
class SampleInput:
    """One call of an op: ``op(*args, **kwargs)``. ``name`` labels it in reports."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    name: str = ""

    def tensors(self) -> list[torch.Tensor]:
        """The differentiable (floating) tensors among the positional arguments, in order."""
        return [a for a in self.args if isinstance(a, torch.Tensor) and a.is_floating_point()]

    def __repr__(self) -> str:  # readable pytest ids / failure messages
        shapes = [tuple(a.shape) if isinstance(a, torch.Tensor) else a for a in self.args]
        return f"SampleInput({self.name or shapes}, {self.kwargs})"


@dataclass
class ErrorInput:
    """A call the reference rejects: ``sample`` and the exception type it raises. The op must
    raise the same type with the same message; ``match``, a regular expression the message must
    match in full, stands in for equality where the reference's message is nondeterministic."""

    sample: SampleInput
    error: type[Exception]
    match: str | None = None


@dataclass
class OpInfo:
    """An operation, its oracle and its samples: one entry drives every check of the registry.

    ``op`` is the callable under test (for torchlayers, the ``torchlayers.functional`` wrapper),
    ``ref`` the callable with the same signature that must give the same result, ``function``
    the ``torch.autograd.Function`` behind ``op`` (what decides which checks apply).
    """

    name: str
    op: Callable
    ref: Callable
    function: type[torch.autograd.Function]
    sample_inputs: Callable[[torch.device, torch.dtype, bool], list[SampleInput]]
    # Unary elementwise ops also get special-value parity (nan, ±inf, ±0, ±1e4, 88, 700, tiny).
    unary_elementwise: bool = False
    # Extra kwargs the special-value check uses (e.g. a non-default slope).
    special_kwargs: tuple[dict, ...] = ({},)
    # The op accepts ``inplace=``: the in-place checks run for it.
    supports_inplace: bool = False
    # Output dtype under autocast: "input" (activations), "low" (Linear: autocast dtype),
    # "float32" (ops on autocast's float32 list, e.g. losses), "low on CUDA" (the autocast dtype
    # on CUDA, the input's elsewhere: mv, on CUDA's lower-precision list but not CPU's).
    autocast_output: str = "input"
    dtypes: tuple[torch.dtype, ...] = FLOAT_DTYPES
    # Checks of ``testing.CHECKS`` not to run for this op, each with the reason.
    skips: dict[str, str] = field(default_factory=dict)
    # (args, kwargs) of a sample -> positional arguments of ``function.apply``; None: the
    # functional's signature with defaults filled in (the core Functions' forward signatures).
    function_args: Callable[[tuple, dict], tuple] | None = None
    # error_inputs(device): calls ``ref`` rejects, each with its exception type; ``op`` must raise
    # the same type and message (the ``errors`` check). None: not checked (no torch twin).
    error_inputs: Callable[[torch.device], list[ErrorInput]] | None = None
    # False for an op that draws random numbers in forward (dropout): gradcheck's batched
    # forward-mode check runs the forward under vmap, which refuses them (torch's OpInfo flag).
    check_batched_forward_grad: bool = True


@dataclass
class ModuleInfo:
    """A ``torch.nn.Module`` drop-in, its ``torch.nn`` twin and the inputs it is called with."""

    module: type[torch.nn.Module]
    # The torch.nn twin, or None when torch has none (then ``reference`` is used).
    ref: type[torch.nn.Module] | None
    constructor_kwargs: list[dict[str, Any]]
    make_input: Callable[[torch.device, torch.dtype], tuple]
    # reference(module, *inputs): native-ops result for modules without a torch.nn twin.
    reference: Callable | None = None
    skips: dict[str, str] = field(default_factory=dict)
    # functional(module, *inputs): the same computation through torchlayers.functional.
    functional: Callable | None = None
    # Constructor kwargs the twin rejects, at construction or when called on ``make_input``'s
    # input: the module must raise the same exception type and message at the same step.
    bad_init: tuple[dict[str, Any], ...] = ()
    # For a random module (Dropout): the global generator is seeded with this before every call
    # of the module, its twin and ``functional``, so that all draw the same numbers. None: no seeding.
    seed: int | None = None


# --- sample makers --------------------------------------------------------------------------

SHAPES = [(), (0,), (7,), (3, 5), (2, 3, 4)]


def _away_from(x: torch.Tensor, points: tuple[float, ...], margin: float = 0.1) -> torch.Tensor:
    """Move values within ``margin`` of a kink/pole off it, keeping finite differences valid."""
    for p in points:
        near = (x - p).abs() < margin
        x = torch.where(near, x + 2 * margin * torch.sign(x - p + 1e-12), x)
    return x


def make_tensor(shape, device, dtype, requires_grad, low=-3.0, high=3.0, kinks=(), noncontiguous=False):
    """Uniform values in [low, high), kept ``0.1`` away from ``kinks``; drawn in float64 so
    every dtype sees the same numbers. ``noncontiguous``: a stride-2 view of a wider tensor."""
    full = (*shape[:-1], shape[-1] * 2) if noncontiguous and shape else shape
    x = torch.empty(full, dtype=torch.float64, device=device).uniform_(low, high)
    x = _away_from(x, kinks).to(dtype)
    if noncontiguous and shape:
        x = x[..., ::2]
    return x.detach().requires_grad_(requires_grad)


def unary_samples(kinks=(), low=-3.0, high=3.0, kwargs_list=({},)):
    """A maker of one-tensor samples of every shape of :data:`SHAPES` (0-d and empty included)
    and a non-contiguous one, for each kwargs of ``kwargs_list``."""

    def samples(device, dtype, requires_grad):
        out = []
        for kwargs in kwargs_list:
            for shape in SHAPES:
                out.append(
                    SampleInput((make_tensor(shape, device, dtype, requires_grad, low, high, kinks),), kwargs)
                )
            x = make_tensor((4, 6), device, dtype, requires_grad, low, high, kinks, noncontiguous=True)
            out.append(SampleInput((x,), kwargs, name="noncontiguous"))
        return out

    return samples


def binary_samples(device, dtype, requires_grad):
    """Two-tensor samples that broadcast every way (0-d and empty included)."""
    pairs = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (5,)), ((0, 2), (2,))]
    return [
        SampleInput(
            (make_tensor(a, device, dtype, requires_grad), make_tensor(b, device, dtype, requires_grad))
        )
        for a, b in pairs
    ]


def constant_samples(device, dtype, requires_grad):
    """(tensor, Python number) samples."""
    return [
        SampleInput((make_tensor(shape, device, dtype, requires_grad), c))
        for shape, c in [((3, 4), 2.5), ((5,), -1), ((), 0.5), ((0, 3), 3.0)]
    ]


def prelu_samples(device, dtype, requires_grad):
    """(input, weight) samples of PReLU: one weight per channel (dim 1) or one in all."""

    def w(n):
        return make_tensor((n,), device, dtype, requires_grad, 0.05, 0.5)

    k = (0.0,)
    return [
        SampleInput((make_tensor((4, 3), device, dtype, requires_grad, kinks=k), w(3))),
        SampleInput((make_tensor((2, 3, 5), device, dtype, requires_grad, kinks=k), w(3))),
        SampleInput((make_tensor((2, 3, 2, 2), device, dtype, requires_grad, kinks=k), w(1))),
        SampleInput((make_tensor((6,), device, dtype, requires_grad, kinks=k), w(1))),
        SampleInput((make_tensor((), device, dtype, requires_grad, kinks=k), w(1))),
    ]


def linear_samples(device, dtype, requires_grad):
    """(input, weight, bias) samples: batched, unbatched, no bias, empty batch."""

    def t(*shape):
        return make_tensor(shape, device, dtype, requires_grad, -1.0, 1.0)

    return [
        SampleInput((t(4, 3), t(5, 3), t(5))),
        SampleInput((t(4, 3), t(5, 3), None)),
        SampleInput((t(2, 3, 3), t(2, 3), t(2))),
        SampleInput((t(3), t(4, 3), t(4))),
        SampleInput((t(0, 3), t(4, 3), t(4))),
    ]


def maxout_samples(device, dtype, requires_grad):
    """(input, weight, bias) samples of maxout with ``pieces`` in kwargs."""

    def t(*shape):
        # Random scores have no ties almost surely, so the max is differentiable here.
        return make_tensor(shape, device, dtype, requires_grad, -1.0, 1.0)

    return [
        SampleInput((t(4, 3), t(10, 3), t(10)), {"pieces": 2}),
        SampleInput((t(4, 3), t(9, 3), None), {"pieces": 3}),
        SampleInput((t(2, 2, 3), t(4, 3), t(4)), {"pieces": 4}),
        SampleInput((t(3), t(6, 3), t(6)), {"pieces": 2}),
    ]
