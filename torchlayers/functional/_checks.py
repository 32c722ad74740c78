"""Argument checks of the functional wrappers: each raises what torch raises for the same bad
input (the exception type, and the message where people match on it), where the user called."""

from __future__ import annotations

import numbers
import warnings

import torch
from torch import Tensor
from torch.nn import _reduction as _Reduction

from torchlayers.autograd import class_dim_of
from torchlayers.autograd.kernels import kernel_runs_in_forward
from torchlayers.autograd.nll import nll_forward


def check_tensor(name: str, value, argument: str = "input") -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{argument}' must be Tensor, not {type(value).__name__}")


def check_number(name: str, value, argument: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}(): argument '{argument}' must be a real number, not {type(value).__name__}")


def check_inplace(input: Tensor, inplace: bool) -> None:
    """Refuse, before writing, what ``mark_dirty`` would only refuse after the forward wrote."""
    if inplace and input.requires_grad and input.is_leaf and torch.is_grad_enabled():
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation; "
            "call it out of place (inplace=False) or on a copy of the tensor."
        )


def reduction_mode(size_average, reduce, reduction: str) -> str:
    """The reduction after torch's handling of the legacy ``size_average``/``reduce`` flags."""
    if size_average is None and reduce is None and reduction in ("mean", "sum", "none"):
        return reduction  # the common call, without the checks below
    if size_average is not None or reduce is not None:
        reduction = _Reduction.legacy_get_string(size_average, reduce)  # warns, as torch does
    _Reduction.get_enum(reduction)  # ValueError: "... is not a valid value for reduction"
    return "mean" if reduction == "elementwise_mean" else reduction


def can_inspect_values() -> bool:
    """Value checks read the data: skipped while torch.compile traces or a torch.func transform
    (vmap) runs, where Python cannot branch on tensor values."""
    return not torch.compiler.is_compiling() and torch._C._functorch.peek_interpreter_stack() is None


def check_values(valid: Tensor, error: type[Exception], message) -> None:
    """Raise ``error(message())`` unless every element of ``valid`` is true. On CUDA the check is
    asynchronous (no host sync, as torch's kernels assert on the device), so ``message()`` must
    not read the data there."""
    if not can_inspect_values():
        return
    if valid.device.type == "cuda":
        torch._assert_async(valid.all(), message())
    elif not bool(valid.all()):
        raise error(message())


def check_no_weight_grad(name: str, weight: Tensor | None) -> None:
    if weight is not None and weight.requires_grad and torch.is_grad_enabled():
        raise RuntimeError(
            f"The function '{name}' is not differentiable with respect to argument 'weight'. "
            "This input cannot have requires_grad True."
        )


def check_class_weight(name: str, weight: Tensor | None, input: Tensor, n_classes: int) -> None:
    if weight is None:
        return
    check_tensor(name, weight, "weight")
    if weight.dim() != 1 or weight.numel() != n_classes:
        raise RuntimeError(
            f"{name}: weight tensor should be defined either for all {n_classes} classes or no "
            f"classes but got weight tensor of shape: {list(weight.shape)}"
        )
    if weight.dtype != input.dtype:
        raise RuntimeError(
            f"{name}: expected weight of dtype {input.dtype} (the input's), but got {weight.dtype}"
        )


def check_class_target(name: str, input: Tensor, target: Tensor) -> Tensor:
    """Shape and dtype checks of a class-index target; returns it as int64. The class range is
    checked by :func:`check_class_range`."""
    common = target.dtype == torch.int64 and input.dim() == 2 and target.dim() == 1
    if common and target.shape[0] == input.shape[0]:
        return target  # the common (N, C) call, all checks passed
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() != 1 and (target.shape[0] if target.dim() else 0) != input.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0] if target.dim() else 0})."
        )
    if target.dtype not in (torch.int64, torch.uint8):
        raise RuntimeError(f"{name}: expected target dtype to be Long or Byte, but got {target.dtype}")
    expected = input.shape[:1] + input.shape[2:] if input.dim() > 1 else None
    if (expected is None and target.numel() != 1) or (expected is not None and target.shape != expected):
        want = "() or (1,)" if expected is None else str(tuple(expected))
        raise RuntimeError(
            f"{name}: expected a target of shape {want} for an input of shape {tuple(input.shape)} "
            f"(classes in dim {0 if input.dim() == 1 else 1}), but got {tuple(target.shape)}"
        )
    return target.long() if input.dim() > 1 else target.long().reshape(())  # (C,) input: one sample


def check_class_range(input: Tensor, target: Tensor, ignore_index: int) -> None:
    """0 <= y < C for every target that is not ``ignore_index``, as torch's IndexError (a
    device-side assert on CUDA). ATen's NLL kernel checks it as it reads the target, so only
    when the formula runs instead (formula mode, forward-mode AD) is it checked here."""
    if kernel_runs_in_forward(nll_forward) or not can_inspect_values():
        return
    n_classes = input.shape[class_dim_of(input)]
    valid = ((target >= 0) & (target < n_classes)) | (target == ignore_index)

    def message():
        if valid.device.type == "cuda":
            return "Target out of bounds."
        return f"Target {target[~valid].reshape(-1)[0].item()} is out of bounds."

    check_values(valid, IndexError, message)


def softmax_dim(name: str, input: Tensor, dim, stacklevel: int) -> int:
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if input.dim() in (0, 1, 3) else 1


def layer_norm_shape(normalized_shape) -> tuple[int, ...]:
    """``normalized_shape`` as a tuple of ints, refused as ``torch.layer_norm`` refuses it (an int
    is refused too: ``LayerNorm`` turns one into a tuple, the functional does not)."""
    if isinstance(normalized_shape, (tuple, list, torch.Size)):
        for position, size in enumerate(normalized_shape):
            if isinstance(size, bool) or not isinstance(size, numbers.Integral):
                raise TypeError(
                    "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, but "
                    f"found element of type {type(size).__name__} at pos {position}"
                )
        if not normalized_shape:
            raise RuntimeError(
                "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                "element, but got normalized_shape = []"
            )
        return tuple(int(size) for size in normalized_shape)
    raise TypeError(
        "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
        f"{type(normalized_shape).__name__}"
    )


def check_layer_norm(input: Tensor, normalized_shape: tuple[int, ...], weight, bias) -> None:
    """torch's checks of ``layer_norm``'s shapes and dtypes, with its messages: the input ends in
    ``normalized_shape``, the weight and bias have that shape, and they share the input's dtype
    (or are float32 for a float16/bfloat16 input: ATen's mixed-dtype case, which we allow too)."""
    listed = list(normalized_shape)
    for name, parameter in (("weight", weight), ("bias", bias)):
        if parameter is None:
            continue
        check_tensor("layer_norm", parameter, name)
        if tuple(parameter.shape) != normalized_shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                f"{list(parameter.shape)} and normalized_shape = {listed}"
            )
    count = len(normalized_shape)
    if input.dim() < count or tuple(input.shape[-count:]) != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={listed}, expected input with shape [*, {', '.join(map(str, listed))}], "
            f"but got input of size{list(input.shape)}"
        )
    dtypes = {p.dtype for p in (weight, bias) if p is not None}
    if dtypes and dtypes != {input.dtype}:
        half = input.dtype in (torch.float16, torch.bfloat16)
        if not (half and dtypes == {torch.float32}):
            raise RuntimeError(
                "mixed dtype (CPU): expect parameter to have scalar type of Float"
                if half or input.dtype == torch.float32
                else "mixed dtype (CPU): all inputs must share same datatype."
            )


def check_dropout_probability(p) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
