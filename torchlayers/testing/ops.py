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

from dataclasses import replace

import torch
import torch.nn.functional as TF

import torchlayers.autograd as A
import torchlayers.functional as F
import torchlayers.nn as tnn
from torchlayers.autograd.regularization import dropout_mask
from torchlayers.functional._checks import adaptive_output_size, embedding_padding_idx
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

__all__ = [
    "DROPOUT_SEED",
    "MODULES",
    "OPS",
    "activation_linear_reference",
    "extremum_all_samples",
    "extremum_samples",
    "maxout_reference_max",
    "mean_samples",
    "mlp_reference",
    "mm_samples",
    "mv_samples",
    "reseeded",
]


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


def activation_linear_samples(device, dtype, requires_grad):
    """One hidden layer's activation and the next scores, for every activation the node
    computes, with and without a bias, on rows, a single vector, a 3-d batch and an empty batch."""

    def t(*shape):
        return make_tensor(shape, device, dtype, requires_grad, -1.0, 1.0, kinks=(0.0,))

    def slope(n):
        return make_tensor((n,), device, dtype, requires_grad, 0.05, 0.5)

    return [
        SampleInput((t(4, 5), t(3, 5), t(3), "relu")),
        SampleInput((t(4, 5), t(3, 5), None, ("leaky_relu", 0.1))),
        SampleInput((t(5), t(3, 5), t(3), "sigmoid")),
        SampleInput((t(2, 3, 5), t(3, 5), t(3), ("elu", 0.5))),
        SampleInput((t(4, 5), t(3, 5), t(3), "prelu", slope(5))),
        SampleInput((t(0, 5), t(3, 5), t(3), "tanh")),
    ]


def activation_linear_reference(input, weight, bias=None, activation="relu", slope=None):
    """The activation, then torch.nn.functional's linear; under autocast the activation's
    input is cast to the autocast dtype first, as ``activation_linear`` documents."""
    device = input.device.type
    if torch.is_autocast_enabled(device) and input.dtype == torch.float32:
        input = input.to(torch.get_autocast_dtype(device))
    name, *argument = (activation,) if isinstance(activation, str) else activation
    h = TF.prelu(input, slope) if name == "prelu" else _NATIVE_ACTIVATIONS[name](input, *argument)
    return TF.linear(h, weight, bias)


def _activation_linear_function_args(args, kwargs):
    input, weight, bias, activation, *slope = args
    ((name, argument),) = F._mlp_activations((activation,))
    return (input, weight, bias, slope[0] if slope else None, name, argument)


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


def _max_values(input, dim, keepdim=False):
    """``max``'s values along ``dim`` (the generic checks take one tensor; the indices are
    checked in tests/test_reduction.py)."""
    return F.max(input, dim, keepdim).values


def _min_values(input, dim, keepdim=False):
    return F.min(input, dim, keepdim).values


def _max_values_ref(input, dim, keepdim=False):
    return torch.max(input, dim, keepdim).values


def _min_values_ref(input, dim, keepdim=False):
    return torch.min(input, dim, keepdim).values


def extremum_samples(device, dtype, requires_grad):
    """(input, dim) samples of max/min along a dimension: a matrix, a 3-d tensor along a negative
    dim kept, a 0-d tensor, an empty batch. Random values: no ties, so gradcheck holds."""

    def t(*shape):
        return make_tensor(shape, device, dtype, requires_grad)

    return [
        SampleInput((t(3, 5), 1)),
        SampleInput((t(2, 3, 4), -2), {"keepdim": True}),
        SampleInput((t(), 0)),
        SampleInput((t(0, 3), 1)),
    ]


def extremum_all_samples(device, dtype, requires_grad):
    """One-tensor samples of the max/min of all elements (an empty tensor has none)."""
    return [SampleInput((make_tensor(shape, device, dtype, requires_grad),)) for shape in [(3, 4), (5,), ()]]


def mean_samples(device, dtype, requires_grad):
    """(input, dim) samples of the mean: all elements, two dims (one negative) kept, an empty
    batch along a non-empty dim, a 0-d tensor."""

    def t(*shape):
        return make_tensor(shape, device, dtype, requires_grad)

    return [
        SampleInput((t(3, 4),)),
        SampleInput((t(2, 3, 4), (0, -1)), {"keepdim": True}),
        SampleInput((t(0, 3), 1)),
        SampleInput((t(), 0)),
    ]


def _mean_function_args(args, kwargs):
    return (args[0], args[1] if len(args) > 1 else kwargs.get("dim"), kwargs.get("keepdim", False))


def mm_samples(device, dtype, requires_grad):
    """(input, mat2) samples: odd sizes, and an empty product dimension."""

    def t(*shape):
        return make_tensor(shape, device, dtype, requires_grad, -1.0, 1.0)

    return [SampleInput((t(3, 4), t(4, 5))), SampleInput((t(1, 3), t(3, 2))), SampleInput((t(2, 0), t(0, 3)))]


def mv_samples(device, dtype, requires_grad):
    """(input, vec) samples: an odd size, and an empty matrix."""

    def t(*shape):
        return make_tensor(shape, device, dtype, requires_grad, -1.0, 1.0)

    return [SampleInput((t(3, 5), t(5))), SampleInput((t(0, 3), t(3)))]


# --- the lookup table and adaptive pooling ----------------------------------------------------


def embedding_samples(device, dtype, requires_grad):
    """(indices, weight) samples: repeated indices (their gradients accumulate), int32 indices
    and one index (0-d); and, for the checks that compare with torch rather than with finite
    differences (``requires_grad=False``, as torch's own OpInfo does), a padding row looked up
    and ``scale_grad_by_freq``: their gradients are by definition not the lookup's derivative.
    No empty index tensor: torch's own embedding backward fails under vmap there
    (tests/test_sparse.py checks ours)."""

    def weight(rows=5):
        return make_tensor((rows, 3), device, dtype, requires_grad, -1.0, 1.0)

    def indices(values, dtype=torch.int64):
        return torch.tensor(values, device=device, dtype=dtype)

    samples = [
        SampleInput((indices([[1, 3, 1], [4, 1, 0]]), weight()), name="repeated"),
        SampleInput((indices([2, 0, 2, 4], torch.int32), weight()), name="int32"),
        SampleInput((indices(3), weight(4)), name="0-d"),
    ]
    if not requires_grad:
        samples += [
            SampleInput((indices([2, 0, 2, 4], torch.int32), weight()), {"padding_idx": 2}, "padding"),
            SampleInput(
                (indices([[1, 1, 4], [1, 3, 4]]), weight()),
                {"padding_idx": -1, "scale_grad_by_freq": True},
                "scale_grad_by_freq",
            ),
        ]
    return samples


def _embedding_function_args(args, kwargs):
    input, weight = args
    padding_idx = embedding_padding_idx(kwargs.get("padding_idx"), weight.shape[0])
    return (input, weight, padding_idx, kwargs.get("scale_grad_by_freq", False))


def adaptive_pool_samples(device, dtype, requires_grad):
    """Inputs and output sizes: overlapping bins (5 rows into 3), an output larger than the
    input, a kept dimension (None), one bin (global pooling), unbatched (C, H, W)."""

    def t(*shape):
        return make_tensor(shape, device, dtype, requires_grad)

    return [
        SampleInput((t(1, 2, 5, 3), (3, 2)), name="overlapping"),
        SampleInput((t(1, 1, 3, 2), (4, 3)), name="upsampling"),
        SampleInput((t(1, 3, 5), (None, 4)), name="unbatched_keep_height"),
        SampleInput((t(2, 1, 2, 3), 1), name="global"),
    ]


def _adaptive_pool_function_args(args, kwargs):
    input, output_size = args
    return (input, tuple(adaptive_output_size("adaptive_pool", input, output_size)))


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
    OpInfo(
        "log",
        F.log,
        torch.log,
        A.LogFunction,
        unary_samples(low=0.2, high=3.0),
        unary_elementwise=True,
    ),
    OpInfo("max", _max_values, _max_values_ref, A.MaxFunction, extremum_samples),
    OpInfo("min", _min_values, _min_values_ref, A.MinFunction, extremum_samples),
    OpInfo(
        "max_all",
        F.max,
        torch.max,
        A.MaxAllFunction,
        extremum_all_samples,
        function_args=lambda args, kwargs: args,
    ),
    OpInfo(
        "min_all",
        F.min,
        torch.min,
        A.MinAllFunction,
        extremum_all_samples,
        function_args=lambda args, kwargs: args,
    ),
    OpInfo("mean", F.mean, torch.mean, A.MeanFunction, mean_samples, function_args=_mean_function_args),
    OpInfo("mm", F.mm, torch.mm, A.MMFunction, mm_samples, autocast_output="low"),
    OpInfo("mv", F.mv, torch.mv, A.MVFunction, mv_samples, autocast_output="low on CUDA"),
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
        "activation_linear",
        F.activation_linear,
        activation_linear_reference,
        A.ActivationLinearFunction,
        activation_linear_samples,
        autocast_output="low",
        function_args=_activation_linear_function_args,
    ),
    OpInfo(
        "logsigmoid",
        F.logsigmoid,
        TF.logsigmoid,
        A.LogSigmoidFunction,
        unary_samples(low=-6.0, high=6.0),
        unary_elementwise=True,
    ),
    OpInfo(
        "softplus",
        F.softplus,
        TF.softplus,
        A.SoftplusFunction,
        # the linear side starts at βx = threshold: x = 1.5 and x = -2 for the last two
        unary_samples(
            kinks=(1.5, -2.0),
            kwargs_list=({}, {"beta": 2.0, "threshold": 3.0}, {"beta": -1.0, "threshold": 2.0}),
        ),
        unary_elementwise=True,
        special_kwargs=({}, {"beta": 2.0, "threshold": 3.0}),
    ),
    OpInfo(
        "softsign",
        F.softsign,
        TF.softsign,
        A.SoftsignFunction,
        unary_samples(kinks=(0.0,)),  # |x|: the second derivative jumps at 0
        unary_elementwise=True,
    ),
    OpInfo(
        "softshrink",
        F.softshrink,
        TF.softshrink,
        A.SoftshrinkFunction,
        unary_samples(kinks=(0.5, -0.5, 1.0, -1.0, 0.0), kwargs_list=({}, {"lambd": 1.0}, {"lambd": 0.0})),
        unary_elementwise=True,
        special_kwargs=({}, {"lambd": 1.0}),
    ),
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
            "vmap": _RANDOM_UNDER_VMAP,
            "jacfwd": _RANDOM_UNDER_VMAP,
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
    OpInfo(
        "embedding",
        F.embedding,
        TF.embedding,
        A.EmbeddingFunction,
        embedding_samples,
        function_args=_embedding_function_args,
    ),
    OpInfo(
        "adaptive_avg_pool2d",
        F.adaptive_avg_pool2d,
        TF.adaptive_avg_pool2d,
        A.AdaptiveAvgPool2dFunction,
        adaptive_pool_samples,
        function_args=_adaptive_pool_function_args,
    ),
    OpInfo(
        "adaptive_max_pool2d",
        F.adaptive_max_pool2d,
        TF.adaptive_max_pool2d,
        A.AdaptiveMaxPool2dFunction,
        adaptive_pool_samples,
        function_args=_adaptive_pool_function_args,
    ),
]


def _features(device, dtype, n=3):
    return (torch.randn(4, n, device=device, dtype=dtype),)


def _indices(device, dtype):
    return (torch.tensor([[1, 3, 1, 0], [4, 1, 2, 1]], device=device),)


def _images(device, dtype):
    return (torch.randn(2, 3, 5, 4, device=device, dtype=dtype),)


def _embedding_functional(m, x):
    return F.embedding(x, m.weight, m.padding_idx, m.max_norm, m.norm_type, m.scale_grad_by_freq, m.sparse)


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
    ModuleInfo(tnn.LogSigmoid, torch.nn.LogSigmoid, [{}], _features, functional=lambda m, x: F.logsigmoid(x)),
    ModuleInfo(
        tnn.Softplus,
        torch.nn.Softplus,
        [{}, {"beta": 2.0, "threshold": 3.0}],
        _features,
        functional=lambda m, x: F.softplus(x, m.beta, m.threshold),
    ),
    ModuleInfo(tnn.Softsign, torch.nn.Softsign, [{}], _features, functional=lambda m, x: F.softsign(x)),
    ModuleInfo(
        tnn.Softshrink,
        torch.nn.Softshrink,
        [{}, {"lambd": 1.0}],
        _features,
        functional=lambda m, x: F.softshrink(x, m.lambd),
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
        tnn.Mul,
        None,
        [{}],
        _features,
        reference=lambda m, x: x * m.weight,
        functional=lambda m, x: F.mul(x, m.weight),
    ),
    ModuleInfo(
        tnn.AddConstant,
        None,
        [{"constant_scalar": 2.5}, {"constant_scalar": -1, "inplace": True}],
        _features,
        reference=lambda m, x: _add_constant_ref(x, m.constant_scalar, m.inplace),
        functional=lambda m, x: F.add_constant(x, m.constant_scalar, m.inplace),
    ),
    ModuleInfo(
        tnn.Embedding,
        torch.nn.Embedding,
        [
            {"num_embeddings": 5, "embedding_dim": 3},
            {"num_embeddings": 5, "embedding_dim": 2, "max_norm": 10.0},
        ],
        _indices,
        functional=_embedding_functional,
    ),
    ModuleInfo(
        tnn.Embedding,
        torch.nn.Embedding,
        [
            {"num_embeddings": 5, "embedding_dim": 3, "padding_idx": -4},
            {"num_embeddings": 5, "embedding_dim": 2, "padding_idx": 0, "scale_grad_by_freq": True},
        ],
        _indices,
        functional=_embedding_functional,
        skips={
            "test_gradcheck_parameters": "the padding row's zero gradient and scale_grad_by_freq's "
            "scaling are by definition not the lookup's derivative (torch's neither)"
        },
    ),
    ModuleInfo(
        tnn.AdaptiveAvgPool2d,
        torch.nn.AdaptiveAvgPool2d,
        [{"output_size": (3, 2)}, {"output_size": 7}, {"output_size": (None, 3)}],
        _images,
        functional=lambda m, x: F.adaptive_avg_pool2d(x, m.output_size),
    ),
    ModuleInfo(
        tnn.AdaptiveMaxPool2d,
        torch.nn.AdaptiveMaxPool2d,
        [{"output_size": (3, 2)}, {"output_size": 7}, {"output_size": (None, 3)}],
        _images,
        functional=lambda m, x: F.adaptive_max_pool2d(x, m.output_size, m.return_indices),
    ),
]

# The losses' entries live in loss_ops.py and are appended here.
from torchlayers.testing.loss_ops import LOSS_MODULES, LOSS_OPS  # noqa: E402  (needs the above)

OPS = OPS + LOSS_OPS
MODULES = MODULES + LOSS_MODULES

# The calls torch rejects, per entry with a torch twin (error_inputs.py).
from torchlayers.testing.error_inputs import BAD_INIT, ERROR_INPUTS  # noqa: E402

OPS = [replace(op, error_inputs=ERROR_INPUTS.get(op.name, op.error_inputs)) for op in OPS]
MODULES = [
    replace(info, bad_init=BAD_INIT.get(info.ref.__name__, info.bad_init)) if info.ref is not None else info
    for info in MODULES
]
