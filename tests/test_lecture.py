"""The lecture's two worked backprop examples, rebuilt node by node from the torchlayers
graph primitives (add, mul, mul_constant, add_constant, exp, reciprocal).

The numbers the slides print are checked to their two decimals; the same gradients are also
checked exactly against the analytic derivative (σ'(s) = σ(s)(1 - σ(s)) for the neuron).
"""

from __future__ import annotations

import pytest
import torch

import torchlayers.functional as F


def _scalar(value: float) -> torch.Tensor:
    return torch.tensor(value, dtype=torch.float64, requires_grad=True)


def test_add_then_multiply():
    """f(x, y, z) = (x + y) z at x = 1, y = -3, z = 4: f = -8, ∂f/∂x = ∂f/∂y = z = 4, ∂f/∂z = x + y = -2."""
    x, y, z = _scalar(1.0), _scalar(-3.0), _scalar(4.0)
    d = F.add(x, y)  # the add node, d = x + y
    d.retain_grad()
    f = F.mul(d, z)  # the multiply node, f = d z
    f.backward()
    assert f.item() == -8.0
    assert d.item() == -2.0
    assert d.grad.item() == 4.0  # ∂f/∂d = z
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (4.0, 4.0, -2.0)


class SigmoidNeuron:
    """f = 1 / (1 + exp(-(w0 x0 + w1 x1 + b))) with the slides' (CS231n's) numbers, one node per
    primitive, every intermediate kept so its gradient can be read."""

    def __init__(self):
        self.w0, self.x0, self.w1, self.x1, self.b = map(_scalar, (2.0, -1.0, -3.0, -2.0, -3.0))
        self.w0x0 = F.mul(self.w0, self.x0)
        self.w1x1 = F.mul(self.w1, self.x1)
        self.dot = F.add(self.w0x0, self.w1x1)
        self.s = F.add(self.dot, self.b)  # the score w·x + b = 1
        self.negated = F.mul_constant(self.s, -1.0)  # *-1 node
        self.exp = F.exp(self.negated)  # exp node
        self.denominator = F.add_constant(self.exp, 1.0)  # +1 node
        self.f = F.reciprocal(self.denominator)  # 1/x node
        for node in (self.w0x0, self.w1x1, self.dot, self.s, self.negated, self.exp, self.denominator):
            node.retain_grad()
        self.f.backward()


@pytest.fixture(scope="module")
def neuron():
    return SigmoidNeuron()


def test_neuron_forward(neuron):
    assert neuron.s.item() == 1.0
    assert round(neuron.f.item(), 2) == 0.73
    torch.testing.assert_close(neuron.f, torch.sigmoid(neuron.s.detach()), rtol=0, atol=0)


def test_neuron_gradients_as_the_slides_print_them(neuron):
    printed = {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "b": 0.20}
    for name, value in printed.items():
        assert round(getattr(neuron, name).grad.item(), 2) == value, name


def test_neuron_gradients_equal_the_analytic_sigmoid_gradient(neuron):
    """∂f/∂s = σ(s)(1 - σ(s)), then the multiply gates swap: ∂f/∂w0 = x0 ∂f/∂s, ∂f/∂x0 = w0 ∂f/∂s…"""
    s = neuron.s.detach()
    sigma = torch.sigmoid(s)
    local = sigma * (1 - sigma)
    torch.testing.assert_close(neuron.s.grad, local)
    for weight, input in (("w0", "x0"), ("w1", "x1")):
        w, x = getattr(neuron, weight), getattr(neuron, input)
        torch.testing.assert_close(w.grad, x.detach() * local)
        torch.testing.assert_close(x.grad, w.detach() * local)
    torch.testing.assert_close(neuron.b.grad, local)
    # The same number from autograd through torch.sigmoid itself.
    s_leaf = s.clone().requires_grad_()
    (grad,) = torch.autograd.grad(torch.sigmoid(s_leaf), s_leaf)
    torch.testing.assert_close(neuron.s.grad, grad)


def test_neuron_intermediate_gradients(neuron):
    """Right to left, as on the slides: -1/x² = -0.53 at the 1/x node's input, 1·(-0.53) through
    the +1 node, e⁻¹·(-0.53) = -0.20 through exp, and (-1)(-0.20) = 0.20 after the add."""
    d = neuron.denominator.detach()
    assert round(neuron.denominator.grad.item(), 2) == -0.53
    torch.testing.assert_close(neuron.denominator.grad, -1 / d**2)  # d/dx 1/x = -1/x²
    assert round(neuron.exp.grad.item(), 2) == -0.53
    torch.testing.assert_close(neuron.exp.grad, neuron.denominator.grad)  # d/dx (c + x) = 1
    assert round(neuron.negated.grad.item(), 2) == -0.20
    torch.testing.assert_close(
        neuron.negated.grad, torch.exp(torch.tensor(-1.0, dtype=torch.float64)) * neuron.exp.grad
    )
    assert round(neuron.s.grad.item(), 2) == 0.20
    torch.testing.assert_close(neuron.s.grad, -neuron.negated.grad)  # d/dx (a x) = a with a = -1
    for node in (neuron.dot, neuron.w0x0, neuron.w1x1):  # the add gates pass 0.20 on unchanged
        torch.testing.assert_close(node.grad, neuron.s.grad, rtol=0, atol=0)


def test_sigmoid_gate_is_the_composed_graph(neuron):
    """The sigmoid node in one piece gives the composed graph's value and local gradient."""
    s = neuron.s.detach().clone().requires_grad_()
    f = F.sigmoid(s)
    f.backward()
    torch.testing.assert_close(f, neuron.f.detach())
    torch.testing.assert_close(s.grad, neuron.s.grad)
