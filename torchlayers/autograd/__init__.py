"""The ``torch.autograd.Function`` of every operation, one file per family."""

from torchlayers.autograd.activation import (
    ELUFunction,
    LeakyReLUFunction,
    LogSigmoidFunction,
    PReLUFunction,
    ReLUFunction,
    SigmoidFunction,
    SoftplusFunction,
    SoftshrinkFunction,
    SoftsignFunction,
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
from torchlayers.autograd.hinge import (
    MarginRankingLossFunction,
    MultiMarginLossFunction,
    SoftMarginLossFunction,
)
from torchlayers.autograd.linear import LinearFunction, MaxoutFunction
from torchlayers.autograd.mlp import ActivationLinearFunction, MLPFunction
from torchlayers.autograd.nll import (
    CrossEntropyFunction,
    NLLLossFunction,
    SoftTargetNLLLossFunction,
    class_dim_of,  # noqa: F401  (for the functional's argument checks)
)
from torchlayers.autograd.regression import BCELossFunction, MSELossFunction, SmoothL1LossFunction
from torchlayers.autograd.regularization import L2RegularizationFunction
from torchlayers.autograd.softmax import LogSoftmaxFunction, SoftmaxFunction, SoftminFunction

__all__ = [
    "ActivationLinearFunction",
    "AddConstantFunction",
    "AddFunction",
    "BCELossFunction",
    "CrossEntropyFunction",
    "ELUFunction",
    "ExpFunction",
    "L2RegularizationFunction",
    "LeakyReLUFunction",
    "LinearFunction",
    "LogSigmoidFunction",
    "LogSoftmaxFunction",
    "MLPFunction",
    "MSELossFunction",
    "MarginRankingLossFunction",
    "MaxoutFunction",
    "MulConstantFunction",
    "MulFunction",
    "MultiMarginLossFunction",
    "NLLLossFunction",
    "PReLUFunction",
    "ReLUFunction",
    "ReciprocalFunction",
    "SigmoidFunction",
    "SmoothL1LossFunction",
    "SoftMarginLossFunction",
    "SoftTargetNLLLossFunction",
    "SoftmaxFunction",
    "SoftminFunction",
    "SoftplusFunction",
    "SoftshrinkFunction",
    "SoftsignFunction",
    "TanhFunction",
]
