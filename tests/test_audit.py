"""``torchlayers.testing.audit`` on code the project did not write: the "Extending PyTorch" note's
Functions pass every check that applies, and each broken variant fails the check that names its
bug (and not the checks that have nothing to do with it). Then the report, the never-crash
promise, ``compilable``, the pytest helper and the command line."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import torchlayers.testing as T
import torchlayers.testing.ops as registry_ops
from examples import audit_extending_pytorch as ext
from torchlayers.testing.__main__ import main as cli

# Checks that compile or differentiate twice cost most; tests that only need to show which check
# names a bug run that check and one that must pass beside it.


def _audit(name, checks=None):
    return ext.run(name, checks=checks)


def _statuses(report) -> dict[str, str]:
    return {check.name: check.status for check in report.checks}


# --- the documented Functions --------------------------------------------------------------------


def test_mul_constant_with_vmap_rule_and_jvp_passes_everything():
    """The note's MulConstant with ``generate_vmap_rule`` and a ``jvp``: every check applies but
    the in-place and kernel ones, and all pass; compiling went through the jvp-free twin."""
    report = _audit("MulConstantFull")
    assert report.ok, report
    skipped = {c.name for c in report.checks if c.status == "skip"}
    assert skipped == {"inplace", "formula_vs_kernel", "errors"}, report
    assert not report.warnings
    assert any("jvp-free twin" in note for note in report.notes)


def test_documented_mul_constant_passes_what_applies():
    """As the note writes it (no vmap rule, no jvp): the torch.func and forward-mode checks say
    why they do not apply; every other applicable check passes."""
    report = _audit(
        "MulConstant", checks=["gradcheck", "gradcheck_forward", "vmap", "jacfwd", "parity_float32"]
    )
    assert report.ok, report
    assert "defines no jvp" in report["gradcheck_forward"].figure
    assert "no vmap rule" in report["vmap"].figure
    assert _statuses(report) == {
        "gradcheck": "pass",
        "gradcheck_forward": "skip",
        "vmap": "skip",
        "jacfwd": "skip",
        "parity_float32": "pass",
    }


def test_documented_linear_function_findings():
    """The note's LinearFunction is right in every dtype and compiles, but its backward fails
    after an autocast forward (bfloat16 grad_output meets the float32 weight in ``mm``), and it
    saves the bias, which backward only tests for None: autocast fails, saved_bytes warns."""
    report = _audit("LinearFunction")
    assert [c.name for c in report.failures] == ["autocast"], report
    assert "backward after autocast" in report["autocast"].figure
    assert [c.name for c in report.warnings] == ["saved_bytes"]
    for name in (
        "gradcheck",
        "gradgradcheck",
        "compile",
        "parity_float64",
        "parity_bfloat16",
        "noncontiguous",
    ):
        assert report[name].status == "pass", report
    strict = ext.run("LinearFunction", checks=["saved_bytes"], strict=True)
    assert not strict.ok


def test_in_place_function_passes_everything():
    report = _audit("MulConstantInPlace")
    assert report.ok, report
    assert report["inplace"].status == "pass"


# --- each bug named by its check ---------------------------------------------------------------

BROKEN = [
    # (variant, the check that names the bug, a check that must still pass, text of the figure)
    ("MulConstantWrongSign", "gradcheck", "gradcheck_forward", "Jacobian off by"),
    ("LinearFunctionDetached", "gradgradcheck", "gradcheck", "Jacobian mismatch"),
    ("MulConstantWrongJvp", "gradcheck_forward", "gradcheck", "forward Jacobian off by"),
    (
        "MulConstantWrongDtype",
        "parity_bfloat16",
        "parity_float32",
        "output dtype float32, reference bfloat16",
    ),
    ("MulConstantGraphBreak", "compile", "gradcheck", "graph break"),
    ("MulConstantInPlaceNotDirty", "inplace", "parity_float64", "mark_dirty"),
]


@pytest.mark.parametrize(("variant", "names_it", "unaffected", "text"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_variant_is_named(variant, names_it, unaffected, text):
    report = _audit(variant, checks=[names_it, unaffected])
    assert report[names_it].failed, report
    assert text in report[names_it].figure, report
    assert report[unaffected].status == "pass", report


def test_wrong_sign_shows_the_jacobians_side_by_side():
    """Worst entries first: numeric 2.5 beside analytic -2.5, relative error 1."""
    report = _audit("MulConstantWrongSign", checks=["gradcheck"])
    details = report["gradcheck"].details
    assert "numeric (central differences) beside analytic" in details
    row = details.splitlines()[3].split()
    assert row[-3:] == ["2.5", "-2.5", "1.0e+00"], details


def test_wrong_dtype_is_caught_under_autocast_too():
    report = _audit("MulConstantWrongDtype", checks=["autocast", "parity_float16"])
    assert "output float32, reference bfloat16" in report["autocast"].figure
    assert report["parity_float16"].failed


def test_graph_break_is_counted():
    report = _audit("MulConstantGraphBreak", checks=["compile"])
    assert "1 graph break(s)" in report["compile"].figure
    assert "Data-dependent branching" in report["compile"].figure


class _SinOffUnderAutocast(torch.autograd.Function):
    """sin, but 1 % too large whenever autocast is on: the dtypes are right, the values not."""

    @staticmethod
    def forward(x):
        return torch.sin(x) * (1.01 if torch.is_autocast_enabled("cpu") else 1.0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.cos(x)


class _SinUnsignedGrad(_SinOffUnderAutocast):
    """sin with the incoming gradient's sign dropped: right for positive cotangents only."""

    @staticmethod
    def forward(x):
        return torch.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad.abs() * torch.cos(x)


def test_autocast_compares_values_not_only_dtypes():
    report = T.audit(_SinOffUnderAutocast, [(torch.randn(3, 4),)], reference=torch.sin, checks=["autocast"])
    assert report["autocast"].failed, report
    assert "under autocast(bfloat16) on float32 inputs" in report["autocast"].figure


def test_special_values_use_cotangents_of_both_signs():
    report = T.audit(
        _SinUnsignedGrad,
        [(torch.randn(5),)],
        reference=torch.sin,
        elementwise=True,
        checks=["special_values"],
    )
    assert report["special_values"].failed, report
    assert "gradient" in report["special_values"].figure


# --- the report and its promises ---------------------------------------------------------------


class _Raises(torch.autograd.Function):
    @staticmethod
    def forward(x):
        raise ValueError("a bug in forward")

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad):
        return grad


def test_a_bug_in_the_audited_code_is_a_failure_not_a_crash():
    report = T.audit(
        _Raises, [(torch.randn(3),)], reference=torch.sin, checks=["gradcheck", "parity_float32"]
    )
    assert [c.name for c in report.failures] == ["gradcheck", "parity_float32"]
    assert all("ValueError: a bug in forward" in c.figure for c in report.failures)
    with pytest.raises(T.AuditError, match="a bug in forward"):
        report.raise_for_failures()


def test_report_prints_one_line_per_check():
    report = T.audit(
        torch.sin, [(torch.randn(4),)], reference=torch.sin, checks=["gradcheck", "vmap", "autocast"]
    )
    lines = str(report).splitlines()
    assert lines[0] == "audit of torch.sin, reference torch.sin"
    assert [line.split()[:2] for line in lines[1:]] == [
        ["pass", "gradcheck"],
        ["pass", "vmap"],
        ["pass", "autocast"],
    ]
    report.raise_for_failures()


def test_unknown_check_is_refused():
    with pytest.raises(ValueError, match="unknown check"):
        T.audit(torch.sin, [(torch.randn(2),)], checks=["gradchek"])


def test_audit_takes_a_registry_entry():
    """An OpInfo stands for op, samples and reference, and its ``skips`` skip checks with their
    reasons; a name that is no check is refused."""
    (relu,) = [op for op in registry_ops.OPS if op.name == "relu"]
    report = T.audit(relu, checks=["parity_float32", "special_values", "formula_vs_kernel"])
    assert report.ok, report
    assert all(c.status == "pass" for c in report.checks), report
    skipping = dataclasses.replace(relu, skips={"special_values": "reason"})
    assert T.audit(skipping, checks=["special_values"])["special_values"].figure == "reason"
    misnamed = dataclasses.replace(relu, skips={"test_special_values": "reason"})
    with pytest.raises(ValueError, match="cannot skip unknown check 'test_special_values'"):
        T.audit(misnamed, checks=["special_values"])


# --- compilable ---------------------------------------------------------------------------------


def test_compilable_compiles_a_function_with_jvp():
    """Dynamo refuses the Function as it is; through compilable it compiles with fullgraph=True,
    and forward-mode AD still reaches the jvp in eager mode. (Without grad, Dynamo inlines
    forward and never looks at jvp.)"""
    x = torch.randn(5, requires_grad=True)
    torch._dynamo.reset()
    with pytest.raises(Exception, match="custom jvp"):
        torch.compile(lambda t: ext.MulConstantFull.apply(t, 2.0), backend="eager", fullgraph=True)(x)
    apply = T.compilable(ext.MulConstantFull)
    torch._dynamo.reset()
    out = torch.compile(lambda t: apply(t, 2.0), backend="eager", fullgraph=True)(x)
    torch._dynamo.reset()
    torch.testing.assert_close(out, 2 * x)
    _, tangent = torch.func.jvp(lambda t: apply(t, 2.0), (x.detach(),), (torch.ones(5),))
    torch.testing.assert_close(tangent, torch.full((5,), 2.0))


# --- pytest and the command line ----------------------------------------------------------------

test_documented_mul_constant_via_helper = T.pytest_audit(
    ext.MulConstantFull,
    [(torch.randn(3, 4, dtype=torch.float64), 2.5)],
    torch.mul,
    checks=["gradcheck", "jacfwd", "inplace"],
    elementwise=True,
)


def test_pytest_helper_fails_a_broken_op():
    test = T.pytest_audit(ext.MulConstantWrongJvp, [(torch.randn(3, dtype=torch.float64), 2.5)], torch.mul)
    (mark,) = test.pytestmark
    assert mark.args[0] == "check" and list(mark.args[1]) == list(T.CHECKS)
    with pytest.raises(pytest.fail.Exception, match="gradcheck_forward"):
        test("gradcheck_forward")
    with pytest.raises(pytest.skip.Exception, match="not in place"):
        test("inplace")


def test_command_line(capsys):
    target = "examples.audit_extending_pytorch:"
    assert cli([target + "MulConstantFull", "--reference", "torch.mul", "--args", "2.5",
                "--checks", "gradcheck,special_values"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert out.startswith("audit of examples.audit_extending_pytorch.MulConstantFull, reference torch.mul\n")
    assert "pass  special_values" in out
    assert cli([target + "MulConstantWrongSign", "--reference", "torch.mul", "--args", "2.5",
                "--checks", "gradcheck"]) == 1  # fmt: skip
    assert "FAIL  gradcheck" in capsys.readouterr().out
