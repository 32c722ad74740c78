"""torchlayers: the operations of an introductory neural-network lecture as explicit
``torch.autograd.Function``s, ``torch.nn.functional``-style wrappers and drop-in modules."""

from torchlayers import autograd, functional, nn

__version__ = "0.1.0"
__all__ = ["__version__", "autograd", "functional", "nn"]
