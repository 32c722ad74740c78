"""The recorded graph: its nodes, and the slides' ``ComputationalGraph.backward``.

``record()`` makes every torchlayers call a :class:`Node`: :func:`torchlayers.autograd._function.dispatcher`
hands each eager call to the active :class:`Graph` (one global read when none is active), and a
``TorchFunctionMode`` records the torch ops called between them, as ``foreign`` nodes.

:meth:`Graph.backward` is the lecture's engine: it visits the nodes in reverse topological order
(recording order is topological: a node is recorded after the calls that made its inputs), calls
each node's own ``Function.backward`` with what the node cached, and sums the gradients where one
value feeds several nodes. It runs the same formulas torch's engine runs, in the same order per
node, so the two agree to rounding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import Tensor
from torch.nn import Module
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves

from torchlayers.autograd import _function
from torchlayers.graph import _format

__all__ = ["Graph", "Node", "record"]

_ACRONYMS = ("PReLU", "ReLU", "ELU", "BCE", "NLL", "MSE", "MLP")  # PReLU before the ReLU inside it


def op_name(function: type) -> str:
    """``MulConstantFunction`` → ``mul_constant``, ``LeakyReLUFunction`` → ``leaky_relu``."""
    stem = function.__name__.removesuffix("Function")
    for acronym in _ACRONYMS:
        stem = stem.replace(acronym, acronym.capitalize())
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", stem).lower()


class Node:
    """One call in a recorded graph: a torchlayers ``Function``, or (``foreign``) a torch op.

    Attributes:
        name: the op: ``"mul"``, ``"exp"``, ``"linear"``…; ``"torch.sum"`` for a torch op
        function: the ``torch.autograd.Function`` whose ``backward`` is the node's formula
            (``None`` for a torch op)
        inputs: per tensor argument, in order, the :class:`Node` that computed it or, for a
            value from outside the graph, the tensor itself (one of :attr:`Graph.inputs`)
        outputs: every output, detached copies taken when the node ran
        value: the output (the first one, for a Function with several)
        grads: per output, ∂f/∂output summed over the backward passes so far, or ``None``
        grad: ``grads[0]``
        saved: the tensors the Function cached for backward (detached; ``None`` where it saved none)
        attributes: everything else its ctx kept (constants, shapes)
        constants: the non-tensor arguments of the call, by position (``{1: -1.0, 2: False}``)
    """

    def __init__(self, name: str, function: type | None, sources: list, outputs: tuple) -> None:
        self.name = name
        self.function = function
        self._sources = sources  # (argument position, Node and output index | input tensor, shape, dtype)
        self.constants: dict[int, object] = {}
        self.outputs = tuple(o.detach().clone() if isinstance(o, Tensor) else o for o in outputs)
        self.grads: list[Tensor | None] = [None] * len(outputs)
        self._differentiable = tuple(isinstance(o, Tensor) and o.requires_grad for o in outputs)
        self._grad_fn = next(
            (o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn is not None), None
        )
        self.saved: tuple = ()
        self.attributes: dict = {}
        self._saved_versions: tuple = ()
        if self._grad_fn is not None and function is not None:
            # read now: torch's engine frees them in its backward, ours runs after it as well
            saved = tuple(t.detach() if isinstance(t, Tensor) else t for t in self._grad_fn.saved_tensors)
            self.saved = saved
            self._saved_versions = tuple(t._version if isinstance(t, Tensor) else None for t in saved)
            self.attributes = dict(vars(self._grad_fn))
        if self._grad_fn is not None:
            self._grad_fn.register_prehook(self._accumulate)  # ∂f/∂outputs from torch's engine

    @property
    def inputs(self) -> tuple:
        return tuple(source[0] if isinstance(source, tuple) else source for _, source, _, _ in self._sources)

    @property
    def value(self) -> Tensor:
        return self.outputs[0]

    @property
    def grad(self) -> Tensor | None:
        return self.grads[0]

    @property
    def foreign(self) -> bool:
        """A torch op: recorded and drawn, but :meth:`Graph.backward` has no formula for it."""
        return self.function is None

    def _accumulate(self, grad_outputs) -> None:
        for k, grad in enumerate(grad_outputs):
            if grad is not None and k < len(self.grads):
                grad = grad.detach()
                self.grads[k] = grad.clone() if self.grads[k] is None else self.grads[k] + grad

    def _context(self):
        """The ctx ``function.backward`` reads: the saved tensors kept at record time, checked to be
        unmodified, and every other attribute from the autograd node itself."""
        for tensor, version in zip(self.saved, self._saved_versions, strict=True):
            if isinstance(tensor, Tensor) and tensor._version != version:
                raise RuntimeError(
                    f"{self.name}: a tensor it saved for backward was modified in place after the "
                    f"node ran (version {version}, now {tensor._version}); its backward would read "
                    f"the new values. torch's engine refuses this graph too. Call the op out of place."
                )
        return _SavedContext(self._grad_fn, self.saved, self.attributes)

    def run_backward(self, grad_outputs: list) -> tuple:
        """``function.backward(ctx, *grad_outputs)``: one gradient (or ``None``) per forward argument.

        Outputs without a gradient get zeros if differentiable, ``None`` if not (what the
        Functions that ``set_materialize_grads(False)`` expect for their non-differentiable outputs).
        """
        grads = [
            (torch.zeros_like(out) if differentiable else None) if grad is None else grad
            for grad, out, differentiable in zip(
                grad_outputs, self.outputs, self._differentiable, strict=True
            )
        ]
        with torch.no_grad():
            result = self.function.backward(self._context(), *grads)
        return result if isinstance(result, tuple) else (result,)

    def __repr__(self) -> str:
        grad = "" if self.grad is None else f", grad={_format.describe(self.grad)}"
        return f"Node({self.name}, value={_format.describe(self.value)}{grad})"


class _SavedContext:
    """Stands in for a Function's ctx in :meth:`Graph.backward`."""

    def __init__(self, grad_fn, saved_tensors: tuple, attributes: dict) -> None:
        self.__dict__.update(attributes)
        self._grad_fn = grad_fn
        self.saved_tensors = saved_tensors
        self.needs_input_grad = grad_fn.needs_input_grad

    def __getattr__(self, name):
        return getattr(self._grad_fn, name)


# Tensor methods that read a value rather than compute one: run unrecorded (printing a tensor
# calls a dozen torch ops on it).
_READS = {
    torch.Tensor.__repr__,
    torch.Tensor.__str__,
    torch.Tensor.__format__,
    torch.Tensor.__reduce_ex__,
    torch.Tensor.__deepcopy__,
    torch.Tensor.backward,
    torch.Tensor.register_hook,
    torch.Tensor.item,
    torch.Tensor.tolist,
    torch.Tensor.numpy,
}


def _torch_op_name(func) -> str:
    name = getattr(func, "__name__", str(func))
    if name == "__get__":  # a property, e.g. Tensor.T
        name = getattr(getattr(func, "__self__", None), "__name__", name)
    return "torch." + name.strip("_")


class _TorchOps(TorchFunctionMode):
    """Records the torch ops called inside ``record()`` (outside torchlayers calls) as foreign nodes."""

    def __init__(self, graph: Graph) -> None:
        super().__init__()
        self.graph = graph

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        graph = self.graph
        if graph._paused or func in _READS:
            with graph._pause():
                return func(*args, **kwargs)
        tensors = [a for a in tree_leaves((args, kwargs)) if isinstance(a, Tensor)]
        producers = [graph._producer(t) for t in tensors]  # before the call: it may work in place
        with graph._pause():
            result = func(*args, **kwargs)
        outputs = tuple(o for o in tree_leaves(result) if isinstance(o, Tensor))
        if not outputs:
            return result
        input_fns = {t.grad_fn for t in tensors if t.grad_fn is not None}
        new_node = any(o.grad_fn is not None and o.grad_fn not in input_fns for o in outputs)
        # without autograd (nothing requires grad), an op on a graph value is still a node
        forward_only = not any(t.requires_grad for t in tensors) and any(p is not None for p in producers)
        if new_node or (forward_only and getattr(func, "__name__", "") != "__get__"):
            sources = [
                (i, p if p is not None else graph._input(t), t.shape, t.dtype)
                for i, (t, p) in enumerate(zip(tensors, producers, strict=True))
            ]
            graph._add(Node(_torch_op_name(func), None, sources, outputs), outputs)
        return result


class Graph:
    """A recorded computational graph (see :func:`record`).

    Attributes:
        nodes: the calls in topological order (the order they ran)
        inputs: the tensors the graph starts from: leaves, parameters, targets, constants
        names: a label per input tensor (``id`` → name), from ``record(**names)``
    """

    def __init__(self, names: dict[str, Tensor | Module] | None = None) -> None:
        self.nodes: list[Node] = []
        self.inputs: list[Tensor] = []
        self.names: dict[int, str] = {}
        self._producers: dict[int, tuple[Tensor, Node, int]] = {}
        self._input_index: dict[int, int] = {}  # id → position in inputs (list.index would compare values)
        self._named: list = []  # keeps the named tensors alive, so their ids stay theirs
        self._paused = 0
        for name, value in (names or {}).items():
            tensors = value.named_parameters(prefix=name) if isinstance(value, Module) else [(name, value)]
            for label, tensor in tensors:
                self.names[id(tensor)] = label
                self._named.append(tensor)

    # --- recording ---------------------------------------------------------------------------

    @contextmanager
    def _pause(self) -> Iterator[None]:
        self._paused += 1
        try:
            yield
        finally:
            self._paused -= 1

    def _producer(self, tensor: Tensor):
        entry = self._producers.get(id(tensor))
        return (entry[1], entry[2]) if entry is not None and entry[0] is tensor else None

    def _input(self, tensor: Tensor) -> Tensor:
        if id(tensor) not in self._input_index:
            self._input_index[id(tensor)] = len(self.inputs)
            self.inputs.append(tensor)
        return tensor

    def _add(self, node: Node, outputs: tuple) -> None:
        self.nodes.append(node)
        for k, output in enumerate(outputs):
            if isinstance(output, Tensor):  # an in-place call's output now maps to its new node
                self._producers[id(output)] = (output, node, k)

    def record(self, function: type, apply, args: tuple):
        """Calls ``apply(*args)`` (a torchlayers Function's eager apply) and records it as a node.
        Called by :func:`~torchlayers.autograd._function.dispatcher` while this graph is active."""
        if self._paused:
            return apply(*args)
        sources = []
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):  # read before the call: an in-place call overwrites the entry
                producer = self._producer(arg)
                sources.append(
                    (i, producer if producer is not None else self._input(arg), arg.shape, arg.dtype)
                )
        with self._pause():
            result = apply(*args)
            outputs = result if isinstance(result, tuple) else (result,)
            node = Node(op_name(function), function, sources, outputs)
            node.constants = {i: arg for i, arg in enumerate(args) if not isinstance(arg, Tensor)}
            self._add(node, outputs)
        return result

    # --- looking up ----------------------------------------------------------------------------

    def node(self, tensor: Tensor) -> Node:
        """The node whose output ``tensor`` is."""
        producer = self._producer(tensor)
        if producer is None:
            raise KeyError("the tensor is not the output of a node of this graph")
        return producer[0]

    def label(self, item: Node | Tensor) -> str:
        """The name of an input (``record(x=x)``; else ``input i``) or of a node (``name #i``)."""
        if isinstance(item, Node):
            return f"{item.name} #{self.nodes.index(item)}"
        return self.names.get(id(item), f"input {self.input_index(item)}")

    def input_index(self, tensor: Tensor) -> int:
        """The position of ``tensor`` in :attr:`inputs`."""
        return self._input_index[id(tensor)]

    def _ancestors(self, root: Node) -> set[Node]:
        seen, stack = {root}, [root]
        while stack:
            for _, source, _, _ in stack.pop()._sources:
                if isinstance(source, tuple) and source[0] not in seen:
                    seen.add(source[0])
                    stack.append(source[0])
        return seen

    # --- the slides' ComputationalGraph.backward -----------------------------------------------

    def backward(self, gradient: Tensor | None = None, output: Tensor | Node | None = None) -> None:
        """Backpropagates from ``output`` (default: the last node's value) with each node's own
        ``Function.backward``, in reverse topological order; where a value feeds several nodes, its
        gradients add. Accumulates into every node's :attr:`Node.grads` and into the ``.grad`` of
        the inputs that are leaves requiring grad, as ``output.backward(gradient)`` does.

        Args:
            gradient: ∂f/∂output; may be omitted for a one-element output (ones)
            output: the value to differentiate, a node's output or the node itself

        Raises:
            RuntimeError: if a node on the way is a torch op (no torchlayers formula to run), or
                a tensor a node saved was modified in place since.
        """
        if not self.nodes:
            raise RuntimeError("the graph is empty: call torchlayers ops inside graph.record()")
        root = output if isinstance(output, Node) else self.nodes[-1] if output is None else self.node(output)
        ancestors = self._ancestors(root)
        foreign = [self.label(n) for n in self.nodes if n in ancestors and n.foreign]
        if foreign:
            raise RuntimeError(
                f"Graph.backward() runs each node's torchlayers Function.backward, but "
                f"{', '.join(foreign)} {'is a torch op' if len(foreign) == 1 else 'are torch ops'} "
                f"without one. Use the torchlayers op instead, or torch's engine (f.backward())."
            )
        if root._grad_fn is None:
            raise RuntimeError(f"{self.label(root)}'s output does not require grad: nothing to differentiate")
        if gradient is None:
            if root.value.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs: pass gradient=")
            gradient = torch.ones_like(root.value)
        pending: dict[Node, list] = {root: [gradient] + [None] * (len(root.outputs) - 1)}
        leaf_grads: dict[int, Tensor] = {}
        with self._pause():
            for node in reversed(self.nodes):
                grad_outputs = pending.pop(node, None)
                if grad_outputs is None or node._grad_fn is None:
                    continue
                node._accumulate(grad_outputs)
                needs = node._grad_fn.needs_input_grad
                result = node.run_backward(grad_outputs)
                for i, source, shape, dtype in node._sources:
                    grad = result[i] if i < len(result) else None
                    if grad is None or not needs[i]:
                        continue
                    # torch's engine: a gradient is reduced to its input's shape and cast to its dtype
                    if grad.shape != shape:
                        grad = grad.sum_to_size(shape)
                    grad = grad.to(dtype)
                    if isinstance(source, tuple):
                        producer, k = source
                        slots = pending.setdefault(producer, [None] * len(producer.outputs))
                        slots[k] = grad if slots[k] is None else slots[k] + grad  # gradients add at branches
                    else:
                        key = id(source)
                        leaf_grads[key] = grad if key not in leaf_grads else leaf_grads[key] + grad
            computed_before, their_grads = [], []
            for tensor in self.inputs:
                grad = leaf_grads.get(id(tensor))
                if grad is None or not tensor.requires_grad:
                    continue
                if tensor.is_leaf:
                    tensor.grad = grad.clone() if tensor.grad is None else tensor.grad + grad
                else:  # computed before record(): the rest of its history is torch's to run
                    computed_before.append(tensor)
                    their_grads.append(grad)
        if computed_before:
            # retained, as the graph's own nodes are: f.backward() may still follow
            torch.autograd.backward(computed_before, their_grads, retain_graph=True)

    def zero_grad(self) -> None:
        """Forgets the nodes' gradients and sets the inputs' ``.grad`` to ``None``."""
        for node in self.nodes:
            node.grads = [None] * len(node.outputs)
        for tensor in self.inputs:
            tensor.grad = None

    # --- reading and drawing -------------------------------------------------------------------

    def explain(self) -> str:
        """The backward pass node by node, as the slides write it: for each node (reverse order)
        and input, the local derivative, the incoming gradient, and their product's number."""
        from torchlayers.graph._explain import explain

        return explain(self)

    def to_dot(self) -> str:
        """The graph in Graphviz's DOT language (values above each edge, gradients below)."""
        from torchlayers.graph._draw import to_dot

        return to_dot(self)

    def draw(self, path: str | Path) -> Path:
        """Draws the graph to ``path``; the format follows the extension: ``.png``, ``.svg``,
        ``.pdf`` (matplotlib, laid out by networkx) or ``.dot``/``.gv`` (DOT text)."""
        from torchlayers.graph._draw import draw

        return draw(self, Path(path))

    def _repr_svg_(self) -> str:
        from torchlayers.graph._draw import svg

        return svg(self)

    def __repr__(self) -> str:
        lines = [f"Graph({len(self.nodes)} nodes, {len(self.inputs)} inputs)"]
        for node in self.nodes:
            inputs = ", ".join(self.label(i) for i in node.inputs)
            lines.append(f"  {self.label(node)}({inputs}) = {_format.describe(node.value)}")
        return "\n".join(lines)


@contextmanager
def record(**names: Tensor | Module) -> Iterator[Graph]:
    """Records every torchlayers op called inside the block (functional or module) as a node.

    Torch ops called in the block are recorded too, as ``foreign`` nodes named after the op
    (``torch.sum``). Eager mode only: inside ``torch.compile`` or ``torch.func`` transforms
    nothing is recorded. One recording at a time in the process (calls from other threads are
    recorded too). Recording copies every output (so an in-place call later cannot change
    a value already shown): record a batch, not an epoch.

    Args:
        **names: labels for input tensors, e.g. ``record(x=x, w=w)``; a module names its
            parameters, e.g. ``record(net=model)`` labels ``net.0.weight``.

    Examples::

        >>> x, y, z = (torch.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
        >>> with torchlayers.graph.record(x=x, y=y, z=z) as g:
        ...     f = F.mul(F.add(x, y), z)
        >>> g.backward()
        >>> x.grad
        tensor(-4.)
    """
    if _function.recording is not None:
        raise RuntimeError("graph.record() is already active: recordings do not nest")
    graph = Graph(names)
    _function.recording = graph
    try:
        with _TorchOps(graph):
            yield graph
    finally:
        _function.recording = None
