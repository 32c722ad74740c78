"""What the repository says about training: the README's commands and trust model, ``make``'s
targets, and ``make bench`` leaving the tracked reports alone unless asked."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _training_section() -> str:
    readme = (REPO / "README.md").read_text()
    return readme[readme.index("## Training") : readme.index("<!-- training -->")]


@pytest.mark.parametrize("path", ["README.md", "benchmarks/RESULTS.md", "Makefile", "train", "tests/train"])
def test_no_folder_outside_the_repository_is_named(path):
    files = [REPO / path] if (REPO / path).is_file() else sorted((REPO / path).rglob("*.py"))
    files += sorted((REPO / path).rglob("*.yaml")) if (REPO / path).is_dir() else []
    for file in files:
        text = file.read_text()
        for pattern in (r"\.\./" + "shared", r"\." + "devdata", "/" + "work/"):
            assert not re.search(pattern, text), f"{file.relative_to(REPO)} names {pattern}"


def test_the_training_section_states_the_trust_model_and_the_options():
    section = _training_section()
    for needed in (
        "an ImageFolder copy of CIFAR-10",  # what --data.root holds offline
        "cifar-10-batches-py",
        "class_path",  # a config is code
        "weights_only=True",  # a checkpoint is data
        "--data.check_integrity false",
        "--plot",  # the curves are written only when asked
        "--seeds",
    ):
        assert needed in section, needed


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_clean_removes_what_the_tools_leave():
    dry = subprocess.run(["make", "-n", "clean"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for left in (
        ".venv",
        "runs",
        "lightning_logs",
        "data",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        "*.egg-info",
    ):
        assert re.search(rf"(^|\s){re.escape(left)}(\s|$)", dry), left


def test_bench_rewrites_the_tracked_reports_only_when_asked(tmp_path, monkeypatch):
    from benchmarks import __main__ as bench
    from benchmarks import mlp, ops, overhead, report

    for part in (ops, mlp, overhead):
        monkeypatch.setattr(part, "run", lambda config: {"records": []})
    written = []
    monkeypatch.setattr(report, "save", lambda result, directory: tmp_path / "result.json")
    monkeypatch.setattr(report, "write_markdown", lambda *args, **kwargs: written.append(args) or tmp_path)
    bench.main(["--device", "cpu", "--output-dir", str(tmp_path)])  # a full run, as `make bench`
    assert written == []
    bench.main(["--device", "cpu", "--output-dir", str(tmp_path), "--write-readme"])
    assert len(written) == 1
