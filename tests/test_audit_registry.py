"""Every op of the registry through :func:`torchlayers.testing.audit`: the project checks its own
operations with the harness it offers users, on every sample, one pytest item per (op, check).

These are the generic tests of the package: gradcheck in both modes, batched and second order
(``tests/test_autograd.py`` keeps what a check cannot say: caches, kinks), the ``torch.func``
transforms, ``torch.compile``, autocast, parity in each dtype, special values, layouts, in place,
saved bytes, kernels against formulas and torch's errors for bad calls. A check that does not
apply to an op skips with the audit's reason; an ``OpInfo.skips`` entry skips it with the
entry's. The checks that depend on the device also run on CUDA (marked ``cuda``, skipped
without a GPU).
"""

from __future__ import annotations

import pytest
import torch

from torchlayers.testing import CHECKS, OPS, audit
from torchlayers.testing.registry import FLOAT_DTYPES

ON_CUDA = (
    "gradcheck",
    "gradcheck_forward",
    "gradcheck_batched",
    "gradgradcheck",
    "autocast",
    *(f"parity_{str(dtype).removeprefix('torch.')}" for dtype in FLOAT_DTYPES),
)


def _applies(op, check: str) -> bool:
    """What the entry's own flags rule out is not collected (the audit would skip it)."""
    if check == "inplace":
        return op.supports_inplace
    if check == "special_values":
        return op.unary_elementwise
    if check.startswith("parity_"):
        return check.removeprefix("parity_") in {str(d).removeprefix("torch.") for d in op.dtypes}
    return True


def _params() -> list:
    params = []
    for op in OPS:
        for check in CHECKS:
            if not _applies(op, check):
                continue
            params.append(pytest.param(op, check, "cpu", id=f"{op.name}-{check}"))
            if check in ON_CUDA:
                params.append(
                    pytest.param(op, check, "cuda", id=f"{op.name}-{check}-cuda", marks=pytest.mark.cuda)
                )
    return params


@pytest.mark.parametrize(("op", "check", "device"), _params())
def test_audit(op, check, device):
    """The check passes on every sample of the entry; a warning (more bytes saved for backward
    than torch) is a cost the benchmarks track, not a failure."""
    report = audit(op, checks=[check], device=device)
    (result,) = report.checks
    if result.status == "skip":
        pytest.skip(result.figure)
    assert not result.failed, str(report)


def test_every_check_is_collected():
    """Every check of the harness runs for some op of the registry."""
    assert {check for op in OPS for check in CHECKS if _applies(op, check)} == set(CHECKS)


def test_audit_fails_a_broken_registry_entry():
    """The registry test can fail: an entry whose reference differs is caught by parity."""
    (exp,) = [op for op in OPS if op.name == "exp"]
    broken = type(exp)(**{**vars(exp), "ref": lambda x: torch.exp(x) * (1 + 1e-3)})
    report = audit(broken, checks=["parity_float64", "parity_float32"])
    assert [check.name for check in report.failures] == ["parity_float64", "parity_float32"]
