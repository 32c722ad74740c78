"""Graph.draw, to_dot and the Jupyter view: the files the slides' pictures are made of."""

from __future__ import annotations

import re

import pytest
import torch

import torchlayers.functional as F
import torchlayers.graph as graph
import torchlayers.nn as tnn

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def neuron():
    values = (2.0, -1.0, -3.0, -2.0, -3.0)
    w0, x0, w1, x1, w2 = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values)
    with graph.record(w0=w0, x0=x0, w1=w1, x1=x1, w2=w2) as g:
        s = F.add(F.add(F.mul(w0, x0), F.mul(w1, x1)), w2)
        f = F.reciprocal(F.add_constant(F.exp(F.mul_constant(s, -1.0)), 1.0))
    f.backward()
    return g


def _svg_ids(text: str, kind: str) -> list[str]:
    return re.findall(rf'id="({kind}-\d+)"', text)


def test_svg_has_one_drawn_node_per_graph_node(neuron, tmp_path):
    text = neuron.draw(tmp_path / "neuron.svg").read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert sorted(_svg_ids(text, "node")) == sorted(f"node-{i}" for i in range(len(neuron.nodes)))
    assert len(_svg_ids(text, "input")) == len(neuron.inputs) == 5
    for label in ("1/x", "exp", "+1", "*-1"):  # the gates as the slides label them
        assert f">{label}<" in text
    assert "0.73" in text and "-0.53" in text  # the output's value, a gradient below an edge


def test_png_and_pdf(neuron, tmp_path):
    assert neuron.draw(tmp_path / "neuron.png").read_bytes().startswith(PNG_SIGNATURE)
    assert neuron.draw(tmp_path / "neuron.pdf").read_bytes().startswith(b"%PDF")


def test_drawing_is_reproducible(neuron, tmp_path):
    first = neuron.draw(tmp_path / "a.svg").read_bytes()
    assert neuron.draw(tmp_path / "b.svg").read_bytes() == first


def test_dot_export(neuron, tmp_path):
    text = neuron.draw(tmp_path / "neuron.dot").read_text()
    assert text.startswith("digraph") and text.rstrip().endswith("}")
    assert len(re.findall(r"^\s*node\d+ \[", text, flags=re.M)) == len(neuron.nodes)
    assert len(re.findall(r"->", text)) == 13  # 2 per binary gate, 1 per unary gate, 1 out of 1/x
    assert '<font color="#1a7f37">0.73</font><br/><font color="#b42318">1.00</font>' in text


def test_jupyter_shows_the_svg(neuron):
    assert "<svg" in neuron._repr_svg_()


def test_unknown_format_is_refused(neuron, tmp_path):
    with pytest.raises(ValueError, match=r"cannot tell a format from 'neuron\.jpeg'"):
        neuron.draw(tmp_path / "neuron.jpeg")


def test_an_mlp_with_torch_ops_draws(tmp_path):
    """Tensor-valued edges are labelled by shape and norm; torch ops are drawn too (dashed)."""
    model = torch.nn.Sequential(tnn.Linear(10, 32), tnn.ReLU(), tnn.Linear(32, 3))
    x, y = torch.randn(8, 10), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    with graph.record(x=x, net=model) as g:
        loss = tnn.MultiMarginLoss()(model(x), y) + F.l2_regularization(model[0].weight, weight=1e-3)
    loss.backward()
    text = g.draw(tmp_path / "mlp.svg").read_text()
    assert len(_svg_ids(text, "node")) == len(g.nodes) == 6
    assert ">net.0.weight<" in text and "8×32 ‖" in text
