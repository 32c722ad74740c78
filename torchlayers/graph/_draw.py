"""Drawing a recorded graph as the slides do: gates left to right, each edge labelled with the
value it carries (above, green) and that value's gradient (below, red); a value that feeds several
nodes is labelled on one of its edges (in DOT, on every edge: Graphviz places the labels).

networkx lays the graph out in layers (``multipartite_layout``: a node's layer is one past its
deepest input, an input sits just before its first consumer) and matplotlib draws it, so PNG,
SVG and PDF need pip packages only. :func:`to_dot` writes the same picture in Graphviz's DOT.
In an SVG, the gate of node ``i`` is the element ``id="node-i"`` and input ``j`` is ``id="input-j"``.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

from torch import Tensor

from torchlayers.graph import _format
from torchlayers.graph._explain import gate

VALUE_COLOUR, GRAD_COLOUR = "#1a7f37", "#b42318"
LAYER_WIDTH, ROW_HEIGHT = 1.7, 0.9  # inches
BOW = 0.25  # how far an edge that skips layers curves, per unit of its length
_MATPLOTLIB_FORMATS = {".png", ".svg", ".pdf"}
_DOT_FORMATS = {".dot", ".gv"}


def _edges(graph):
    """(source key, target key, value, gradient) per edge, plus an edge out of every unused node."""
    edges = []
    used = set()
    for j, node in enumerate(graph.nodes):
        for _, source, _, _ in node._sources:
            if isinstance(source, Tensor):
                key, value, grad = ("input", graph.input_index(source)), source, source.grad
            else:
                producer, k = source
                used.add(id(producer))
                key = ("node", graph.nodes.index(producer))
                value, grad = producer.outputs[k], producer.grads[k]
            edges.append((key, ("node", j), value, grad))
    for j, node in enumerate(graph.nodes):
        if id(node) not in used:
            edges.append((("node", j), ("output", j), node.value, node.grad))
    return edges


def _layout(graph, edges) -> dict:
    """Positions in inches: networkx's layered layout (``multipartite_layout``), a layer per
    ``LAYER_WIDTH``, a row per ``ROW_HEIGHT``. Each node sits as late as its consumers allow, so
    one fed only by inputs (λΣW²) stands just before the node that uses it, and each input just
    before its first consumer; a layer's rows are in recording order, so the lecture's examples
    read as the slides draw them."""
    import networkx as nx

    consumers: dict = {}
    for source, target, _, _ in edges:
        consumers.setdefault(source, []).append(target)
    depth: dict = {}  # the longest path from the inputs: how many layers there are
    for j, node in enumerate(graph.nodes):
        producers = [
            ("node", graph.nodes.index(s[0])) for _, s, _, _ in node._sources if isinstance(s, tuple)
        ]
        depth[("node", j)] = 1 + max((depth[p] for p in producers), default=0)
    last = max(depth.values()) + 1
    layer: dict = {}
    order: dict = {}
    for j in reversed(range(len(graph.nodes))):
        key = ("node", j)
        layer[key] = min(layer.get(t, last) for t in consumers[key]) - 1
        order[key] = (j, 0)
    for source, targets in consumers.items():
        if source[0] == "input":
            layer[source] = min(layer[t] for t in targets) - 1
            order[source] = (min(t[1] for t in targets), source[1] - len(graph.inputs))
        for target in targets:
            if target[0] == "output":
                layer[target], order[target] = last, order[source]
    digraph = nx.DiGraph()
    for key in sorted(layer, key=order.__getitem__):
        digraph.add_node(key, layer=layer[key])
    digraph.add_edges_from((s, t) for s, t, _, _ in edges)
    position = nx.multipartite_layout(digraph, subset_key="layer", align="vertical")
    by_layer: dict = {}
    for key in sorted(layer, key=order.__getitem__):
        by_layer.setdefault(layer[key], []).append(key)
    columns = {x: i for i, x in enumerate(sorted({round(float(p[0]), 6) for p in position.values()}))}
    return {
        key: (
            LAYER_WIDTH * columns[round(float(position[key][0]), 6)],
            ROW_HEIGHT * ((len(keys) - 1) / 2 - rank),
        )
        for keys in by_layer.values()
        for rank, key in enumerate(keys)
    }


def _curve(start, end) -> tuple[float, tuple[float, float]]:
    """An edge's bend and the middle of its curve, where its labels stand.

    An edge that skips layers bows upwards, clear of the gates it passes: matplotlib's arc3 is a
    quadratic Bézier whose control point is the chord's middle moved by rad · (dy, -dx), so the
    curve's middle is halfway there. Axes units are inches in x and y alike, so this is the
    offset drawn.
    """
    (x0, y0), (x1, y1) = start, end
    rad = -BOW if x1 - x0 > 1.5 * LAYER_WIDTH else 0.0
    return rad, ((x0 + x1) / 2 + rad * (y1 - y0) / 2, (y0 + y1) / 2 - rad * (x1 - x0) / 2)


def _figure(graph):
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch

    edges = _edges(graph)
    position = _layout(graph, edges)
    xs = [p[0] for p in position.values()]
    ys = [p[1] for p in position.values()]
    curves = {(s, t): _curve(position[s], position[t]) for s, t, _, _ in edges}
    top = max([*ys, *(middle[1] for _, middle in curves.values())])  # a bowed edge may rise above the top row
    figure = Figure(figsize=(max(xs) - min(xs) + 1.4, top - min(ys) + 1.0))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    axes.set_ylim(min(ys) - 0.5, top + 0.5)
    axes.set_axis_off()
    for (kind, index), (x, y) in position.items():
        if kind == "input":
            axes.text(
                x,
                y,
                graph.label(graph.inputs[index]),
                ha="center",
                va="center",
                fontsize=11,
                gid=f"input-{index}",
            )
        elif kind == "node":
            node = graph.nodes[index]
            style = dict(
                boxstyle="circle,pad=0.35" if len(gate(node)) <= 4 else "round,pad=0.4",
                facecolor="#f2f2f2" if node.foreign else "#ffffff",
                edgecolor="#333333",
                linestyle="--" if node.foreign else "-",
            )
            axes.text(
                x,
                y,
                gate(node),
                ha="center",
                va="center",
                fontsize=11,
                bbox=style,
                gid=f"node-{index}",
                zorder=3,
            )
    # a value feeding several nodes is labelled once, on its shortest edge: its other edges carry
    # the same value and the same (summed) gradient, and their labels would only crowd the picture
    labelled = {}
    for source, target, _, _ in sorted(
        edges, key=lambda e: position[e[1]][0] - position[e[0]][0], reverse=True
    ):
        labelled[source] = target
    for source, target, value, grad in edges:
        rad, middle = curves[source, target]
        axes.add_patch(
            FancyArrowPatch(
                position[source],
                position[target],
                connectionstyle=f"arc3,rad={rad}",
                arrowstyle="-|>",
                mutation_scale=12,
                shrinkA=12 if source[0] == "input" else 20,
                shrinkB=0 if target[0] == "output" else 20,
                color="#333333",
                linewidth=1.0,
                zorder=1,
            )
        )
        if labelled[source] != target:
            continue
        axes.annotate(
            _format.brief(value),
            middle,
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            color=VALUE_COLOUR,
            fontsize=9,
            zorder=2,
        )
        if grad is not None:
            axes.annotate(
                _format.brief(grad),
                middle,
                xytext=(0, -3),
                textcoords="offset points",
                ha="center",
                va="top",
                color=GRAD_COLOUR,
                fontsize=9,
                zorder=2,
            )
    return figure


def _save(graph, target, format: str) -> None:
    from matplotlib import rc_context

    # text kept as text in SVG, and no timestamps or random ids: the same graph, the same bytes
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "torchlayers"}):
        metadata = {"Date": None} if format in ("svg", "pdf") else {"Software": None}
        if format == "pdf":
            metadata = {"CreationDate": None}
        _figure(graph).savefig(target, format=format, dpi=150, metadata=metadata)


def svg(graph) -> str:
    """The drawing as SVG text (what Jupyter shows inline)."""
    buffer = io.BytesIO()
    _save(graph, buffer, "svg")
    return buffer.getvalue().decode()


def draw(graph, path: Path) -> Path:
    """See :meth:`torchlayers.graph.Graph.draw`."""
    suffix = path.suffix.lower()
    if suffix in _DOT_FORMATS:
        path.write_text(to_dot(graph))
    elif suffix in _MATPLOTLIB_FORMATS:
        _save(graph, path, suffix[1:])
    else:
        formats = ", ".join(sorted(_MATPLOTLIB_FORMATS | _DOT_FORMATS))
        raise ValueError(f"Graph.draw(): cannot tell a format from {path.name!r}; use one of {formats}")
    return path


def to_dot(graph) -> str:
    """See :meth:`torchlayers.graph.Graph.to_dot`."""

    def name(key):
        return f"{key[0]}{key[1]}"

    lines = ["digraph computational_graph {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for index, tensor in enumerate(graph.inputs):
        lines.append(f'  input{index} [shape=plaintext, label="{_dot_text(graph.label(tensor))}"];')
    for index, node in enumerate(graph.nodes):
        style = ', style="dashed"' if node.foreign else ""
        lines.append(f'  node{index} [shape=circle, label="{_dot_text(gate(node))}"{style}];')
    for source, target, value, grad in _edges(graph):
        if target[0] == "output":
            lines.append(f'  {name(target)} [shape=point, width=0.05, label=""];')
        label = f'<font color="{VALUE_COLOUR}">{html.escape(_format.brief(value))}</font>'
        if grad is not None:
            label += f'<br/><font color="{GRAD_COLOUR}">{html.escape(_format.brief(grad))}</font>'
        lines.append(f"  {name(source)} -> {name(target)} [label=<{label}>];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
