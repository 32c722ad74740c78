"""The Function machinery of ``_function.py``: the apply path's cheap argument binding and the
dispatcher's twins."""

from __future__ import annotations

import inspect

import pytest
import torch
import torch.nn.functional as TF
from torch.autograd.function import FunctionCtx, _is_setup_context_defined

from torchlayers.autograd import LeakyReLUFunction, ReLUFunction, SigmoidFunction
from torchlayers.autograd._function import bind_positionally, dispatcher


def test_positional_signature_binds_like_inspect():
    """The fast binding of a complete positional call equals ``inspect``'s; other calls
    (keywords, defaults, wrong arity) go through ``inspect`` unchanged."""
    bind_positionally(LeakyReLUFunction)
    signature = inspect.signature(LeakyReLUFunction.forward)
    x = torch.randn(3)
    plain = inspect.Signature(list(signature.parameters.values()))
    fast = signature.bind(x, 0.1, False)
    reference = plain.bind(x, 0.1, False)
    assert fast.args == reference.args and fast.kwargs == reference.kwargs
    assert fast.arguments == reference.arguments
    keyword = signature.bind(x, 0.1, inplace=True)
    assert keyword.args == (x, 0.1, True) and keyword.kwargs == {}
    with pytest.raises(TypeError):
        signature.bind(x, 0.1)
    with pytest.raises(TypeError):
        signature.bind(x, 0.1, False, 4)


def test_apply_with_keywords_still_works():
    x = torch.randn(5, requires_grad=True)
    torch.testing.assert_close(ReLUFunction.apply(x, inplace=False), torch.relu(x))
    torch.testing.assert_close(LeakyReLUFunction.apply(x, 0.3, False), TF.leaky_relu(x, 0.3))


# --- dispatcher: which twin runs ------------------------------------------------------------


def _forward_cls(output: torch.Tensor) -> type:
    return output.grad_fn._forward_cls


def test_dispatcher_routes_eager_calls_to_the_ctx_forward_twin():
    """Eager calls outside ``torch.func`` run the ``forward(ctx, ...)`` twin (same name, same
    backward and jvp); under a transform they run the ``setup_context`` Function itself."""
    x = torch.randn(4, 3, requires_grad=True)
    apply = dispatcher(SigmoidFunction)
    eager = _forward_cls(apply(x))
    assert eager is not SigmoidFunction and eager.__name__ == "SigmoidFunction"
    assert eager.backward is SigmoidFunction.backward and eager.jvp is SigmoidFunction.jvp
    assert not _is_setup_context_defined(eager.setup_context)
    with pytest.raises(RuntimeError, match="setup_context"):
        torch.func.vmap(eager.apply)(x.detach())  # why transforms must not get the twin
    batched = torch.func.vmap(apply)(x.detach())
    torch.testing.assert_close(batched, torch.sigmoid(x.detach()))


def test_ctx_forward_twin_forward_ad_and_double_backward():
    """The eager twin keeps forward-mode AD (its jvp) and double backward."""
    apply = dispatcher(SigmoidFunction)
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(apply, (x,), check_forward_ad=True)
    torch.autograd.gradgradcheck(apply, (x,))


def test_ctx_forward_twin_keeps_tensors_for_jvp_only_inside_a_dual_level(monkeypatch):
    """Outside forward-mode AD no input has a tangent, so the twin skips torch's
    ``save_for_forward``; inside a dual level it saves, and jvp reads what it saved."""
    calls = []
    save_for_forward = FunctionCtx.save_for_forward

    def counted(ctx, *tensors):
        calls.append(len(tensors))
        save_for_forward(ctx, *tensors)

    monkeypatch.setattr(FunctionCtx, "save_for_forward", counted)
    apply = dispatcher(SigmoidFunction)
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    apply(x)
    assert calls == []
    tangent = torch.randn(5, dtype=torch.float64)
    with torch.autograd.forward_ad.dual_level():
        output = apply(torch.autograd.forward_ad.make_dual(x, tangent))
        dual = torch.autograd.forward_ad.unpack_dual(output)
    assert calls == [1]
    sigmoid = torch.sigmoid(x.detach())
    torch.testing.assert_close(dual.tangent, sigmoid * (1 - sigmoid) * tangent)  # dσ = σ(1 - σ) dx
