"""The project's verification suite as a harness for anyone's ``torch.autograd.Function``.

::

    from torchlayers.testing import audit

    report = audit(MyFunction, samples, reference=torch.mul)
    report.ok                     # True only if every check passed
    report.failures               # the failed checks, each with what was measured
    print(report)                 # one line per check: name, pass/fail, the measured figure
    report.raise_for_failures()   # for tests

:func:`audit` runs :data:`CHECKS`; :func:`pytest_audit` makes one pytest test per check;
``python -m torchlayers.testing package.module:MyFunction --reference torch.mul`` audits from the
command line. :func:`compilable` is how a Function that defines ``jvp`` goes through
``torch.compile``. The registry's vocabulary (:class:`OpInfo`, :class:`SampleInput` and the
sample makers) is in :mod:`torchlayers.testing.registry`; torchlayers' own entries, :data:`OPS`
and :data:`MODULES`, in :mod:`torchlayers.testing.ops` (every generic test of the project runs
on them).
"""

from torchlayers.autograd._function import compilable
from torchlayers.testing._audit import CHECKS, AuditError, Check, Report, audit
from torchlayers.testing._calls import saved_tensor_bytes
from torchlayers.testing._pytest import pytest_audit
from torchlayers.testing.ops import MODULES, OPS
from torchlayers.testing.registry import FLOAT_DTYPES, ModuleInfo, OpInfo, SampleInput

__all__ = [
    "CHECKS",
    "FLOAT_DTYPES",
    "MODULES",
    "OPS",
    "AuditError",
    "Check",
    "ModuleInfo",
    "OpInfo",
    "Report",
    "SampleInput",
    "audit",
    "compilable",
    "pytest_audit",
    "saved_tensor_bytes",
]
