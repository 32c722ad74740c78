"""The ``torch.autograd.Function`` of every operation, one file per family."""

from torchlayers.autograd.activation import (
    ELUFunction,
    LeakyReLUFunction,
    PReLUFunction,
    ReLUFunction,
    SigmoidFunction,
    TanhFunction,
)
from torchlayers.autograd.graph import (
    AddConstantFunction,
    AddFunction,
    ExpFunction,
    MulConstantFunction,
    MulFunction,
    ReciprocalFunction,
)
from torchlayers.autograd.linear import LinearFunction, MaxoutFunction
from torchlayers.autograd.loss import *  # noqa: F403  (losses, issue 3)
from torchlayers.autograd.loss import __all__ as _loss_all
from torchlayers.autograd.mlp import MLPFunction

__all__ = [
    "AddConstantFunction",
    "AddFunction",
    "ELUFunction",
    "ExpFunction",
    "LeakyReLUFunction",
    "LinearFunction",
    "MLPFunction",
    "MaxoutFunction",
    "MulConstantFunction",
    "MulFunction",
    "PReLUFunction",
    "ReLUFunction",
    "ReciprocalFunction",
    "SigmoidFunction",
    "TanhFunction",
    *_loss_all,
]
