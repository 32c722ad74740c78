"""Autocast's casting rule for every torchlayers op, as one table.

Under ``torch.autocast`` each native op casts its inputs by the list it is on; our wrappers cast
the same way before calling their Function, so outputs and gradients get the dtypes torch.nn's
get (tested against torch under autocast on CPU and CUDA). Ops on no list (the activations, the
gates, max, min and mean) run in their inputs' dtype.
"""

from __future__ import annotations

import torch

# The rules, after torch's autocast op lists (``aten/src/ATen/autocast_mode.cpp``):
LOWER_PRECISION = "lower precision"  # float32 tensors to the autocast dtype (matmuls, prelu; not float64)
LOWER_PRECISION_ON_CUDA = "lower precision on CUDA"  # the same on CUDA only (mv: CPU's list has mm, not mv)
FLOAT32 = "float32"  # float16/bfloat16 tensors to float32, on CPU and CUDA (the losses)
FLOAT32_ON_CUDA = "float32 on CUDA"  # the same on CUDA only (exp, reciprocal, softmax, softplus, pow, sum)

POLICY = {
    "linear": LOWER_PRECISION,
    "maxout": LOWER_PRECISION,  # its affine scores are a linear
    "mlp": LOWER_PRECISION,  # its matmuls, as linear's (and PReLU's weight, as prelu's)
    "prelu": LOWER_PRECISION,
    "mm": LOWER_PRECISION,
    "mv": LOWER_PRECISION_ON_CUDA,
    "exp": FLOAT32_ON_CUDA,
    "log": FLOAT32_ON_CUDA,
    "reciprocal": FLOAT32_ON_CUDA,
    "softmax": FLOAT32_ON_CUDA,
    "log_softmax": FLOAT32_ON_CUDA,
    "softmin": FLOAT32_ON_CUDA,  # torch's is (-x).softmax(dim): the softmax's rule (negation is exact)
    "softplus": FLOAT32_ON_CUDA,
    "layer_norm": FLOAT32_ON_CUDA,  # on CUDA's float32 list; CPU autocast keeps its input's dtype
    "l2_regularization": FLOAT32_ON_CUDA,  # as its native composition weight * Σ t.pow(2).sum()
    "weighted_mse_loss": FLOAT32_ON_CUDA,  # torch's weighted mse_loss is Python arithmetic (pow)
    "nll_loss": FLOAT32,
    "cross_entropy": FLOAT32,  # and its parts, log_softmax and nll_loss, on CUDA's list
    "mse_loss": FLOAT32,
    "binary_cross_entropy": FLOAT32,  # on CPU; CUDA autocast refuses it (below)
    "multi_margin_loss": FLOAT32,
    "smooth_l1_loss": FLOAT32,  # and l1_loss, which torch calls for beta = 0
    "soft_margin_loss": FLOAT32,
    "margin_ranking_loss": FLOAT32,
}

_LOW_PRECISION = (torch.float16, torch.bfloat16)
_AUTOCAST_DEVICES = ("cpu", "cuda", "xpu", "mps")

BCE_UNSAFE_MESSAGE = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast (and so "
    "are torchlayers.functional.binary_cross_entropy and torchlayers.nn.BCELoss).\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using torch.nn.functional.binary_cross_entropy_with_logits\n"
    "or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
    "safe to autocast."
)


def autocast_inputs(op: str, *args) -> tuple:
    """``args`` cast by ``op``'s rule in :data:`POLICY` when autocast is on for their device
    (the first argument, a tensor, gives the device); non-tensors and ``None`` pass through.

    Lower-precision casts run last argument first, the order torch's autocast wrapper casts in
    (bias, weight, input for ``linear``): a cast's backward node is numbered at creation and the
    engine runs later nodes first, so this order frees each gradient's low-precision copy when
    torch.nn's does.
    """
    if not torch._C._is_any_autocast_enabled():  # the common call: one C check, no device lookup
        return args
    device_type = args[0].device.type
    if device_type not in _AUTOCAST_DEVICES or not torch.is_autocast_enabled(device_type):
        return args
    rule = POLICY[op]
    if rule == LOWER_PRECISION_ON_CUDA and device_type != "cuda":
        return args
    if rule in (LOWER_PRECISION, LOWER_PRECISION_ON_CUDA):
        dtype = torch.get_autocast_dtype(device_type)
        cast = [a.to(dtype) if _lowers(a) else a for a in reversed(args)]
        return tuple(reversed(cast))
    if rule == FLOAT32_ON_CUDA and device_type != "cuda":
        return args
    if rule == FLOAT32 and device_type not in ("cpu", "cuda"):
        return args
    return tuple(a.float() if isinstance(a, torch.Tensor) and a.dtype in _LOW_PRECISION else a for a in args)


def _lowers(value) -> bool:
    """A float32 (or half) tensor: what the lower-precision rule casts (float64 stays)."""
    return isinstance(value, torch.Tensor) and value.is_floating_point() and value.dtype != torch.float64


def refuse_unsafe(op: str, input: torch.Tensor) -> None:
    """CUDA autocast refuses ``binary_cross_entropy`` on any dtype, as torch's does."""
    if op == "binary_cross_entropy" and input.device.type == "cuda" and torch.is_autocast_enabled("cuda"):
        raise RuntimeError(BCE_UNSAFE_MESSAGE)
