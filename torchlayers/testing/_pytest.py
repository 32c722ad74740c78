"""``pytest_audit``: an audit as one pytest test per check, in a line of a user's test file."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from torchlayers.testing._audit import CHECKS, audit


def pytest_audit(
    op, samples=None, reference=None, *, checks: Iterable[str] | None = None, **options
) -> Callable:
    """A pytest test function, parametrized over the checks, that audits ``op``::

        test_my_mul = pytest_audit(MyMul, [(torch.randn(3), torch.randn(3))], reference=torch.mul)

    collects as ``test_my_mul[gradcheck]``, ``test_my_mul[compile]``, …: each fails with its
    report line and details, or skips with the reason the check does not apply. Arguments are
    :func:`~torchlayers.testing.audit`'s.
    """
    import pytest

    names = list(CHECKS if checks is None else checks)

    @pytest.mark.parametrize("check", names)
    def test(check):
        report = audit(op, samples, reference, checks=[check], **options)
        (result,) = report.checks
        if result.status == "skip":
            pytest.skip(result.figure)
        if result.failed:
            pytest.fail(str(report), pytrace=False)

    return test
