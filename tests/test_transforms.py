"""``torch.func`` transforms of every op (``vmap``, ``jacrev``, ``jacfwd``) against the same
transforms of the reference: the Functions' ``generate_vmap_rule`` and ``jvp`` at work."""

from __future__ import annotations

import pytest
import torch
from torch.func import jacfwd, jacrev, vmap

from tests._helpers import about, as_function, op_params, skip_if_listed
from torchlayers.testing.ops import OPS

INPLACE_OPS = [op for op in OPS if op.supports_inplace]


def _samples(op):
    """float64 samples with no empty tensor (a Jacobian of nothing says nothing)."""
    return [
        s for s in op.sample_inputs("cpu", torch.float64, False) if all(t.numel() > 0 for t in s.tensors())
    ]


def _batched(sample, batch_size=3):
    """Each differentiable tensor stacked with scaled copies along a new leading dimension."""
    scales = torch.linspace(1.0, 0.5, batch_size, dtype=torch.float64)
    return [torch.stack([t * s for s in scales]) for t in sample.tensors()]


@pytest.mark.parametrize("op", op_params())
def test_vmap(op):
    skip_if_listed(op, "test_vmap")
    for sample in _samples(op):
        with about(sample):
            batched = _batched(sample)
            actual = vmap(as_function(op.op, sample))(*batched)
            expected = vmap(as_function(op.ref, sample))(*batched)
            torch.testing.assert_close(actual, expected)
            unbatched = [as_function(op.op, sample)(*(b[i] for b in batched)) for i in range(len(batched[0]))]
            torch.testing.assert_close(actual, torch.stack(unbatched))


@pytest.mark.parametrize("transform", [jacrev, jacfwd], ids=["jacrev", "jacfwd"])
@pytest.mark.parametrize("op", op_params())
def test_jacobian(op, transform):
    """Reverse mode (vmap over backward) and forward mode (vmap over jvp) Jacobians."""
    skip_if_listed(op, f"test_{transform.__name__}")
    for sample in _samples(op):
        argnums = tuple(range(len(sample.tensors())))
        with about(sample):
            actual = transform(as_function(op.op, sample), argnums=argnums)(*sample.tensors())
            # The oracle's Jacobian by reverse mode: some torch losses (multi_margin_loss) have no
            # forward-mode formula, and any correct Jacobian is the same matrix.
            expected = jacrev(as_function(op.ref, sample), argnums=argnums)(*sample.tensors())
            torch.testing.assert_close(actual, expected)


@pytest.mark.parametrize("transform", [jacrev, jacfwd], ids=["jacrev", "jacfwd"])
@pytest.mark.parametrize("op", op_params(INPLACE_OPS))
def test_jacobian_inplace(op, transform):
    """The in-place variants under the grad transforms (on a copy made inside the function)."""
    skip_if_listed(op, f"test_{transform.__name__}")
    for sample in _samples(op):
        argnums = tuple(range(len(sample.tensors())))

        def inplace(fn):
            return lambda input, *rest, **kwargs: fn(input.clone(), *rest, **kwargs, inplace=True)

        with about(sample):
            actual = transform(as_function(inplace(op.op), sample), argnums=argnums)(*sample.tensors())
            expected = transform(as_function(inplace(op.ref), sample), argnums=argnums)(*sample.tensors())
            torch.testing.assert_close(actual, expected)


@pytest.mark.parametrize("op", op_params(INPLACE_OPS))
def test_vmap_inplace_is_unsupported(op):
    """torch 2.14's generated vmap rule refuses Functions that call ``ctx.mark_dirty``, so
    in-place variants cannot be vmapped; this records the limitation and fails when it lifts."""
    skip_if_listed(op, "test_vmap")
    sample = _samples(op)[0]
    batched = _batched(sample)

    def inplace(input, *rest, **kwargs):
        return op.op(input.clone(), *rest, **kwargs, inplace=True)

    with pytest.raises(RuntimeError, match=r"(marked as dirty|returned as-is)"):
        vmap(as_function(inplace, sample))(*batched)
