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
    LogFunction,
    MulConstantFunction,
    MulFunction,
    ReciprocalFunction,
)
from torchlayers.autograd.hinge import (
    MarginRankingLossFunction,
    MultiMarginLossFunction,
    SoftMarginLossFunction,
)
from torchlayers.autograd.linear import LinearFunction, MaxoutFunction, MMFunction, MVFunction
from torchlayers.autograd.mlp import ActivationLinearFunction, MLPFunction
from torchlayers.autograd.nll import (
    CrossEntropyFunction,
    NLLLossFunction,
    SoftTargetNLLLossFunction,
    class_dim_of,  # noqa: F401  (for the functional's argument checks)
)
from torchlayers.autograd.normalization import LayerNormFunction
from torchlayers.autograd.pooling import AdaptiveAvgPool2dFunction, AdaptiveMaxPool2dFunction
from torchlayers.autograd.reduction import (
    MaxAllFunction,
    MaxFunction,
    MeanFunction,
    MinAllFunction,
    MinFunction,
)
from torchlayers.autograd.regression import BCELossFunction, MSELossFunction, SmoothL1LossFunction
from torchlayers.autograd.regularization import DropoutFunction, L2RegularizationFunction
from torchlayers.autograd.softmax import LogSoftmaxFunction, SoftmaxFunction, SoftminFunction
from torchlayers.autograd.sparse import EmbeddingFunction

__all__ = [
    "ActivationLinearFunction",
    "AdaptiveAvgPool2dFunction",
    "AdaptiveMaxPool2dFunction",
    "AddConstantFunction",
    "AddFunction",
    "BCELossFunction",
    "CrossEntropyFunction",
    "DropoutFunction",
    "ELUFunction",
    "EmbeddingFunction",
    "ExpFunction",
    "L2RegularizationFunction",
    "LayerNormFunction",
    "LeakyReLUFunction",
    "LinearFunction",
    "LogFunction",
    "LogSigmoidFunction",
    "LogSoftmaxFunction",
    "MLPFunction",
    "MMFunction",
    "MSELossFunction",
    "MVFunction",
    "MarginRankingLossFunction",
    "MaxAllFunction",
    "MaxFunction",
    "MaxoutFunction",
    "MeanFunction",
    "MinAllFunction",
    "MinFunction",
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
