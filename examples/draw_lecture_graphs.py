"""Draws the lecture's two worked examples with their forward values and backward gradients.

    python examples/draw_lecture_graphs.py [--out docs/images]

Writes ``add_mul.png`` (f = (x + y) z at x = -2, y = 5, z = -4) and ``neuron.png`` (the sigmoid
neuron 1 / (1 + e^-(w0 x0 + w1 x1 + w2)) at w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3), each
recorded with ``torchlayers.graph`` and backpropagated by ``Graph.backward``, the images the
README and the tutorial show.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

import torchlayers.functional as F
import torchlayers.graph as graph


def leaves(**values: float) -> dict[str, torch.Tensor]:
    return {name: torch.tensor(v, dtype=torch.float64, requires_grad=True) for name, v in values.items()}


def add_mul() -> graph.Graph:
    """f = (x + y) z: q = 3, f = -12; ∂f/∂x = ∂f/∂y = z = -4, ∂f/∂z = q = 3."""
    t = leaves(x=-2.0, y=5.0, z=-4.0)
    with graph.record(**t) as g:
        F.mul(F.add(t["x"], t["y"]), t["z"])
    g.backward()
    return g


def neuron() -> graph.Graph:
    """f = 1 / (1 + e^-(w0 x0 + w1 x1 + w2)) gate by gate: f = 0.73; ∂f/∂w0 = -0.20, ∂f/∂x0 = 0.39…"""
    t = leaves(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0)
    with graph.record(**t) as g:
        score = F.add(F.add(F.mul(t["w0"], t["x0"]), F.mul(t["w1"], t["x1"])), t["w2"])
        F.reciprocal(F.add_constant(F.exp(F.mul_constant(score, -1.0)), 1.0))
    g.backward()
    return g


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "images"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, build in (("add_mul", add_mul), ("neuron", neuron)):
        print(build().draw(args.out / f"{name}.png"))


if __name__ == "__main__":
    main()
