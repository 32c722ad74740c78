"""``torch.compile(fullgraph=True)`` of networks of torchlayers' modules against eager mode.

Every op alone, in place too (torch has in the past returned silently wrong gradients for
``mark_dirty`` under AOTAutograd), is compiled by the audit's ``compile`` and ``inplace`` checks
(``tests/test_audit_registry.py``). Here: a network of every core module as one graph with no
break, forward-mode AD after compiling, and one tiny network through ``inductor``.
"""

from __future__ import annotations

import pytest
import torch

import torchlayers.functional as F
import torchlayers.nn as tnn
from tests._helpers import assert_same_grads, grads


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    """Each test compiles from scratch (no cache hits, no recompile limit carried over)."""
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def _compare_compiled(fn, tensors, backend="aot_eager"):
    compiled = torch.compile(fn, backend=backend, fullgraph=True)
    expected = fn(*tensors)
    actual = compiled(*tensors)
    torch.testing.assert_close(actual, expected)
    grad_output = torch.randn_like(expected)
    assert_same_grads(grads(actual, list(tensors), grad_output), grads(expected, list(tensors), grad_output))


def test_no_graph_breaks_in_a_network():
    """A network of every core module traces as one graph with no break."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        tnn.Linear(6, 8),
        tnn.PReLU(),
        tnn.Maxout(8, 8, pieces=2),
        tnn.ELU(inplace=True),
        tnn.MulConstant(0.5),
        tnn.AddConstant(1.0),
        tnn.LeakyReLU(0.1),
        tnn.Tanh(),
        tnn.ReLU(inplace=True),
        tnn.Sigmoid(),
    )
    x = torch.randn(4, 6)
    explanation = torch._dynamo.explain(model)(x)
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1


def test_forward_mode_ad_survives_compilation():
    """Compiling switches to the jvp-free twin only while tracing: eager forward AD still works."""
    x = torch.randn(5, dtype=torch.float64)
    torch.compile(F.sigmoid, backend="aot_eager", fullgraph=True)(x)
    tangent = torch.randn_like(x)
    _, jvp = torch.func.jvp(F.sigmoid, (x,), (tangent,))
    torch.testing.assert_close(jvp, tangent * torch.sigmoid(x) * (1 - torch.sigmoid(x)))


def test_inductor_network_matches_eager():
    """The one inductor test, kept tiny: a two-layer MLP with an in-place activation."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(tnn.Linear(3, 4), tnn.ReLU(inplace=True), tnn.Linear(4, 2), tnn.Sigmoid())
    x = torch.randn(5, 3, requires_grad=True)
    _compare_compiled(
        lambda input, *params: torch.func.functional_call(model, _named(model, params), (input,)),
        [x, *model.parameters()],
        backend="inductor",
    )


def _named(model, values):
    return dict(zip([name for name, _ in model.named_parameters()], values, strict=True))
