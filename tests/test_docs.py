"""The documentation site builds from the docstrings and the tutorial with no warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # ~10 s of CPU: Sphinx imports torchlayers and renders every docstring
def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(ROOT / "docs"),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    api = (tmp_path / "api.html").read_text()
    for name in ("torchlayers.graph.record", "torchlayers.nn.Linear", "torchlayers.functional.relu"):
        assert f'id="{name}"' in api
    assert "image/svg" in (tmp_path / "tutorial.html").read_text() or list(
        (tmp_path / "_images").glob("*.svg")
    )
