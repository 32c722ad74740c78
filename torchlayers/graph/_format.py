"""How a value reads in a node, an edge label or an explanation: small tensors in full, large ones
summarised by shape, dtype, norm and a few values."""

from __future__ import annotations

import torch
from torch import Tensor

SHOWN_IN_FULL = 6  # elements: up to this many, a tensor is printed whole


def number(value: float) -> str:
    """Two decimals, as the slides print them (``0.73``, ``-0.53``)."""
    return f"{value:.2f}"


def constant(value) -> str:
    """A Python constant as written in a formula: ``-1``, ``0.5``."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe(tensor: Tensor | None, width: int = SHOWN_IN_FULL) -> str:
    """``0.73`` for one element, ``[0.10, -0.20]`` for a few, else
    ``(16, 4096) float32 ‖·‖=12.30 [0.10, -0.20, 0.30, …]``."""
    if tensor is None:
        return "—"
    if tensor.numel() == 1:
        return number(tensor.item()) if tensor.is_floating_point() else str(tensor.item())
    flat = tensor.detach().reshape(-1)
    if tensor.is_floating_point() or tensor.is_complex():
        values = [number(v) for v in flat[:width].tolist()]
    else:
        values = [str(v) for v in flat[:width].tolist()]
    if tensor.numel() <= width:
        return "[" + ", ".join(values) + "]"
    shape = str(tuple(tensor.shape))
    dtype = str(tensor.dtype).removeprefix("torch.")
    norm = (
        f" ‖·‖={number(torch.linalg.vector_norm(flat.double()).item())}" if tensor.is_floating_point() else ""
    )
    return f"{shape} {dtype}{norm} [" + ", ".join(values[:3]) + ", …]"


def brief(tensor: Tensor | None) -> str:
    """:func:`describe` for an edge label: a number, or a shape with the norm."""
    if tensor is None:
        return "—"
    if tensor.numel() <= 3:
        return describe(tensor)
    shape = "×".join(str(s) for s in tensor.shape)
    if not tensor.is_floating_point():
        return shape
    return f"{shape} ‖{number(torch.linalg.vector_norm(tensor.detach().double()).item())}‖"
