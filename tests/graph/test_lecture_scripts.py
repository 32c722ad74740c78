"""examples/draw_lecture_graphs.py and examples/jacobian.py: the README's images and table."""

from __future__ import annotations

import runpy
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_lecture_drawings(tmp_path):
    script = runpy.run_path(str(EXAMPLES / "draw_lecture_graphs.py"))
    script["main"](["--out", str(tmp_path)])
    for name in ("add_mul", "neuron"):
        assert (tmp_path / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    neuron = script["neuron"]()
    assert round(neuron.nodes[-1].value.item(), 2) == 0.73
    assert [round(t.grad.item(), 2) for t in neuron.inputs] == [-0.20, 0.39, -0.39, -0.59, 0.20]


def test_jacobian_size_by_arithmetic():
    """(16 · 4096)² float32 entries: 17,179,869,184 bytes, 16 GiB; one sample's 64 MiB."""
    script = runpy.run_path(str(EXAMPLES / "jacobian.py"))
    assert script["stated"](16)[2] == "16 GiB (= 17,179,869,184 B)"
    assert script["stated"](1)[2] == "64 MiB (= 67,108,864 B)"
