"""Builds docs/tutorial.ipynb from docs/tutorial.py and executes it, so the committed notebook
shows its outputs (the drawings inline) while the documentation build executes nothing.

    python docs/build_notebook.py

jupytext converts the percent script; nbclient (a dependency of myst-nb) runs it in the
``python3`` kernel of the current environment.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbclient
import nbformat

DOCS = Path(__file__).resolve().parent


def main() -> None:
    notebook = jupytext.read(DOCS / "tutorial.py")
    nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(DOCS)}},
    ).execute()
    nbformat.write(notebook, DOCS / "tutorial.ipynb")
    print(DOCS / "tutorial.ipynb")


if __name__ == "__main__":
    main()
