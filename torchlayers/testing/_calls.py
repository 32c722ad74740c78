"""Calling an op on a sample: its differentiable tensors, copies in another dtype or layout,
gradients, and the bytes autograd saves for backward."""

from __future__ import annotations

from collections.abc import Callable

import torch

from torchlayers.testing.registry import SampleInput


def tensor_positions(sample: SampleInput) -> list[int]:
    """Positions in ``sample.args`` of the differentiable (floating) tensors."""
    return [i for i, a in enumerate(sample.args) if isinstance(a, torch.Tensor) and a.is_floating_point()]


def as_function(fn: Callable, sample: SampleInput, **extra_kwargs) -> Callable:
    """``fn`` as a function of the sample's differentiable tensors only (for gradcheck, jacrev…)."""
    positions = tensor_positions(sample)

    def call(*tensors):
        args = list(sample.args)
        for i, tensor in zip(positions, tensors, strict=True):
            args[i] = tensor
        return fn(*args, **sample.kwargs, **extra_kwargs)

    return call


def with_tensors(sample: SampleInput, tensors, name: str | None = None) -> SampleInput:
    """The sample with its differentiable tensors replaced, in order."""
    args = list(sample.args)
    for i, tensor in zip(tensor_positions(sample), tensors, strict=True):
        args[i] = tensor
    return SampleInput(tuple(args), sample.kwargs, sample.name if name is None else name)


def detached_copy(value, requires_grad: bool | None = None, dtype: torch.dtype | None = None):
    """A fresh leaf with the same values and strides (``clone`` would make it contiguous),
    optionally in another floating ``dtype``."""
    if not isinstance(value, torch.Tensor):
        return value
    dtype = dtype if dtype is not None and value.is_floating_point() else value.dtype
    copy = torch.empty_strided(value.shape, value.stride(), dtype=dtype, device=value.device)
    copy.copy_(value.detach())
    keep = value.requires_grad if requires_grad is None else requires_grad
    return copy.requires_grad_(keep and copy.is_floating_point())


def noncontiguous_like(tensor: torch.Tensor) -> torch.Tensor:
    """A leaf with ``tensor``'s values that is a stride-2 view of a wider tensor."""
    if tensor.dim() == 0:
        return detached_copy(tensor)
    wide = torch.empty((*tensor.shape[:-1], 2 * tensor.shape[-1]), dtype=tensor.dtype, device=tensor.device)
    view = wide[..., ::2]
    view.copy_(tensor.detach())
    return view.requires_grad_(tensor.requires_grad)


def non_leaf_like(leaf: torch.Tensor) -> torch.Tensor:
    """A differentiable non-leaf with ``leaf``'s values and layout (what in-place ops may modify).

    Non-contiguous leaves give a strided view of a larger non-leaf, so the in-place checks also
    cover writing through a view.
    """
    if leaf.is_contiguous() or leaf.dim() == 0:
        return leaf * 1
    return leaf.repeat_interleave(2, dim=-1)[..., ::2]


def floating_outputs(result) -> tuple[torch.Tensor, ...]:
    """The floating tensors an op returned (a tuple's integer outputs, e.g. an argmax, dropped)."""
    results = result if isinstance(result, (tuple, list)) else (result,)
    return tuple(r for r in results if isinstance(r, torch.Tensor) and r.is_floating_point())


def grads(outputs, inputs: list[torch.Tensor], grad_outputs) -> tuple:
    """d(outputs)/d(inputs) contracted with ``grad_outputs``; ``None`` where an input is unused."""
    outputs, grad_outputs = _as_tuple(outputs), _as_tuple(grad_outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs, strict=True) if o.requires_grad]
    wanted = [t for t in inputs if t.requires_grad]
    if not pairs or not wanted:
        return (None,) * len(inputs)
    found = iter(torch.autograd.grad([o for o, _ in pairs], wanted, [g for _, g in pairs], allow_unused=True))
    return tuple(next(found) if t.requires_grad else None for t in inputs)


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def saved_tensor_bytes(fn: Callable[[], object]) -> int:
    """Bytes of the tensors autograd saves for backward while ``fn`` runs, one count per storage.

    Views of one storage (a weight and its transpose, an output saved by two nodes) are
    counted once, at the storage's full size: that is the memory the graph keeps alive.
    """
    storages: dict[tuple, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        storages[(tensor.device, storage.data_ptr())] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        result = fn()
    del result  # the graph dies here; only the byte counts are kept
    return sum(storages.values())
