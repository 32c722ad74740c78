"""Sphinx configuration: the API from the docstrings (autodoc, Google-style sections through
napoleon) and the tutorial notebook as committed (myst-nb, executing nothing).

    sphinx-build -W -b html docs docs/_build/html
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's torchlayers

import torchlayers

project = "torchlayers"
release = version = torchlayers.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax", "myst_nb"]
exclude_patterns = ["_build", "images"]
nb_execution_mode = "off"  # the notebook is committed executed (docs/build_notebook.py)
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": False}
napoleon_custom_sections = [("Shape", "params_style")]  # torch.nn's "Shape:" section
html_theme = "alabaster"
autodoc_inherit_docstrings = False  # not torch.autograd.Function.forward's docs on every Function
