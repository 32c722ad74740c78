"""The op registry: one entry per operation drives every generic test.

Adding an op to the suite is adding one :class:`OpInfo` (and, for a module, one
:class:`ModuleInfo`) to the lists at the bottom of this file, or of a sibling file whose
entries are concatenated into ``OPS`` / ``MODULES``.

* ``OpInfo.op`` is the ``torchlayers.functional`` wrapper, ``OpInfo.ref`` the native torch
  callable with the same signature (the oracle), ``OpInfo.function`` the ``*Function`` class.
* ``sample_inputs(device, dtype, requires_grad)`` returns :class:`SampleInput`s that are safe
  for ``gradcheck`` (values kept off kinks and poles). The first positional argument is the
  "main" input; every floating tensor argument is differentiable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as TF

import torchlayers.autograd as A
import torchlayers.functional as F
import torchlayers.nn as tnn

FLOAT_DTYPES = (torch.float64, torch.float32, torch.float16, torch.bfloat16)


@dataclass
class SampleInput:
    args: tuple
    kwargs: dict = field(default_factory=dict)
    name: str = ""

    def tensors(self) -> list[torch.Tensor]:
        """The differentiable (floating) tensors among the arguments, in order."""
        return [a for a in self.args if isinstance(a, torch.Tensor) and a.is_floating_point()]

    def __repr__(self) -> str:  # readable pytest ids / failure messages
        shapes = [tuple(a.shape) if isinstance(a, torch.Tensor) else a for a in self.args]
        return f"SampleInput({self.name or shapes}, {self.kwargs})"


@dataclass
class OpInfo:
    name: str
    op: Callable
    ref: Callable
    function: type[torch.autograd.Function]
    sample_inputs: Callable[[torch.device, torch.dtype, bool], list[SampleInput]]
    # Unary elementwise ops also get special-value parity (nan, ±inf, ±0, ±1e4, 88, 700, tiny).
    unary_elementwise: bool = False
    # Extra kwargs the unary special-value test uses (e.g. a non-default slope).
    special_kwargs: tuple[dict, ...] = ({},)
    # The op accepts ``inplace=``: in-place tests run for it.
    supports_inplace: bool = False
    # Output dtype under autocast: "input" (activations), "low" (Linear: autocast dtype),
    # "float32" (ops on autocast's float32 list, e.g. losses).
    autocast_output: str = "input"
    dtypes: tuple[torch.dtype, ...] = FLOAT_DTYPES
    # Generic tests to skip for this op, each with the reason.
    skips: dict[str, str] = field(default_factory=dict)
    # (args, kwargs) of a sample -> positional arguments of ``function.apply``; None: the
    # functional's signature with defaults filled in (the core Functions' forward signatures).
    function_args: Callable[[tuple, dict], tuple] | None = None


@dataclass
class ModuleInfo:
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


# --- sample makers --------------------------------------------------------------------------

SHAPES = [(), (0,), (7,), (3, 5), (2, 3, 4)]


def _away_from(x: torch.Tensor, points: tuple[float, ...], margin: float = 0.1) -> torch.Tensor:
    """Move values within ``margin`` of a kink/pole off it, keeping finite differences valid."""
    for p in points:
        near = (x - p).abs() < margin
        x = torch.where(near, x + 2 * margin * torch.sign(x - p + 1e-12), x)
    return x


def _make(shape, device, dtype, requires_grad, low=-3.0, high=3.0, kinks=(), noncontiguous=False):
    full = (*shape[:-1], shape[-1] * 2) if noncontiguous and shape else shape
    x = torch.empty(full, dtype=torch.float64, device=device).uniform_(low, high)
    x = _away_from(x, kinks).to(dtype)
    if noncontiguous and shape:
        x = x[..., ::2]
    return x.detach().requires_grad_(requires_grad)


def unary_samples(kinks=(), low=-3.0, high=3.0, kwargs_list=({},)):
    def samples(device, dtype, requires_grad):
        out = []
        for kwargs in kwargs_list:
            for shape in SHAPES:
                out.append(
                    SampleInput((_make(shape, device, dtype, requires_grad, low, high, kinks),), kwargs)
                )
            x = _make((4, 6), device, dtype, requires_grad, low, high, kinks, noncontiguous=True)
            out.append(SampleInput((x,), kwargs, name="noncontiguous"))
        return out

    return samples


def binary_samples(device, dtype, requires_grad):
    pairs = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (5,)), ((0, 2), (2,))]
    return [
        SampleInput((_make(a, device, dtype, requires_grad), _make(b, device, dtype, requires_grad)))
        for a, b in pairs
    ]


def constant_samples(device, dtype, requires_grad):
    return [
        SampleInput((_make(shape, device, dtype, requires_grad), c))
        for shape, c in [((3, 4), 2.5), ((5,), -1), ((), 0.5), ((0, 3), 3.0)]
    ]


def prelu_samples(device, dtype, requires_grad):
    def w(n):
        return _make((n,), device, dtype, requires_grad, 0.05, 0.5)

    k = (0.0,)
    return [
        SampleInput((_make((4, 3), device, dtype, requires_grad, kinks=k), w(3))),
        SampleInput((_make((2, 3, 5), device, dtype, requires_grad, kinks=k), w(3))),
        SampleInput((_make((2, 3, 2, 2), device, dtype, requires_grad, kinks=k), w(1))),
        SampleInput((_make((6,), device, dtype, requires_grad, kinks=k), w(1))),
        SampleInput((_make((), device, dtype, requires_grad, kinks=k), w(1))),
    ]


def linear_samples(device, dtype, requires_grad):
    def t(*shape):
        return _make(shape, device, dtype, requires_grad, -1.0, 1.0)

    return [
        SampleInput((t(4, 3), t(5, 3), t(5))),
        SampleInput((t(4, 3), t(5, 3), None)),
        SampleInput((t(2, 3, 3), t(2, 3), t(2))),
        SampleInput((t(3), t(4, 3), t(4))),
        SampleInput((t(0, 3), t(4, 3), t(4))),
    ]


def maxout_samples(device, dtype, requires_grad):
    def t(*shape):
        # Random scores have no ties almost surely, so the max is differentiable here.
        return _make(shape, device, dtype, requires_grad, -1.0, 1.0)

    return [
        SampleInput((t(4, 3), t(10, 3), t(10)), {"pieces": 2}),
        SampleInput((t(4, 3), t(9, 3), None), {"pieces": 3}),
        SampleInput((t(2, 2, 3), t(4, 3), t(4)), {"pieces": 4}),
        SampleInput((t(3), t(6, 3), t(6)), {"pieces": 2}),
    ]


def mlp_samples(device, dtype, requires_grad):
    """Networks of every activation ``mlp`` computes, with and without biases, on batches of
    rows, a single vector, a 3-d batch and an empty batch."""

    def t(*shape):
        return _make(shape, device, dtype, requires_grad, -1.0, 1.0)

    def slope(n):
        return _make((n,), device, dtype, requires_grad, 0.05, 0.5)

    return [
        SampleInput((t(4, 3), t(5, 3), t(5), t(2, 5), t(2)), {"activations": ["relu"]}),
        SampleInput(
            (t(4, 3), t(5, 3), t(5), t(4, 5), None, t(6, 4), t(6), t(2, 6), t(2)),
            {"activations": ["sigmoid", ("leaky_relu", 0.1), "tanh"]},
        ),
        SampleInput(
            (t(4, 3), t(5, 3), t(5), slope(5), t(4, 5), t(4), t(2, 4), t(2)),
            {"activations": ["prelu", ("elu", 0.5)]},
        ),
        SampleInput((t(4, 3), t(5, 3), None, t(2, 5), None), {"activations": ["leaky_relu"]}),
        SampleInput((t(3), t(4, 3), t(4), slope(1), t(2, 4), t(2)), {"activations": ["prelu"]}),
        SampleInput((t(2, 3, 3), t(4, 3), t(4), t(2, 4), t(2)), {"activations": ["elu"]}),
        SampleInput((t(0, 3), t(4, 3), t(4), t(2, 4), t(2)), {"activations": ["tanh"]}),
        SampleInput((t(4, 3), t(2, 3), t(2)), {"activations": []}),
    ]


# --- references for ops without a torch.nn twin ---------------------------------------------

_NATIVE_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": TF.relu,
    "leaky_relu": TF.leaky_relu,
    "elu": TF.elu,
}


def mlp_reference(input, *parameters, activations):
    """The chain of torch.nn.functional's ops that ``mlp`` computes as one node."""
    parameters, h = list(parameters), input
    for entry in activations:
        name, *argument = (entry,) if isinstance(entry, str) else entry
        h = TF.linear(h, parameters.pop(0), parameters.pop(0))
        h = TF.prelu(h, parameters.pop(0)) if name == "prelu" else _NATIVE_ACTIVATIONS[name](h, *argument)
    return TF.linear(h, *parameters)


def _mlp_function_args(args, kwargs):
    input, *parameters = args
    return (input, F._mlp_activations(kwargs["activations"]), *parameters)



def maxout_reference_max(input, weight, bias=None, pieces=2):
    """Native ops with torch.max's gradient routing (first winner on ties)."""
    scores = TF.linear(input, weight, bias)
    return scores.unflatten(-1, (pieces, -1)).max(dim=-2).values


def _mul_constant_ref(input, constant_scalar, inplace=False):
    return input.mul_(constant_scalar) if inplace else input * constant_scalar


def _add_constant_ref(input, constant_scalar, inplace=False):
    return input.add_(constant_scalar) if inplace else input + constant_scalar


# --- the registry ---------------------------------------------------------------------------

OPS: list[OpInfo] = [
    OpInfo("add", F.add, torch.add, A.AddFunction, binary_samples),
    OpInfo("mul", F.mul, torch.mul, A.MulFunction, binary_samples),
    OpInfo(
        "mul_constant",
        F.mul_constant,
        _mul_constant_ref,
        A.MulConstantFunction,
        constant_samples,
        supports_inplace=True,
    ),
    OpInfo(
        "add_constant",
        F.add_constant,
        _add_constant_ref,
        A.AddConstantFunction,
        constant_samples,
        supports_inplace=True,
    ),
    OpInfo("exp", F.exp, torch.exp, A.ExpFunction, unary_samples(), unary_elementwise=True),
    OpInfo(
        "reciprocal",
        F.reciprocal,
        torch.reciprocal,
        A.ReciprocalFunction,
        unary_samples(kinks=(0.0,), low=-2.0, high=2.0),
        unary_elementwise=True,
    ),
    OpInfo("linear", F.linear, TF.linear, A.LinearFunction, linear_samples, autocast_output="low"),
    OpInfo(
        "maxout",
        F.maxout,
        maxout_reference_max,
        A.MaxoutFunction,
        maxout_samples,
        autocast_output="low",
    ),
    OpInfo("sigmoid", F.sigmoid, torch.sigmoid, A.SigmoidFunction, unary_samples(), unary_elementwise=True),
    OpInfo("tanh", F.tanh, torch.tanh, A.TanhFunction, unary_samples(), unary_elementwise=True),
    OpInfo(
        "relu",
        F.relu,
        TF.relu,
        A.ReLUFunction,
        unary_samples(kinks=(0.0,)),
        unary_elementwise=True,
        supports_inplace=True,
    ),
    OpInfo(
        "leaky_relu",
        F.leaky_relu,
        TF.leaky_relu,
        A.LeakyReLUFunction,
        unary_samples(kinks=(0.0,), kwargs_list=({}, {"negative_slope": 0.1}, {"negative_slope": 1.5})),
        unary_elementwise=True,
        special_kwargs=({}, {"negative_slope": 0.1}),
        supports_inplace=True,
    ),
    OpInfo(
        "elu",
        F.elu,
        TF.elu,
        A.ELUFunction,
        unary_samples(kinks=(0.0,), kwargs_list=({}, {"alpha": 0.5}, {"alpha": 2.0})),
        unary_elementwise=True,
        special_kwargs=({}, {"alpha": 0.5}),
        supports_inplace=True,
    ),
    OpInfo("prelu", F.prelu, TF.prelu, A.PReLUFunction, prelu_samples, autocast_output="low"),
    OpInfo(
        "mlp",
        F.mlp,
        mlp_reference,
        A.MLPFunction,
        mlp_samples,
        autocast_output="low",
        function_args=_mlp_function_args,
    ),
]


def _features(device, dtype, n=3):
    return (torch.randn(4, n, device=device, dtype=dtype),)


MODULES: list[ModuleInfo] = [
    ModuleInfo(
        tnn.Linear,
        torch.nn.Linear,
        [{"in_features": 3, "out_features": 5}, {"in_features": 3, "out_features": 5, "bias": False}],
        _features,
        functional=lambda m, x: F.linear(x, m.weight, m.bias),
    ),
    ModuleInfo(tnn.Sigmoid, torch.nn.Sigmoid, [{}], _features, functional=lambda m, x: F.sigmoid(x)),
    ModuleInfo(tnn.Tanh, torch.nn.Tanh, [{}], _features, functional=lambda m, x: F.tanh(x)),
    ModuleInfo(
        tnn.ReLU,
        torch.nn.ReLU,
        [{}, {"inplace": True}],
        _features,
        functional=lambda m, x: F.relu(x, m.inplace),
    ),
    ModuleInfo(
        tnn.LeakyReLU,
        torch.nn.LeakyReLU,
        [{}, {"negative_slope": 0.1}, {"negative_slope": 0.2, "inplace": True}],
        _features,
        functional=lambda m, x: F.leaky_relu(x, m.negative_slope, m.inplace),
    ),
    ModuleInfo(
        tnn.ELU,
        torch.nn.ELU,
        [{}, {"alpha": 0.5}, {"alpha": 2.0, "inplace": True}],
        _features,
        functional=lambda m, x: F.elu(x, m.alpha, m.inplace),
    ),
    ModuleInfo(
        tnn.PReLU,
        torch.nn.PReLU,
        [{}, {"num_parameters": 3}, {"num_parameters": 3, "init": 0.1}],
        _features,
        functional=lambda m, x: F.prelu(x, m.weight),
    ),
    ModuleInfo(
        tnn.Maxout,
        None,
        [
            {"in_features": 3, "out_features": 4},
            {"in_features": 3, "out_features": 2, "pieces": 3, "bias": False},
        ],
        _features,
        reference=lambda m, x: maxout_reference_max(x, m.weight, m.bias, m.pieces),
        functional=lambda m, x: F.maxout(x, m.weight, m.bias, m.pieces),
    ),
    ModuleInfo(
        tnn.MulConstant,
        None,
        [{"constant_scalar": 2.5}, {"constant_scalar": -1, "inplace": True}],
        _features,
        reference=lambda m, x: _mul_constant_ref(x, m.constant_scalar, m.inplace),
        functional=lambda m, x: F.mul_constant(x, m.constant_scalar, m.inplace),
    ),
    ModuleInfo(
        tnn.AddConstant,
        None,
        [{"constant_scalar": 2.5}, {"constant_scalar": -1, "inplace": True}],
        _features,
        reference=lambda m, x: _add_constant_ref(x, m.constant_scalar, m.inplace),
        functional=lambda m, x: F.add_constant(x, m.constant_scalar, m.inplace),
    ),
]

# Loss entries live in tests/opinfo_losses.py and are appended here.
from tests.opinfo_losses import LOSS_MODULES, LOSS_OPS  # noqa: E402  (needs the classes above)

OPS = OPS + LOSS_OPS
MODULES = MODULES + LOSS_MODULES
