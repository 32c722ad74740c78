"""Drop-in modules: named, constructed and serialised exactly as their ``torch.nn`` twins."""

from torchlayers.nn.activation import (
    ELU,
    LeakyReLU,
    LogSigmoid,
    PReLU,
    ReLU,
    Sigmoid,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
)
from torchlayers.nn.dropout import Dropout
from torchlayers.nn.graph import AddConstant, Mul, MulConstant
from torchlayers.nn.linear import Linear, Maxout
from torchlayers.nn.loss import *  # noqa: F403
from torchlayers.nn.loss import __all__ as _loss_all
from torchlayers.nn.normalization import LayerNorm
from torchlayers.nn.pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d
from torchlayers.nn.sparse import Embedding

__all__ = [
    "ELU",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "AddConstant",
    "Embedding",
    "Dropout",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSigmoid",
    "Maxout",
    "Mul",
    "MulConstant",
    "PReLU",
    "ReLU",
    "Sigmoid",
    "Softplus",
    "Softshrink",
    "Softsign",
    "Tanh",
    *_loss_all,
]
