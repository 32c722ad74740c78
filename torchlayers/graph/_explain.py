"""The lecture's notation for each torchlayers Function: how its gate is drawn, and its local
derivative per input, so a backward pass reads as the slides write it ("1/x: -1/1.37² · 1.00 = -0.53").

Templates name the node's values: ``{x}``, ``{y}`` its first two tensor inputs, ``{out}`` its output,
``{a}`` and ``{c}`` its constant. They are filled with numbers when every value is one element,
and left as symbols for tensors (then the line gives the resulting gradient's summary).
"""

from __future__ import annotations

import re

from torch import Tensor

from torchlayers.graph import _format

# Function name → (gate label, {forward argument position: local derivative})
NOTATION: dict[str, tuple[str, dict[int, str]]] = {
    "AddFunction": ("+", {0: "1", 1: "1"}),
    "MulFunction": ("*", {0: "{y}", 1: "{x}"}),
    "MulConstantFunction": ("*{a}", {0: "{a}"}),
    "AddConstantFunction": ("+{c}", {0: "1"}),
    "ExpFunction": ("exp", {0: "e^{x}"}),
    "ReciprocalFunction": ("1/x", {0: "-1/{x}²"}),
    "LogFunction": ("log", {0: "1/{x}"}),
    "MaxFunction": ("max", {0: "1 at the first maximum, else 0"}),
    "MinFunction": ("min", {0: "1 at the first minimum, else 0"}),
    "MaxAllFunction": ("max", {0: "1/#ties at the maximum, else 0"}),
    "MinAllFunction": ("min", {0: "1/#ties at the minimum, else 0"}),
    "MeanFunction": ("mean", {0: "1/N"}),
    "MMFunction": ("@", {0: "B (G Bᵀ)", 1: "A (Aᵀ G)"}),
    "MVFunction": ("@", {0: "v (g vᵀ)", 1: "A (Aᵀ g)"}),
    "SigmoidFunction": ("σ", {0: "{out}(1 - {out})"}),
    "TanhFunction": ("tanh", {0: "1 - {out}²"}),
    "ReLUFunction": ("relu", {0: "1[{x} > 0]"}),
    "LeakyReLUFunction": ("leaky_relu", {0: "1 if {x} > 0 else {a}"}),
    "ELUFunction": ("elu", {0: "1 if {x} > 0 else {a}·e^{x}"}),
    "PReLUFunction": ("prelu", {0: "1 if {x} > 0 else {y}", 1: "{x} if {x} ≤ 0 else 0"}),
    "LogSigmoidFunction": ("log σ", {0: "σ(-{x})"}),
    "SoftplusFunction": ("softplus", {0: "σ({a}·{x})"}),
    "SoftsignFunction": ("softsign", {0: "1/(1 + |{x}|)²"}),
    "SoftshrinkFunction": ("softshrink", {0: "1[|{x}| > {a}]"}),
    "LinearFunction": ("linear", {0: "W (g W)", 1: "x (gᵀ x)", 2: "1 (Σ g over the batch)"}),
    "MaxoutFunction": ("maxout", {0: "W of the winning piece", 1: "x at the winning piece", 2: "1 at it"}),
    "SoftmaxFunction": ("softmax", {0: "y ⊙ (g - Σ g y) / g"}),
    "LogSoftmaxFunction": ("log_softmax", {0: "(g - eʸ Σ g) / g"}),
    "SoftminFunction": ("softmin", {0: "-y ⊙ (g - Σ g y) / g"}),
    "MultiMarginLossFunction": ("hinge", {0: "±p·max(0, m - x_y + x_j)ᵖ⁻¹ / C on violated margins"}),
    "CrossEntropyFunction": ("cross_entropy", {0: "w_y (softmax(z) - onehot(y)) / Z"}),
    "NLLLossFunction": ("nll_loss", {0: "-w_y / Z at the target class"}),
    "MSELossFunction": ("mse_loss", {0: "2 (x - y) / N", 1: "-2 (x - y) / N"}),
    "BCELossFunction": ("bce", {0: "w (x - y) / (x (1 - x)) / N"}),
    "L2RegularizationFunction": ("λΣW²", {}),  # arguments (λ, W₁, W₂, …): every W gets 2λW
}
_FIELD = re.compile(r"\{(\w+)\}")
_SYMBOLS = {"w": "W"}  # how a tensor-valued field reads; by default its own name (x, y, out)


def _constant(node) -> object:
    """The call's first number argument: a, c, the slope, α, λ."""
    return next(
        (v for v in node.constants.values() if isinstance(v, int | float) and not isinstance(v, bool)), None
    )


def gate(node) -> str:
    """The node as the slides label it: ``*``, ``+1``, ``exp``, ``1/x``; else its name."""
    if node.function is None:
        return node.name
    label = NOTATION.get(node.function.__name__, (node.name, {}))[0]
    constant = _constant(node)
    return label.replace("{a}", _format.constant(constant)).replace("{c}", _format.constant(constant))


def _local(node, graph, position: int) -> str:
    """The local derivative w.r.t. forward argument ``position``: numbers for one-element values,
    symbols for tensors."""
    name = node.function.__name__
    if name == "L2RegularizationFunction":
        template = "2·{a}·{w}"
    else:
        template = NOTATION.get(name, (None, {}))[1].get(position, f"∂{node.name}/∂(argument {position})")
    tensors = [_value(graph, i) for i in node.inputs]
    values = {"out": node.value, "a": _constant(node), "c": _constant(node)}
    values.update(zip(("x", "y"), tensors, strict=False))
    if name == "L2RegularizationFunction":
        values["w"] = tensors[position - 1]

    def fill(match):
        value = values.get(match.group(1))
        if isinstance(value, Tensor):
            return (
                _format.describe(value)
                if value.numel() == 1
                else _SYMBOLS.get(match.group(1), match.group(1))
            )
        return _format.constant(value)

    return _FIELD.sub(fill, template)


def _value(graph, item) -> Tensor:
    return item if isinstance(item, Tensor) else item.value


def explain(graph) -> str:
    """See :meth:`torchlayers.graph.Graph.explain`."""
    if not any(g is not None for node in graph.nodes for g in node.grads):
        raise RuntimeError("no gradients yet: call f.backward() or g.backward() before explain()")
    gates = [gate(node) for node in graph.nodes]
    repeated = {label for label in gates if gates.count(label) > 1}

    def name(item) -> str:
        """An input's label; a node's gate, numbered where several nodes share it (``+ #3``)."""
        if isinstance(item, Tensor):
            return graph.label(item)
        label = gate(item)
        return f"{label} #{graph.nodes.index(item)}" if label in repeated else label

    lines: list[str] = []
    arriving: dict[int, list[tuple[str, Tensor]]] = {}  # id(value's slot) → contributions

    def receive(key, consumer, grad):
        arriving.setdefault(key, []).append((consumer, grad))

    def branch(key, label):
        parts = arriving.get(key, [])
        if len(parts) > 1:
            total = parts[0][1]
            for _, grad in parts[1:]:
                total = total + grad
            terms = " + ".join(_format.describe(g) for _, g in parts)
            lines.append(f"{label}: gradients add at the branch: {terms} = {_format.describe(total)}")

    for node in reversed(graph.nodes):
        if node.grad is None and not any(g is not None for g in node.grads):
            continue
        for k in range(len(node.outputs)):
            branch((id(node), k), name(node))
        if node.foreign:
            lines.append(
                f"{graph.label(node)}: a torch op, no torchlayers formula; torch's engine gave "
                f"∂f/∂output = {_format.describe(node.grad)}"
            )
            continue
        result = node.run_backward(list(node.grads))
        needs = node._grad_fn.needs_input_grad
        differentiable = [(i, s) for i, s, _, _ in node._sources if needs[i]]
        for position, source in differentiable:
            grad = result[position] if position < len(result) else None
            if grad is None:
                continue
            target = source if isinstance(source, Tensor) else source[0]
            into = f" → {name(target)}" if len(differentiable) > 1 else ""
            local = _local(node, graph, position)
            upstream = _format.describe(node.grad)
            if node.grad is not None and node.grad.numel() == 1 and grad.numel() == 1:
                lines.append(f"{name(node)}{into}: {local} · {upstream} = {_format.describe(grad)}")
            else:
                upstream = _format.brief(node.grad)
                lines.append(f"{name(node)}{into}: {local}, with g = {upstream}: {_format.describe(grad)}")
            receive(
                id(source) if isinstance(source, Tensor) else (id(source[0]), source[1]), name(node), grad
            )
    for tensor in graph.inputs:
        branch(id(tensor), graph.label(tensor))
        if tensor.grad is not None:
            lines.append(f"∂f/∂{graph.label(tensor)} = {_format.describe(tensor.grad)}")
    return "\n".join(lines)
