"""torchlayers.graph: recording, the slides' engine against torch's, and the lecture's numbers."""

from __future__ import annotations

import pytest
import torch

import torchlayers.functional as F
import torchlayers.graph as graph
import torchlayers.nn as tnn
from torchlayers.autograd import _function
from torchlayers.testing.ops import OPS


def _leaf(value, *shape) -> torch.Tensor:
    if shape:
        return torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    return torch.tensor(value, dtype=torch.float64, requires_grad=True)


def _grads(g):
    return [t.grad for t in g.inputs], [list(n.grads) for n in g.nodes]


def assert_engines_agree(g, f):
    """g.backward() and torch's engine (f.backward()) fill the same .grad of every input and the
    same grads of every node; every input that requires grad gets one."""
    g.zero_grad()
    g.backward()
    ours = _grads(g)
    g.zero_grad()
    f.backward()
    torch.testing.assert_close(_grads(g), ours, rtol=1e-12, atol=1e-14)
    assert all(grad is not None for grad, t in zip(ours[0], g.inputs, strict=True) if t.requires_grad)


def record(build, **names):
    """build() recorded: the graph and its output."""
    with graph.record(**names) as g:
        f = build()
    return g, f


# --- the lecture's examples ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "xyz, f, q, grads",
    [
        ((-2.0, 5.0, -4.0), -12.0, 3.0, (-4.0, -4.0, 3.0)),  # CS231n's numbers
        ((1.0, -3.0, 4.0), -8.0, -2.0, (4.0, 4.0, -2.0)),  # the lecture text's
    ],
)
def test_add_then_multiply(xyz, f, q, grads):
    x, y, z = (_leaf(v) for v in xyz)
    g, out = record(lambda: F.mul(F.add(x, y), z), x=x, y=y, z=z)
    assert [n.name for n in g.nodes] == ["add", "mul"]
    assert all(a is b for a, b in zip(g.inputs, (x, y, z), strict=True))
    assert (g.nodes[0].value.item(), g.nodes[1].value.item()) == (q, f)
    assert g.nodes[0].grad is None
    g.backward()
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == grads
    assert (g.nodes[0].grad.item(), g.nodes[1].grad.item()) == (z.item(), 1.0)  # ∂f/∂q = z
    assert_engines_agree(g, out)


def _neuron():
    w0, x0, w1, x1, w2 = (_leaf(v) for v in (2.0, -1.0, -3.0, -2.0, -3.0))
    names = dict(w0=w0, x0=x0, w1=w1, x1=x1, w2=w2)

    def build():
        s = F.add(F.add(F.mul(w0, x0), F.mul(w1, x1)), w2)
        return F.reciprocal(F.add_constant(F.exp(F.mul_constant(s, -1.0)), 1.0))

    g, f = record(build, **names)
    return g, f, names


def test_neuron_as_the_slides_print_it():
    g, f, leaves = _neuron()
    assert [n.name for n in g.nodes] == [
        "mul", "mul", "add", "add", "mul_constant", "exp", "add_constant", "reciprocal",
    ]  # fmt: skip
    assert round(g.nodes[-1].value.item(), 2) == 0.73
    g.backward()
    printed = {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}
    assert {name: round(t.grad.item(), 2) for name, t in leaves.items()} == printed
    # right to left: 1.00 at the output, -0.53 into 1/x, -0.53 through +1, -0.20 through exp, 0.20 after *-1
    slides = [1.0, -0.53, -0.53, -0.20, 0.20, 0.20, 0.20, 0.20]
    assert [round(n.grad.item(), 2) for n in reversed(g.nodes)] == slides
    assert_engines_agree(g, f)


def test_sigmoid_gate_equals_its_composed_graph():
    g, _, _ = _neuron()
    g.backward()
    score = g.nodes[3]  # w0 x0 + w1 x1 + w2
    s = score.value.clone().requires_grad_()
    with graph.record(s=s) as gate:
        F.sigmoid(s)
    gate.backward()
    torch.testing.assert_close(gate.nodes[0].value, g.nodes[-1].value)
    torch.testing.assert_close(s.grad, score.grad)  # σ(1 - σ) = the composed gates' product


def test_explain_reads_as_the_slides():
    g, _, _ = _neuron()
    with pytest.raises(RuntimeError, match="backward"):
        g.explain()
    g.backward()
    lines = g.explain().splitlines()
    for line in (
        "1/x: -1/1.37² · 1.00 = -0.53",
        "+1: 1 · -0.53 = -0.53",
        "exp: e^-1.00 · -0.53 = -0.20",
        "*-1: -1 · -0.20 = 0.20",
        "* #0 → x0: 2.00 · 0.20 = 0.39",
        "∂f/∂x1 = -0.59",
    ):
        assert line in lines


# --- branches and shared weights --------------------------------------------------------------


def test_a_value_used_by_two_nodes_sums_its_gradients():
    x = _leaf(None, 3)

    def build():
        a = F.exp(x)
        return F.mse_loss(F.mul(a, F.sigmoid(a)), torch.zeros(3, dtype=torch.float64))

    g, f = record(build, x=x)
    exp = g.nodes[0]
    assert sum(any(i is exp for i in n.inputs) for n in g.nodes) == 2
    assert_engines_agree(g, f)
    assert "gradients add at the branch" in g.explain()


def test_one_tensor_twice_in_one_node():
    x = _leaf(3.0)
    g, f = record(lambda: F.mul(x, x), x=x)
    g.backward()
    assert x.grad.item() == 6.0  # d(x²)/dx = 2x: both inputs of the multiply gate are x
    assert_engines_agree(g, f)


def test_a_weight_shared_by_two_layers():
    layer = tnn.Linear(4, 4, dtype=torch.float64)
    x, target = torch.randn(5, 4, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64)
    g, f = record(lambda: F.mse_loss(layer(F.relu(layer(x))), target), layer=layer)
    assert sum(any(i is layer.weight for i in n.inputs) for n in g.nodes) == 2
    assert g.label(layer.weight) == "layer.weight"
    assert_engines_agree(g, f)


ACTIVATIONS = [
    tnn.ReLU,
    tnn.Sigmoid,
    tnn.Tanh,
    tnn.LeakyReLU,
    tnn.ELU,
    lambda: tnn.PReLU(dtype=torch.float64),
]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mlp_with_hinge_loss_and_regularization(activation):
    """The lecture's "linear node + hinge loss + regularization" graph, two layers deep."""
    first, second = tnn.Linear(6, 8, dtype=torch.float64), tnn.Linear(8, 3, dtype=torch.float64)
    act, hinge = activation(), tnn.MultiMarginLoss()
    x, y = torch.randn(4, 6, dtype=torch.float64), torch.tensor([0, 2, 1, 2])

    def build():
        data_loss = hinge(second(act(first(x))), y)
        return F.add(data_loss, F.l2_regularization(first.weight, second.weight, weight=1e-2))

    g, f = record(build)
    assert [n.name for n in g.nodes][-3:] == ["multi_margin_loss", "l2_regularization", "add"]
    assert_engines_agree(g, f)
    assert "linear" in g.explain()


def test_functions_with_several_outputs():
    """Maxout returns its winner, cross entropy (loss, log p, Σw): non-differentiable outputs get None."""
    maxout = tnn.Maxout(5, 4, pieces=3).double()
    x, y = torch.randn(6, 5, dtype=torch.float64), torch.tensor([0, 1, 2, 3, 0, 1])
    g, f = record(lambda: tnn.CrossEntropyLoss()(maxout(x), y))
    assert [n.name for n in g.nodes] == ["maxout", "cross_entropy"]
    assert len(g.nodes[0].outputs) == 2 and len(g.nodes[1].outputs) == 3
    assert_engines_agree(g, f)


def test_in_place_nodes():
    """An in-place call is a node of its own; the value it overwrote keeps its recorded copy."""
    layer = tnn.Linear(3, 3, dtype=torch.float64)
    x = torch.randn(2, 3, dtype=torch.float64)

    def build():
        h = F.mul_constant(layer(x), 2.0, inplace=True)  # linear saved x and W, not its output
        return F.mse_loss(F.relu(h, inplace=True), torch.zeros(2, 3, dtype=torch.float64))

    g, f = record(build)
    assert [n.name for n in g.nodes] == ["linear", "mul_constant", "relu", "mse_loss"]
    assert g.nodes[1].inputs[0] is g.nodes[0] and g.nodes[2].inputs[0] is g.nodes[1]
    torch.testing.assert_close(g.nodes[1].value, 2 * g.nodes[0].value)
    assert (g.nodes[1].value < 0).any() and not (g.nodes[2].value < 0).any()
    assert_engines_agree(g, f)


def test_a_saved_tensor_overwritten_in_place_is_refused_as_torch_refuses_it():
    x = _leaf(None, 4)
    with graph.record() as g:
        f = F.relu(F.exp(x), inplace=True)  # exp saved its output, which relu then overwrites
    with pytest.raises(RuntimeError, match="exp: a tensor it saved for backward was modified in place"):
        g.backward(gradient=torch.ones(4, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        f.sum().backward()


def test_backward_after_torchs_engine_freed_the_graph():
    g, f, leaves = _neuron()
    f.backward()  # frees the saved tensors of torch's graph
    torch_grads = {name: t.grad.clone() for name, t in leaves.items()}
    g.zero_grad()
    g.backward()
    assert {name: t.grad for name, t in leaves.items()} == torch_grads


# --- torch ops, recording, values ---------------------------------------------------------------


def test_torch_ops_are_nodes_that_backward_refuses_by_name():
    x = _leaf(None, 3)
    with graph.record(x=x) as g:
        f = (F.exp(x) * 2).sum()
    assert [n.name for n in g.nodes] == ["exp", "torch.mul", "torch.sum"]
    assert [n.foreign for n in g.nodes] == [False, True, True]
    with pytest.raises(RuntimeError, match=r"torch\.mul #1, torch\.sum #2 are torch ops"):
        g.backward()
    f.backward()  # torch's engine fills every node's gradient, foreign ones included
    torch.testing.assert_close(g.nodes[0].grad, torch.full((3,), 2.0, dtype=torch.float64))
    assert g.nodes[2].grad.item() == 1.0


def test_printing_inside_record_adds_no_node(capsys):
    x = _leaf(1.0)
    with graph.record() as g:
        y = F.exp(x)
        print(y, f"{y.item():.2f}")
    assert [n.name for n in g.nodes] == ["exp"]


def test_node_fields():
    x, y = _leaf(-2.0), _leaf(5.0)
    with graph.record(x=x, y=y) as g:
        q = F.mul(x, y)
    (node,) = g.nodes
    assert node.function.__name__ == "MulFunction"
    assert node.inputs[0] is x and node.inputs[1] is y
    assert node.value.item() == -10.0 and not node.value.requires_grad
    assert g.node(q) is node
    assert [t.item() for t in node.saved] == [-2.0, 5.0]  # the multiply gate caches both inputs
    assert node.attributes["input_shape"] == torch.Size([])
    assert node.grad is None


def test_recording_is_off_outside_the_block_and_does_not_nest():
    x = _leaf(1.0)
    with pytest.raises(ValueError), graph.record():
        raise ValueError
    assert _function.recording is None
    with graph.record() as g, pytest.raises(RuntimeError, match="do not nest"), graph.record():
        pass
    F.exp(x)
    assert g.nodes == []


def test_large_values_are_summarised():
    layer = tnn.Linear(4096, 16, dtype=torch.float64)
    x = torch.randn(16, 4096, dtype=torch.float64)
    g, _ = record(lambda: F.mse_loss(layer(x), torch.zeros(16, 16, dtype=torch.float64)))
    text = repr(g)
    assert "(16, 16) float64 ‖·‖=" in text and "4096" not in text.split("\n")[1][:10]
    g.backward()
    explanation = g.explain()
    assert "(16, 4096) float64 ‖·‖=" in explanation and len(explanation) < 2000


def test_any_function_through_the_dispatcher_is_a_node():
    """Not only torchlayers' own: a Function with two outputs, one non-differentiable, and a ctx attribute."""
    from torch.autograd import Function

    class ScaledSquareFunction(Function):
        @staticmethod
        def forward(input, scale):
            return scale * input * input, (input > 0).sum()

        @staticmethod
        def setup_context(ctx, inputs, output):
            input, scale = inputs
            ctx.scale = scale
            ctx.mark_non_differentiable(output[1])
            ctx.set_materialize_grads(False)
            ctx.save_for_backward(input)

        @staticmethod
        def backward(ctx, grad_output, _grad_count):
            (input,) = ctx.saved_tensors
            return 2 * ctx.scale * input * grad_output, None  # d(a x²)/dx = 2 a x

    apply = _function.dispatcher(ScaledSquareFunction)
    x = _leaf(None, 5)
    g, f = record(lambda: F.mse_loss(apply(F.exp(x), 3.0)[0], torch.zeros(5, dtype=torch.float64)), x=x)
    assert [n.name for n in g.nodes] == ["exp", "scaled_square", "mse_loss"]
    assert g.nodes[1].attributes["scale"] == 3.0 and g.nodes[1].constants == {1: 3.0}
    assert_engines_agree(g, f)


def test_an_mlp_model():
    from torchlayers.models import MLP

    model = MLP(12, [16, 16], 4, activation="tanh").double()
    x, y = torch.randn(8, 12, dtype=torch.float64), torch.randint(0, 4, (8,))
    g, f = record(lambda: tnn.CrossEntropyLoss()(model(x), y), net=model)
    assert all(not n.foreign for n in g.nodes)
    assert_engines_agree(g, f)


def test_an_input_computed_before_recording_hands_its_gradient_to_torch():
    w = _leaf(None, 3)
    doubled = w * 2  # torch's history, outside the graph
    g, f = record(lambda: F.mse_loss(F.sigmoid(doubled), torch.zeros(3, dtype=torch.float64)))
    assert g.inputs[0] is doubled
    g.backward()
    ours = w.grad.clone()
    w.grad = None
    f.backward()
    torch.testing.assert_close(ours, w.grad)


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in OPS])
def test_every_op_in_the_registry(op):
    """Each op's samples, any shape (empty and 0-d included), recorded as one node: g.backward()
    with a random upstream gradient equals torch's engine."""
    for sample in op.sample_inputs(torch.device("cpu"), torch.float64, True):
        with graph.record() as g:
            out = op.op(*sample.args, **sample.kwargs)
        assert not any(n.foreign for n in g.nodes), [n.name for n in g.nodes]
        assert g.nodes and g.nodes[-1].value.shape == out.shape
        if not out.requires_grad:
            continue
        gradient = torch.randn_like(out)
        g.zero_grad()  # samples may share tensors
        g.backward(gradient=gradient)
        ours = _grads(g)
        g.zero_grad()
        out.backward(gradient)
        torch.testing.assert_close(_grads(g), ours, rtol=1e-12, atol=1e-14)
