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
from torchlayers.autograd.mlp import MLPFunction
from torchlayers.autograd.nll import (
    CrossEntropyFunction,
    NLLLossFunction,
    SoftTargetNLLLossFunction,
    class_dim_of,  # noqa: F401  (for the functional's argument checks)
)
from torchlayers.autograd.normalization import LayerNormFunction
from torchlayers.autograd.regression import BCELossFunction, MSELossFunction
from torchlayers.autograd.regularization import DropoutFunction, L2RegularizationFunction
from torchlayers.autograd.softmax import LogSoftmaxFunction, SoftmaxFunction

__all__ = [
    "AddConstantFunction",
    "AddFunction",
    "BCELossFunction",
    "CrossEntropyFunction",
    "DropoutFunction",
    "ELUFunction",
    "ExpFunction",
    "L2RegularizationFunction",
    "LayerNormFunction",
    "LeakyReLUFunction",
    "LinearFunction",
    "LogSoftmaxFunction",
    "MLPFunction",
    "MSELossFunction",
    "MaxoutFunction",
    "MulConstantFunction",
    "MulFunction",
    "MultiMarginLossFunction",
    "NLLLossFunction",
    "PReLUFunction",
    "ReLUFunction",
    "ReciprocalFunction",
    "SigmoidFunction",
    "SoftTargetNLLLossFunction",
    "SoftmaxFunction",
    "TanhFunction",
]
