"""The lecture's nesting of functions as one builder: ``f = W_L a(… a(W_2 a(W_1 x)))``.

``MLP(3072, [512], 10)`` is ``W₂ max(0, W₁x)``; ``MLP(3072, [512, 512, 512], 10,
activation=["relu", "relu", "tanh"])`` is ``W₄ tanh(W₃ max(0, W₂ max(0, W₁x)))``. The same
builder makes the network from ``torch.nn`` layers (``backend="torch"``): the two twins have the
same modules in the same order, so one seed gives identical parameters and a run can be repeated
with native layers side by side.

The modules are the lecture's single operations; by default the network computes each hidden
layer's activation and the next ``Linear`` as one graph node
(:class:`~torchlayers.autograd.mlp.ActivationLinearFunction`, from the same formulas), which
saves a Python call per activation in each direction, the cost that dominates a small step,
and frees each activation as soon as its backward is done, as ``torch.nn``'s layers do.
``fused="network"`` computes the whole network as one node
(:class:`~torchlayers.autograd.mlp.MLPFunction`: fewer calls still, but its step's peak memory
holds every hidden activation until the backward ends); ``fused=False`` computes it module by
module, one node per operation.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import Tensor
from torch.nn.modules import module as _module

import torchlayers.functional as F
import torchlayers.nn as tnn
from torchlayers.models.registry import BACKENDS, MAXOUT, LinearMaxout, create_activation

__all__ = ["MLP", "NORMS"]


NORMS = (None, "layer")  # MLP's norm choices


def _per_layer(name: str, value, count: int) -> list:
    """``value`` repeated ``count`` times, or ``value`` itself when it is already one per layer."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [value] * count
    if len(value) != count:
        raise ValueError(f"MLP(): got {len(value)} {name} values for {count} hidden layers")
    return list(value)


# The activation modules ``functional.mlp`` computes: type -> its (name, argument) there.
_FUSED_ACTIVATIONS = {
    tnn.Sigmoid: lambda module: ("sigmoid", None),
    tnn.Tanh: lambda module: ("tanh", None),
    tnn.ReLU: lambda module: ("relu", None),
    tnn.LeakyReLU: lambda module: ("leaky_relu", module.negative_slope),
    tnn.ELU: lambda module: ("elu", module.alpha),
    tnn.PReLU: lambda module: ("prelu", None),
}


def _fused_arguments(layers) -> tuple[list, tuple] | None:
    """``functional.mlp``'s parameters and activations for ``layers``, read afresh on every call
    (a layer or parameter may have been replaced); ``None`` unless the layers alternate
    ``Linear``, activation, ..., ``Linear`` with activations ``functional.mlp`` computes, and
    no layer has a hook (a fused node never calls the layers, so their hooks would not run).

    Parameters are read from each layer's ``_parameters``, which is where ``layer.weight``
    finds them on these exact types (``nn.Module`` never keeps a parameter in the instance
    dict; a parametrization changes the type): ``nn.Module.__getattr__`` is a Python call,
    about a microsecond each, six per step of a three-layer MLP."""
    if _any_global_module_hook():
        return None
    parameters, activations = [], []
    expect_linear = True
    for layer in layers:
        hooked = layer._forward_hooks or layer._forward_pre_hooks
        if hooked or layer._backward_hooks or layer._backward_pre_hooks:
            return None
        kind = type(layer)
        owned = layer._parameters
        if expect_linear:
            if kind is not tnn.Linear or "weight" not in owned or "bias" not in owned:
                return None
            parameters += (owned["weight"], owned["bias"])  # bias=False registers None
        else:
            spec = _FUSED_ACTIVATIONS.get(kind)
            if spec is None:
                return None
            activations.append(spec(layer))
            if kind is tnn.PReLU:
                if "weight" not in owned:
                    return None
                parameters.append(owned["weight"])
        expect_linear = not expect_linear
    if expect_linear:  # empty, or ends with an activation
        return None
    return parameters, tuple(activations)


def _any_global_module_hook() -> bool:
    """Whether a hook is registered for every module (``register_module_forward_hook`` and the
    other ``torch.nn.modules.module`` hooks): it would run for each layer's call."""
    forward = _module._global_forward_hooks or _module._global_forward_pre_hooks
    return bool(forward or _module._global_backward_hooks or _module._global_backward_pre_hooks)


class MLP(torch.nn.Sequential):
    r"""Multilayer perceptron ``W_L a_{L-1}(… a_1(W_1 x + b_1) …) + b_L``, the lecture's
    nesting of linear score functions and activations.

    .. math::
        h_0 = x, \qquad h_l = a_l(W_l h_{l-1} + b_l), \qquad f(x) = W_L h_{L-1} + b_L

    Args:
        in_features: size of each (flattened) input sample, e.g. 3072 for a CIFAR-10 image
        hidden_sizes: width of each hidden layer; ``[]`` gives the linear classifier ``Wx + b``
        out_features: number of scores (classes)
        activation: a registered name (``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``
            (slope 0.1, the lecture's), ``prelu`` (one slope per unit), ``elu``, ``maxout``, and
            anything added with :func:`~torchlayers.models.register_activation`), or one name
            per hidden layer. ``maxout`` replaces that layer's ``Linear`` + activation with
            ``Maxout(in, out, pieces)``: the layer is :math:`\max_p(W_p h + b_p)`. Default: ``"relu"``
        pieces: affine pieces per maxout unit. Default: 2
        dropout: dropout probability after every hidden activation (one value, or one per
            hidden layer). Default: 0
        input_dropout: dropout probability on the input pixels. Default: 0
        bias: whether the affine layers learn biases. Default: ``True``
        norm: ``"layer"`` puts a ``LayerNorm(width)`` after each hidden layer's ``Linear``, on
            its scores before the activation (``a(LN(W h + b))``); ``None`` for none. Not with
            maxout, whose layer has no separate scores. Default: ``None``
        fused: ``True`` computes each hidden layer's activation and the next ``Linear`` as one
            graph node (:func:`torchlayers.functional.activation_linear`: the same formulas,
            one Python call forward and backward per layer instead of two); ``"network"`` the whole
            network as one node (:func:`torchlayers.functional.mlp`), which peaks higher in
            memory (it frees the hidden activations only after its whole backward). Either
            applies when every layer is a ``Linear`` or an activation those nodes compute
            (sigmoid, tanh, ReLU, leaky ReLU, ELU, PReLU); a network with dropout, a norm or
            maxout, or with a hook on any layer (or on every module), runs layer by layer, so
            the hooks run. ``False`` runs each layer's module: one node per operation, as the
            graph viewer and the lecture show it. The layers, parameters, ``state_dict`` and
            ``repr`` are the same either way. Only for ``backend="torchlayers"``. Default: ``True``
        backend: ``"torchlayers"`` (our operations) or ``"torch"`` (the native twin: the same
            layers from ``torch.nn``; maxout as ``torch.nn.Linear`` + ``max``). Default: ``"torchlayers"``

    Inputs of more than two dimensions are flattened from dim 1 (images ``(N, C, H, W)``).
    The module is a ``Sequential``, so ``state_dict`` keys are layer indices and the twins load
    each other's weights.

    Shape:
        - Input: :math:`(N, H_{in})` or :math:`(N, *)` with :math:`H_{in}` elements per sample.
        - Output: :math:`(N, H_{out})`.

    Examples::

        >>> model = MLP(3072, [512, 512, 512], 10, activation=["relu", "relu", "tanh"])
        >>> model(torch.randn(8, 3, 32, 32)).shape
        torch.Size([8, 10])
    """

    def __init__(
        self,
        in_features: int,
        hidden_sizes: Sequence[int],
        out_features: int,
        activation: str | Sequence[str] = "relu",
        pieces: int = 2,
        dropout: float | Sequence[float] = 0.0,
        input_dropout: float = 0.0,
        bias: bool = True,
        backend: str = "torchlayers",
        fused: bool | str = True,
        norm: str | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"MLP(): backend must be one of {BACKENDS}, got {backend!r}")
        if fused not in (True, False, "network"):
            raise ValueError(f"MLP(): fused must be True, False or 'network', got {fused!r}")
        if norm not in NORMS:
            raise ValueError(f"MLP(): norm must be one of {NORMS}, got {norm!r}")
        hidden_sizes = list(hidden_sizes)
        activations = _per_layer("activation", activation, len(hidden_sizes))
        dropouts = _per_layer("dropout", dropout, len(hidden_sizes))
        native = backend == "torch"
        linear = torch.nn.Linear if native else tnn.Linear
        dropout_layer = torch.nn.Dropout if native else tnn.Dropout
        layer_norm = torch.nn.LayerNorm if native else tnn.LayerNorm

        layers: list[torch.nn.Module] = []
        if input_dropout > 0:
            layers.append(dropout_layer(input_dropout))
        width = in_features
        for size, name, p in zip(hidden_sizes, activations, dropouts, strict=True):
            if name == MAXOUT:
                if norm is not None:
                    raise ValueError(
                        "MLP(): norm='layer' normalises a Linear's scores; a maxout layer has none"
                    )
                maxout = LinearMaxout if native else tnn.Maxout
                layers.append(maxout(width, size, pieces, bias))
            else:
                # create_activation validates the name before any parameter is drawn
                act = create_activation(name, size, backend)
                layers.append(linear(width, size, bias))
                if norm == "layer":
                    layers.append(layer_norm(size))
                layers.append(act)
            if p > 0:
                layers.append(dropout_layer(p))
            width = size
        layers.append(linear(width, out_features, bias))
        super().__init__(*layers)
        self.in_features, self.out_features, self.backend = in_features, out_features, backend
        self.fused = False if native else fused

    def forward(self, input: Tensor) -> Tensor:
        input = input.flatten(1) if input.dim() > 2 else input
        if self.fused:
            arguments = _fused_arguments(self._modules.values())
            if arguments is not None:
                parameters, activations = arguments
                nodes = "network" if self.fused == "network" else "layer"
                return F.mlp(input, *parameters, activations=activations, nodes=nodes)
        return super().forward(input)

    def __getitem__(self, index):
        """``model[i]`` is a layer; ``model[a:b]`` a plain ``Sequential`` of those layers (with
        their indices as names), since a slice is no longer this MLP."""
        if isinstance(index, slice):
            return torch.nn.Sequential(OrderedDict(list(self._modules.items())[index]))
        return super().__getitem__(index)
