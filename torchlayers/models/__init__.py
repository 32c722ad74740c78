"""Models built only from torchlayers operations: the MLP builder and the lecture's classic models."""

from torchlayers.models.classic import (
    KNNClassifier,
    LinearRegression,
    LinearSVM,
    LogisticRegression,
    SoftmaxClassifier,
)
from torchlayers.models.mlp import MLP
from torchlayers.models.registry import ACTIVATIONS, create_activation, register_activation

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "KNNClassifier",
    "LinearRegression",
    "LinearSVM",
    "LogisticRegression",
    "SoftmaxClassifier",
    "create_activation",
    "register_activation",
]
