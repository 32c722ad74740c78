"""Drop-in modules: named, constructed and serialised exactly as their ``torch.nn`` twins."""

from torchlayers.nn.activation import ELU, LeakyReLU, PReLU, ReLU, Sigmoid, Tanh
from torchlayers.nn.dropout import Dropout
from torchlayers.nn.graph import AddConstant, MulConstant
from torchlayers.nn.linear import Linear, Maxout
from torchlayers.nn.loss import *  # noqa: F403
from torchlayers.nn.loss import __all__ as _loss_all
from torchlayers.nn.normalization import LayerNorm

__all__ = [
    "ELU",
    "AddConstant",
    "Dropout",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "Maxout",
    "MulConstant",
    "PReLU",
    "ReLU",
    "Sigmoid",
    "Tanh",
    *_loss_all,
]
