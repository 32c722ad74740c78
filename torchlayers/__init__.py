"""torchlayers: the operations of an introductory neural-network lecture as explicit
``torch.autograd.Function``s, ``torch.nn.functional``-style wrappers and drop-in modules.

Every derivative is a formula in plain torch ops; ATen's fused kernels stand in for the
formulas while :func:`use_kernels` is on (the default; see :mod:`torchlayers.autograd.kernels`).
"""

from torchlayers import autograd, functional, graph, nn
from torchlayers.autograd.kernels import kernels_enabled, use_kernels

__version__ = "0.1.0"
__all__ = ["__version__", "autograd", "functional", "graph", "kernels_enabled", "nn", "use_kernels"]
