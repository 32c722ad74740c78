"""Markdown tables for the reports of ``train``, ``examples`` and ``benchmarks``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]], align: str = "") -> str:
    """A GitHub markdown table; ``align`` gives one letter per column (``l``, ``r``, ``c``;
    missing or other letters: the default), e.g. ``"llllr"``. Ends with a newline."""
    markers = {"l": "---", "r": "---:", "c": ":---:"}
    rule = [markers.get(align[i] if i < len(align) else "", "---") for i in range(len(header))]
    lines = [header, *([str(cell) for cell in row] for row in rows)]
    text = ["| " + " | ".join(line) + " |\n" for line in lines]
    text.insert(1, "|" + "|".join(rule) + "|\n")
    return "".join(text)
