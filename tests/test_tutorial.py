"""The tutorial runs, and its notebook is the script's (docs/tutorial.py → docs/tutorial.ipynb)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
DRAWN = ("g", "neuron", "branch", "classifier")  # the cells that end by showing a graph


def test_tutorial_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(DOCS / "tutorial.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert "1/x: -1/1.37² · 1.00 = -0.53" in printed
    assert "batch of 16: 4,294,967,296 entries, 16 GiB" in printed


def test_notebook_is_built_from_the_script():
    jupytext = pytest.importorskip("jupytext")
    script = jupytext.read(DOCS / "tutorial.py")
    notebook = jupytext.read(DOCS / "tutorial.ipynb")
    assert [(c.cell_type, c.source) for c in notebook.cells] == [
        (c.cell_type, c.source) for c in script.cells
    ], (
        "docs/tutorial.ipynb is stale: rebuild it with "
        "`python docs/build_notebook.py` (see the README's documentation section)"
    )
    drawn = [c for c in notebook.cells if c.cell_type == "code" and c.source.splitlines()[-1] in DRAWN]
    assert len(drawn) == len(DRAWN)
    for cell in drawn:  # executed, with the graph drawn inline
        assert any("image/svg+xml" in output.get("data", {}) for output in cell.outputs), cell.source
