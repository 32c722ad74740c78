"""Models built only from torchlayers operations."""

from torchlayers.models.mlp import MLP, Dropout
from torchlayers.models.registry import ACTIVATIONS, create_activation, register_activation

__all__ = ["ACTIVATIONS", "MLP", "Dropout", "create_activation", "register_activation"]

from torchlayers.models.classic import (  # issue 3: the classic models
    KNNClassifier,
    LinearRegression,
    LinearSVM,
    LogisticRegression,
    SoftmaxClassifier,
)

__all__ += ["KNNClassifier", "LinearRegression", "LinearSVM", "LogisticRegression", "SoftmaxClassifier"]
