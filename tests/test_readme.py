"""The README's ops table names the formulas that run and the kernels that stand in for them:
every formula it names exists in the package, every ``@stand_in`` formula is named, and every
kernel it names is one the kernel table calls."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import torchlayers
from torchlayers.autograd import kernels

README = Path(__file__).resolve().parents[1] / "README.md"
FORMULA_COLUMN, KERNEL_COLUMN = 5, 6


def _rows() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("<!-- ops-table -->") : text.index("<!-- /ops-table -->")]
    lines = [line for line in table.splitlines() if line.startswith("| ")][1:]  # no header
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines]


def _names(cell: str) -> set[str]:
    """Backticked names of a cell, ``f(_)`` standing for both ``f`` and ``f_``."""
    names = set()
    for name in re.findall(r"`([^`]+)`", cell):
        if name.endswith("(_)"):
            names |= {name[:-3], name[:-3] + "_"}
        else:
            names.add(name)
    return names


def _package_functions() -> set[str]:
    return {
        name
        for module_name, module in sys.modules.items()
        if module_name.startswith("torchlayers.autograd")
        for name, value in vars(module).items()
        if callable(value)
    }


def test_ops_table_names_every_formula_that_exists():
    assert torchlayers.autograd  # every family imported
    named = set().union(*(_names(row[FORMULA_COLUMN]) for row in _rows()))
    assert not named - _package_functions(), "named in the README, absent from the package"
    assert not set(kernels.FORMULAS) - named, "a @stand_in formula the README does not name"


def test_ops_table_names_only_kernels_of_the_table():
    overloads = [op for entry in kernels.KERNELS.values() for op in entry.aten]
    aten_names = {op.name().split("::")[1].split(".")[0] for op in overloads}
    for row in _rows():
        for name in _names(row[KERNEL_COLUMN]):
            # "nll_loss(2d)_forward" stands for nll_loss_forward and nll_loss2d_forward
            spelled = {name.replace("(2d)", ""), name.replace("(2d)", "2d")}
            assert spelled & aten_names or name == "mm", f"{name} is not a kernel of the table"
