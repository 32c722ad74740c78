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
from torchlayers.autograd.hinge import MultiMarginLossFunction
from torchlayers.autograd.linear import LinearFunction, MaxoutFunction
from torchlayers.autograd.loss import *  # noqa: F403  (losses, issue 3)
from torchlayers.autograd.loss import __all__ as _loss_all
from torchlayers.autograd.regression import BCELossFunction, MSELossFunction
from torchlayers.autograd.regularization import L2RegularizationFunction

__all__ = [
    "AddConstantFunction",
    "AddFunction",
    "BCELossFunction",
    "ELUFunction",
    "ExpFunction",
    "L2RegularizationFunction",
    "LeakyReLUFunction",
    "LinearFunction",
    "MSELossFunction",
    "MaxoutFunction",
    "MulConstantFunction",
    "MulFunction",
    "MultiMarginLossFunction",
    "PReLUFunction",
    "ReLUFunction",
    "ReciprocalFunction",
    "SigmoidFunction",
    "TanhFunction",
    *_loss_all,
]
