"""Every op of the registry through :func:`torchlayers.testing.audit`: the project checks its own
operations with the harness it offers users.

CI's budget decides what runs here:

* every sample: autocast, parity in each dtype, special values, layouts and saved bytes;
* the gradient checks (gradcheck in both modes, batched, gradgradcheck), the ``torch.func``
  transforms and kernels against formulas on two samples per op, the first and the one of
  highest rank (the fewest elements among those, as finite differences cost one call each): the
  losses have two dozen samples each, and ``tests/test_autograd.py``, ``tests/test_transforms.py``
  and ``tests/test_kernels.py`` still check all of them;
* not here: ``compile`` and ``inplace`` (one ``torch.compile`` each, about a second per op),
  which ``tests/test_compile.py`` covers, and ``errors``, which ``tests/test_errors.py`` runs.
"""

from __future__ import annotations

import pytest
import torch

from tests._helpers import op_params
from torchlayers.testing import CHECKS, audit

SAMPLED = (
    "gradcheck",
    "gradcheck_forward",
    "gradcheck_batched",
    "gradgradcheck",
    "vmap",
    "jacrev",
    "jacfwd",
    "formula_vs_kernel",
)
NOT_HERE = ("compile", "inplace", "errors")
EVERY_SAMPLE = tuple(name for name in CHECKS if name not in SAMPLED + NOT_HERE)


def _first_and_highest_rank(sample_inputs):
    def samples(device, dtype, requires_grad):
        made = [s for s in sample_inputs(device, dtype, requires_grad) if s.tensors()]
        rank = max(
            made, key=lambda s: (max(t.dim() for t in s.tensors()), -sum(t.numel() for t in s.tensors()))
        )
        return [made[0]] if rank is made[0] else [made[0], rank]

    return samples


@pytest.mark.parametrize("op", op_params())
def test_audit(op):
    """Every check of the harness passes for every registry op; warnings (more bytes saved than
    torch) are reported, not failed: they are costs, and the benchmarks track them."""
    report = audit(op, checks=EVERY_SAMPLE)
    assert report.ok, report


@pytest.mark.parametrize("op", op_params())
def test_audit_sampled(op):
    report = audit(op, _first_and_highest_rank(op.sample_inputs), checks=SAMPLED)
    assert report.ok, report
    assert any(check.status == "pass" for check in report.checks), report


def test_the_split_covers_every_check():
    assert sorted(EVERY_SAMPLE + SAMPLED + NOT_HERE) == sorted(CHECKS)


def test_audit_fails_a_broken_registry_entry():
    """The registry test can fail: an entry whose reference differs is caught by parity."""
    from torchlayers.testing.ops import OPS

    (exp,) = [op for op in OPS if op.name == "exp"]
    broken = type(exp)(**{**vars(exp), "ref": lambda x: torch.exp(x) * (1 + 1e-3)})
    report = audit(broken, checks=["parity_float64", "parity_float32"])
    assert [check.name for check in report.failures] == ["parity_float64", "parity_float32"]
