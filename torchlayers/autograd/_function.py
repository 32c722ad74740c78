"""Shared machinery for the ``*Function`` classes.

Every operation is written once, as a ``torch.autograd.Function`` with ``forward``,
``setup_context``, ``backward`` and ``jvp``. Four facts of PyTorch shape this module:

* TorchDynamo refuses to trace a Function that defines ``jvp`` ("Unsupported custom jvp").
  :func:`dispatcher` therefore builds, for each Function, a twin that is the same class body
  without ``jvp``, and returns an ``apply`` that calls that twin while ``torch.compile`` traces
  (and, in eager mode, one of the two below, forward-mode AD included).
* ``Function.apply`` of a ``setup_context``-style Function binds ``forward``'s signature on
  every call, to fill in defaults (``torch.autograd.function._bind_default_args``, torch 2.14):
  ``inspect.signature`` plus ``Signature.bind`` cost more than a small op's kernel. Our
  callers pass every argument positionally, so that binding is the identity;
  :func:`bind_positionally` gives ``forward`` a precomputed signature that says so cheaply.
* A ``setup_context``-style Function is what ``torch.func`` transforms need, and torch pays for
  it on every eager call, transform or not (the overhead table of ``benchmarks`` measures the
  price against the ``forward(ctx, ...)`` style). :func:`dispatcher` therefore also builds an
  eager twin whose ``forward(ctx, *args)`` runs the class's own ``forward`` and then its
  ``setup_context``: the same code in the same order, with the same ``backward`` and ``jvp``
  (forward-mode AD works with either style). It is used whenever no ``torch.func`` transform is
  active. Its ``ctx.save_for_forward`` keeps the tensors only while a forward-AD level is
  active: ``jvp`` runs only for inputs with tangents, which exist only inside a dual level, and
  torch's ``save_for_forward`` costs about as much as a small op's kernel on every call.
* Half-precision inputs are computed in float32 ("opmath", as ATen's kernels do) and rounded
  once at the end, so results match ``torch.nn`` at the dtype's own tolerance.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import torch
from torch.autograd import Function
from torch.autograd import forward_ad as _forward_ad
from torch.autograd.function import FunctionCtx

_LOW_PRECISION = (torch.float16, torch.bfloat16)
_NOT_COPIED = ("jvp", "__dict__", "__weakref__")
_REPLACED_BY_CTX_FORWARD = ("forward", "setup_context", "generate_vmap_rule", "__dict__", "__weakref__")
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)

# The torchlayers.graph recording in progress (set by graph.record()), else None. Reading it is
# the one cost every eager call pays for recording: a global load and an identity test.
recording = None


class _PositionalBinding(inspect.BoundArguments):
    """A binding of every parameter by position: ``args`` is the call's tuple and there are no
    defaults left to apply (what ``BoundArguments`` would compute, without its loops)."""

    __slots__ = ()

    @property
    def args(self) -> tuple:
        return tuple(self.arguments.values())

    @property
    def kwargs(self) -> dict:
        return {}

    def apply_defaults(self) -> None:
        if len(self.arguments) != len(self.signature.parameters):  # edited after binding
            super().apply_defaults()


class _PositionalSignature(inspect.Signature):
    """A signature whose ``bind`` of a complete positional call skips ``inspect``'s general
    algorithm; any other call (keywords, missing or extra arguments) binds as usual."""

    __slots__ = ("_names",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        parameters = self.parameters.values()
        self._names = tuple(self.parameters) if all(p.kind in _POSITIONAL for p in parameters) else None

    def bind(self, *args, **kwargs) -> inspect.BoundArguments:
        if not kwargs and self._names is not None and len(args) == len(self._names):
            return _PositionalBinding(self, dict(zip(self._names, args, strict=True)))
        return super().bind(*args, **kwargs)


def bind_positionally(cls: type[Function]) -> type[Function]:
    """Give ``cls.forward`` a :class:`_PositionalSignature` (``inspect.signature`` returns a
    function's ``__signature__`` as is), so ``cls.apply`` binds its arguments cheaply."""
    forward = cls.forward
    if not isinstance(getattr(forward, "__signature__", None), _PositionalSignature):
        forward.__signature__ = _PositionalSignature.from_callable(forward)
    return cls


def _class_body(cls: type[Function], excluded: tuple[str, ...]) -> dict:
    """The attributes ``cls`` defines or inherits from the Function subclasses between it and
    ``Function`` (where both define one, the subclass's), less ``excluded``: the body of a twin
    class."""
    body = {}
    for klass in reversed(cls.__mro__[: cls.__mro__.index(Function)]):
        body.update((key, value) for key, value in vars(klass).items() if key not in excluded)
    return body


def without_jvp(cls: type[Function]) -> type[Function]:
    """The same Function without its ``jvp``: what Dynamo can trace."""
    body = _class_body(cls, _NOT_COPIED)
    body["__qualname__"] = f"{cls.__qualname__}ForCompile"
    return type(f"{cls.__name__}ForCompile", (Function,), body)


def with_ctx_forward(cls: type[Function]) -> type[Function]:
    """The same Function in the ``forward(ctx, *args)`` style, for eager calls outside
    ``torch.func`` transforms: ``forward`` then ``setup_context``, exactly as torch calls them.

    It keeps the class's name, so the graph's nodes read ``ReLUFunctionBackward`` either way.
    """
    forward, setup_context = cls.forward, cls.setup_context

    def forward_and_setup_context(ctx, *args):
        output = forward(*args)
        setup_context(ctx, args, output)
        return output

    body = _class_body(cls, _REPLACED_BY_CTX_FORWARD)
    body["forward"] = staticmethod(forward_and_setup_context)
    twin = type(cls.__name__, (Function,), body)
    twin._backward_cls.save_for_forward = _save_for_forward_under_forward_ad  # the ctx's class
    return twin


def _save_for_forward_under_forward_ad(ctx, *tensors) -> None:
    """``FunctionCtx.save_for_forward`` inside a forward-AD level; outside one no input has a
    tangent, so ``jvp`` will not run and there is nothing to keep for it."""
    if _forward_ad._current_level >= 0:
        FunctionCtx.save_for_forward(ctx, *tensors)


def dispatcher(cls: type[Function]) -> Callable:
    """``cls.apply``, routed to :func:`without_jvp`'s twin while Dynamo traces, to ``cls``
    itself under ``torch.func`` transforms, and to :func:`with_ctx_forward`'s twin otherwise
    (through the active ``torchlayers.graph`` recording, if any, which makes the call a node).

    (A closure, because Dynamo can neither read extra attributes of a Function class nor
    hash one as a dict key.)
    """
    bind_positionally(cls)  # the twin shares cls's forward, hence its signature
    transform_apply = cls.apply
    compiled_apply = without_jvp(cls).apply
    eager_apply = with_ctx_forward(cls).apply
    transforms_active = torch._C._are_functorch_transforms_active

    def apply(*args):
        if torch.compiler.is_compiling():
            return compiled_apply(*args)
        if transforms_active():
            return transform_apply(*args)
        if recording is not None:
            return recording.record(cls, eager_apply, args)
        return eager_apply(*args)

    apply.__name__ = apply.__qualname__ = f"{cls.__name__}.apply"
    return apply


def compilable(cls: type[Function]) -> Callable:
    """``cls.apply``, routed to :func:`without_jvp`'s twin while Dynamo traces: how a Function
    that defines ``jvp`` goes through ``torch.compile`` (forward-mode AD stays with ``cls``
    outside compilation). :func:`dispatcher` is this plus torchlayers' eager fast path.

    Any Function qualifies, ``forward(ctx, ...)`` style included; a compiled graph is never
    differentiated in forward mode, so dropping ``jvp`` there loses nothing.
    """
    compiled_apply = without_jvp(cls).apply if cls.jvp is not Function.jvp else cls.apply
    eager_apply = cls.apply

    def apply(*args, **kwargs):
        if torch.compiler.is_compiling():
            return compiled_apply(*args, **kwargs)
        return eager_apply(*args, **kwargs)

    apply.__name__ = apply.__qualname__ = f"{cls.__name__}.apply"
    apply.__wrapped__ = cls
    return apply


def opmath_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype arithmetic on ``dtype`` is done in: float32 for float16/bfloat16."""
    return torch.float32 if dtype in _LOW_PRECISION else dtype


def opmath(tensor: torch.Tensor) -> torch.Tensor:
    """The tensor in the dtype its arithmetic is done in: float32 for float16/bfloat16."""
    return tensor.float() if tensor.dtype in _LOW_PRECISION else tensor


def result_dtype(tensors) -> torch.dtype:
    """The dtype the tensors promote to together."""
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return dtype


# --- reductions (the losses') -------------------------------------------------------------------

REDUCTION_ENUM = {"none": 0, "mean": 1, "sum": 2}  # ATen's at::Reduction, for its loss kernels


def reduce(per_position: torch.Tensor, reduction: str, normaliser) -> torch.Tensor:
    """'none': ℓ itself; 'sum': Σ ℓ; 'mean': Σ ℓ / Z (Z a number or a 0-dim tensor)."""
    if reduction == "none":
        return per_position
    total = per_position.sum()
    return total if reduction == "sum" else total / normaliser


def per_position_grad(grad: torch.Tensor, reduction: str, normaliser, shape) -> torch.Tensor:
    """The incoming gradient at every position: d Σℓ/dℓᵢ = 1, d (Σℓ / Z)/dℓᵢ = 1/Z."""
    if reduction == "none":
        return grad
    if reduction == "mean":
        grad = grad / normaliser
    return grad.expand(shape)


def unbroadcast(grad: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """Sum a broadcast gradient back to ``shape``: d/dx of a broadcast copy is a sum."""
    return grad if grad.shape == shape else grad.sum_to_size(shape)


def updated_in_place(tangent: torch.Tensor) -> torch.Tensor:
    """``tangent``, marked as updated in place by the ``jvp`` of a Function that dirtied its input.

    Autograd checks, by version counter, that such a ``jvp`` updated the input's tangent in
    place. An in-place op on a vmapped (batched) tangent does not bump the counter autograd
    reads (torch 2.14), and ``d(c + x) = dx`` changes no value at all, so bump it here.
    """
    torch.autograd.graph.increment_version(tangent)
    return tangent


def sum_tangents(*terms):
    """The sum of the terms that are not ``None`` (``None`` if all are): the tangent of an
    output from the optional tangents of its inputs, or gradients that may be absent."""
    total = None
    for term in terms:
        if term is not None:
            total = term if total is None else total + term
    return total
