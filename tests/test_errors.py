"""Drop-in to the letter: for every bad call of the registry (``OpInfo.error_inputs``,
``ModuleInfo.bad_init``) torchlayers raises what torch raises, the same exception type with the
same message, at the same step (construction or the first call). The ops' bad calls run as the
audit's ``errors`` check, in ``tests/test_audit_registry.py``; the modules' here."""

from __future__ import annotations

import pytest
import torch

from torchlayers.testing import MODULES, OPS, audit
from torchlayers.testing._errors import assert_same_error, raised

_TWINNED_OPS = [op for op in OPS if (getattr(op.ref, "__module__", None) or "").split(".")[0] == "torch"]
_TWINNED_MODULES = [info for info in MODULES if info.ref is not None]


def test_every_op_with_a_torch_twin_has_error_inputs():
    assert [op.name for op in _TWINNED_OPS if op.error_inputs is None] == []


def _module_params():
    params, seen = [], set()
    for info in _TWINNED_MODULES:
        if info.ref in seen:  # one ModuleInfo per twin carries its bad constructions
            continue
        seen.add(info.ref)
        params += [pytest.param(info, kwargs, id=f"{info.ref.__name__}-{kwargs}") for kwargs in info.bad_init]
    return params


@pytest.mark.parametrize(("info", "kwargs"), _module_params())
def test_module_raises_as_torch(info, kwargs):
    """Where torch.nn refuses the arguments at construction we refuse them there, with its
    exception and message; where it accepts them, so do we, and the first call fails as torch's."""
    inputs = info.make_input("cpu", torch.float32)
    their_error = raised(lambda: info.ref(**kwargs))
    assert_same_error(lambda: info.module(**kwargs), lambda: info.ref(**kwargs))
    if their_error is None:
        theirs, ours = info.ref(**kwargs), info.module(**kwargs)
        assert raised(lambda: theirs(*inputs)) is not None, "torch accepts this module call: not a bad call"
        assert_same_error(lambda: ours(*inputs), lambda: theirs(*inputs))


def test_every_module_with_a_torch_twin_has_bad_constructions():
    assert [info.ref.__name__ for info in _TWINNED_MODULES if not info.bad_init] == []


def test_softmax_dim_is_checked_at_construction():
    """The issue's example: torch 2.14 refuses a bool or float ``dim`` when the module is made."""
    import torchlayers.nn as tnn

    for module in (tnn.Softmax, tnn.LogSoftmax):
        for dim in (True, 1.0):
            with pytest.raises(TypeError) as error:
                module(dim=dim)
            assert str(error.value) == f"dim must be an int or None, got {type(dim)}"


def test_the_check_fails_on_a_different_message():
    """The comparison can fail: an op that raises torch's type with other words is caught."""

    def relu_in_other_words(input, inplace=False):
        if not isinstance(input, torch.Tensor):
            raise TypeError("relu() needs a tensor")
        return torch.relu(input)

    report = audit(
        relu_in_other_words,
        [(torch.randn(3),)],
        reference=torch.nn.functional.relu,
        checks=["errors"],
        error_inputs=[(([1.0],), TypeError)],
    )
    assert report["errors"].status == "FAIL"
    assert "relu() needs a tensor" in report["errors"].figure
