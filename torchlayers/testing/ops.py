"""The op registry: one entry per operation of torchlayers drives every generic check.

Adding an op to the suite is adding one :class:`~torchlayers.testing.registry.OpInfo` (and, for
a module, one :class:`~torchlayers.testing.registry.ModuleInfo`) to the lists at the bottom of
this file, or of :mod:`torchlayers.testing.loss_ops`, whose entries are appended here.

* ``OpInfo.op`` is the ``torchlayers.functional`` wrapper, ``OpInfo.ref`` the native torch
  callable with the same signature (the oracle), ``OpInfo.function`` the ``*Function`` class.
* ``sample_inputs(device, dtype, requires_grad)`` returns samples safe for ``gradcheck``.

``torchlayers.testing.audit(op_info)`` runs every check on one entry; the project's tests run
them all.
"""

from __future__ import annotations

import torch
import torch.nn.functional as TF

import torchlayers.autograd as A
import torchlayers.functional as F
import torchlayers.nn as tnn
from torchlayers.autograd.regularization import dropout_mask
from torchlayers.testing.registry import (
    ModuleInfo,
    OpInfo,
    SampleInput,
    binary_samples,
    constant_samples,
    linear_samples,
    make_tensor,
    maxout_samples,
    prelu_samples,
    unary_samples,
)

__all__ = ["DROPOUT_SEED", "MODULES", "OPS", "maxout_reference_max", "mlp_reference", "reseeded"]


def mlp_samples(device, dtype, requires_grad):
    """Networks of every activation ``mlp`` computes, with and without biases, on batches of
    rows, a single vector, a 3-d batch and an empty batch."""

    def t(*shape):
        return make_tensor(shape, device, dtype, requires_grad, -1.0, 1.0)

    def slope(n):
        return make_tensor((n,), device, dtype, requires_grad, 0.05, 0.5)

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


def layer_norm_samples(device, dtype, requires_grad):
    """Affine over one dimension, weight only over two (another eps), a single sample (no batch
    dimension) and an empty batch without affine parameters."""

    def t(*shape):
        return make_tensor(shape, device, dtype, requires_grad)

    return [
        SampleInput((t(4, 5), (5,), t(5), t(5))),
        SampleInput((t(2, 3, 4), [3, 4], t(3, 4), None), {"eps": 1e-3}),
        SampleInput((t(5), (5,), t(5), t(5))),
        SampleInput((t(0, 3), (3,), None, None)),
    ]


def _layer_norm_args(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """``LayerNormFunction.apply``'s arguments: ``normalized_shape`` as the tuple the functional passes."""
    return input, tuple(normalized_shape), weight, bias, eps


def dropout_samples(device, dtype, requires_grad):
    """Dropout at several rates on a matrix, an odd 3-d batch, a strided view and a 0-d tensor
    (no empty one: dropout returns an empty input itself, as torch, so no node would compute it)."""

    def t(*shape, noncontiguous=False):
        return make_tensor(shape, device, dtype, requires_grad, noncontiguous=noncontiguous)

    return [
        SampleInput((t(4, 6),), {"p": 0.5}),
        SampleInput((t(3, 5, 7),), {"p": 0.2}),
        SampleInput((t(4, 6, noncontiguous=True),), {"p": 0.7}, name="noncontiguous"),
        SampleInput((t(),), {"p": 0.3}),
    ]


#: The seed every registry call of dropout draws its mask from.
DROPOUT_SEED = 0


def reseeded(dropout):
    """``dropout`` (ours or torch's, same signature) drawing the mask of
    ``torch.manual_seed(DROPOUT_SEED)`` on every call.

    The generic checks call an op many times and compare it with its reference (finite
    differences, kernels against formulas, compiled against eager), which only a repeated mask
    allows; the op itself is unchanged. The generator is seeded after each eager call too, so the
    compiled call that follows one draws the same mask: Dynamo cannot trace ``manual_seed``.
    """

    def call(input, p=0.5, training=True, inplace=False):
        if not torch.compiler.is_compiling():
            torch.manual_seed(DROPOUT_SEED)
        output = dropout(input, p, training, inplace)
        if not torch.compiler.is_compiling():
            torch.manual_seed(DROPOUT_SEED)
        return output

    call.__name__ = f"reseeded_{dropout.__name__}"
    call.__qualname__ = f"reseeded({dropout.__module__}.{dropout.__qualname__})"  # names it in reports
    return call


def _dropout_function_args(args, kwargs):
    """``DropoutFunction.apply``'s arguments as the functional makes them under the registry's
    seed: the input, the mask it draws, p and inplace."""
    (input,) = args
    p, inplace = kwargs.get("p", 0.5), kwargs.get("inplace", False)
    torch.manual_seed(DROPOUT_SEED)
    return input, dropout_mask(input, p), p, inplace


_RANDOM_UNDER_VMAP = (
    "dropout draws its mask inside the transform, which torch.func.vmap refuses under its default "
    "randomness='error' (torch's dropout too); tests/test_dropout.py vmaps it with "
    "randomness='same' and 'different'"
)


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
        "layer_norm",
        F.layer_norm,
        TF.layer_norm,
        A.LayerNormFunction,
        layer_norm_samples,
        function_args=lambda args, kwargs: _layer_norm_args(*args, **kwargs),
    ),
    OpInfo(
        "dropout",
        reseeded(F.dropout),
        reseeded(TF.dropout),
        A.DropoutFunction,
        dropout_samples,
        supports_inplace=True,
        check_batched_forward_grad=False,
        skips={
            "test_vmap": _RANDOM_UNDER_VMAP,
            "test_jacfwd": _RANDOM_UNDER_VMAP,
        },
        function_args=_dropout_function_args,
    ),
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
        tnn.LayerNorm,
        torch.nn.LayerNorm,
        [
            {"normalized_shape": 3},
            {"normalized_shape": [4, 3], "eps": 1e-3, "bias": False},
            {"normalized_shape": (3,), "elementwise_affine": False},
        ],
        lambda device, dtype: (torch.randn(2, 4, 3, device=device, dtype=dtype),),
        functional=lambda m, x: F.layer_norm(x, m.normalized_shape, m.weight, m.bias, m.eps),
    ),
    ModuleInfo(
        tnn.Dropout,
        torch.nn.Dropout,
        [{}, {"p": 0.2}, {"p": 0.7, "inplace": True}],
        lambda device, dtype: (torch.randn(4, 5, device=device, dtype=dtype),),
        functional=lambda m, x: F.dropout(x, m.p, m.training, m.inplace),
        seed=DROPOUT_SEED,
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

# The losses' entries live in loss_ops.py and are appended here.
from torchlayers.testing.loss_ops import LOSS_MODULES, LOSS_OPS  # noqa: E402  (needs the above)

OPS = OPS + LOSS_OPS
MODULES = MODULES + LOSS_MODULES
