"""What ``torch.func`` cannot do with torchlayers' Functions yet. Every op under ``vmap``,
``jacrev`` and ``jacfwd``, in place too, is the audit's (``tests/test_audit_registry.py``)."""

from __future__ import annotations

import pytest
import torch
from torch.func import vmap

from tests._helpers import as_function, op_params
from torchlayers.testing.ops import OPS

INPLACE_OPS = [op for op in OPS if op.supports_inplace]


def _samples(op):
    """float64 samples with no empty tensor."""
    return [
        s for s in op.sample_inputs("cpu", torch.float64, False) if all(t.numel() > 0 for t in s.tensors())
    ]


def _batched(sample, batch_size=3):
    """Each differentiable tensor stacked with scaled copies along a new leading dimension."""
    scales = torch.linspace(1.0, 0.5, batch_size, dtype=torch.float64)
    return [torch.stack([t * s for s in scales]) for t in sample.tensors()]


@pytest.mark.parametrize("op", op_params(INPLACE_OPS))
def test_vmap_inplace_is_unsupported(op):
    """torch 2.14's generated vmap rule refuses Functions that call ``ctx.mark_dirty``, so
    in-place variants cannot be vmapped; this records the limitation and fails when it lifts."""
    if "vmap" in op.skips:  # an op vmap refuses for another reason (dropout's random mask)
        pytest.skip(op.skips["vmap"])
    sample = _samples(op)[0]
    batched = _batched(sample)

    def inplace(input, *rest, **kwargs):
        return op.op(input.clone(), *rest, **kwargs, inplace=True)

    with pytest.raises(RuntimeError, match=r"(marked as dirty|returned as-is)"):
        vmap(as_function(inplace, sample))(*batched)
