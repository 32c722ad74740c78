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

# The dtype names ATen's messages print ("expected scalar type Float but found Half").
_ATEN_DTYPE_NAMES = {
    torch.float64: "Double",
    torch.float32: "Float",
    torch.float16: "Half",
    torch.bfloat16: "BFloat16",
    torch.complex128: "ComplexDouble",
    torch.complex64: "ComplexFloat",
    torch.int64: "Long",
    torch.int32: "Int",
    torch.int16: "Short",
    torch.int8: "Char",
    torch.uint8: "Byte",
    torch.bool: "Bool",
}


def aten_dtype_name(dtype: torch.dtype) -> str:
    return _ATEN_DTYPE_NAMES.get(dtype, str(dtype).removeprefix("torch."))


def not_implemented_for(kernel: str, dtype: torch.dtype) -> NotImplementedError:
    """ATen's refusal of a dtype its kernel is not compiled for."""
    return NotImplementedError(f"\"{kernel}\" not implemented for '{aten_dtype_name(dtype)}'")


def check_floating_kernel(input: Tensor, cpu_kernel: str, cuda_kernel: str | None = None) -> None:
    """ATen's refusal of a non-floating input (integer, bool, complex; empty ones too) by a kernel
    compiled for floating types only, named as the device's kernel names itself (one name for
    both when the check is in the device-independent meta function)."""
    if not input.is_floating_point():
        on_cpu = input.device.type == "cpu" or cuda_kernel is None
        raise not_implemented_for(cpu_kernel if on_cpu else cuda_kernel, input.dtype)


def _argument_error(name: str, argument: str, position: int | None, expected: str, value) -> TypeError:
    """torch's argument parser's message (it names the position of a positional argument)."""
    where = "" if position is None else f" (position {position})"
    return TypeError(f"{name}(): argument '{argument}'{where} must be {expected}, not {type(value).__name__}")


def check_tensor(name: str, value, argument: str = "input", position: int | None = 1) -> None:
    if not isinstance(value, Tensor):
        raise _argument_error(name, argument, position, "Tensor", value)


def check_tensor_method(value, method: str) -> None:
    """torch.nn.functional's Python wrappers call a Tensor method of the argument first (``input.softmax``,
    ``target.size()``): anything else fails there, with Python's AttributeError."""
    if not isinstance(value, Tensor):
        raise AttributeError(f"'{type(value).__name__}' object has no attribute '{method}'")


def check_number(name: str, value, argument: str) -> None:
    """A real number of a torchlayers-only op (no torch twin, so no torch message to follow)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}(): argument '{argument}' must be a real number, not {type(value).__name__}")


def check_softshrink_lambd(input: Tensor, lambd: float) -> None:
    """0 <= λ <= the dtype's largest number, as torch's softshrink checks (for any input, empty
    ones included), with its RuntimeError and message."""
    if not input.is_floating_point():
        return
    largest = torch.finfo(input.dtype).max
    if not 0 <= lambd <= largest:  # NaN fails too, as in torch
        dtype_name = aten_dtype_name(input.dtype)
        raise RuntimeError(
            f"lambda must be in range [0, {largest:g}] for input dtype {dtype_name}, but found {lambd:g}"
        )


def _is_numpy_scalar(value) -> bool:
    return type(value).__module__ == "numpy" and isinstance(value, numbers.Number)


def check_scalar(name: str, value, argument: str, position: int, converted_to: str = "float") -> None:
    """A ``Number`` argument of an ATen op: bool, int, float (or a numpy scalar); a complex
    number passes the parser and fails the conversion to the op's C++ type (``float`` for most,
    ``double`` for softshrink's ``lambd``)."""
    if isinstance(value, complex):
        raise RuntimeError(f"value cannot be converted to type {converted_to} without overflow")
    if not (isinstance(value, (int, float)) or _is_numpy_scalar(value)):
        raise _argument_error(name, argument, position, "Number", value)


def check_int(name: str, value, argument: str, position: int | None) -> None:
    """An ``int`` argument of an ATen op (bool refused, as torch's parser does)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _argument_error(name, argument, position, "int", value)


def check_float(name: str, value, argument: str, position: int) -> None:
    """A ``float`` argument of an ATen op: any real number (bool and int included)."""
    if not isinstance(value, numbers.Real):
        raise _argument_error(name, argument, position, "float", value)


def raise_parser_error(function, input: Tensor, *args, **kwargs) -> None:
    """The TypeError of torch's argument parser for a call of an overloaded function
    (``torch.max``, ``torch.mean``), whose message lists every overload the call did not match.
    The parser itself writes it: ``function`` is called with the arguments on a meta copy of the
    input (no data, nothing computed). The message names arguments as the call passes them, so
    callers pass each one as torch's users mostly do (``dim`` by position, the rest by keyword);
    a call that torch accepts returns, for the caller's own error."""
    try:
        function(input.to("meta"), *args, **kwargs)
    except TypeError as error:
        raise TypeError(str(error)) from None


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_extremum_dim(function, input: Tensor, dim, keepdim: bool) -> bool:
    """Whether a ``max``/``min`` call reduces all elements (no ``dim``); else ``dim`` is an int.
    Two calls differ from torch's: ``dim=None`` (torch refuses it) is taken as no ``dim``, and a
    tensor ``dim`` (torch's elementwise extremum) is refused with a pointer to
    ``torch.maximum``/``torch.minimum``; every other bad call raises torch's parser error."""
    name = function.__name__
    if isinstance(dim, Tensor):
        raise TypeError(
            f"{name}(): argument 'dim' must be int, not Tensor; for the elementwise {name}imum of two "
            f"tensors use torch.{name}imum"
        )
    if not isinstance(keepdim, bool) or (dim is not None and not _is_int(dim)) or (dim is None and keepdim):
        keyword = {"keepdim": keepdim} if keepdim is not False else {}
        raise_parser_error(function, input, *(() if dim is None else (dim,)), **keyword)
    return dim is None


def check_mean_arguments(input: Tensor, dim, keepdim, dtype) -> None:
    """``torch.mean``'s argument types (``dim``: None, an int, or a tuple or list of ints), as its
    parser's error, then its refusal of an integer ``dtype``. One call differs: ``keepdim=True``
    without ``dim`` is taken as ``dim=None`` (torch refuses ``mean(x, keepdim=True)`` but accepts
    ``mean(x, None, True)``, which this signature cannot tell apart)."""
    dims = dim if isinstance(dim, (tuple, list)) else () if dim is None else (dim,)
    valid_types = isinstance(keepdim, bool) and isinstance(dtype, (torch.dtype, type(None)))
    if not (valid_types and all(map(_is_int, dims))):
        keywords = {"keepdim": keepdim} if keepdim is not False else {}
        if dtype is not None:
            keywords["dtype"] = dtype
        raise_parser_error(torch.mean, input, *(() if dim is None else (dim,)), **keywords)
    if dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError(
            "mean(): could not infer output dtype. Optional dtype must be either a floating point or "
            f"complex dtype. Got: {aten_dtype_name(dtype)}"
        )


def check_dtype_argument(name: str, dtype) -> None:
    """A ``dtype`` keyword of a (log-)softmax: None or a torch.dtype, as the parser checks it."""
    if dtype is not None and not isinstance(dtype, torch.dtype):
        raise TypeError(f"{name}(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")


def check_negation(input) -> None:
    """What ``-input`` raises for a non-tensor or a bool tensor (softmin, soft_margin_loss and
    margin_ranking_loss negate their input in torch)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bad operand type for unary -: '{type(input).__name__}'")
    if input.dtype == torch.bool:
        raise NotImplementedError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead."
        )


def check_subtraction(input: Tensor, other: Tensor) -> None:
    """What ``input - other`` raises for bool tensors."""
    if input.dtype == torch.bool and other.dtype == torch.bool:
        raise NotImplementedError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if torch.bool in (input.dtype, other.dtype):
        raise NotImplementedError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead."
        )


def check_cast(result: torch.dtype, output: torch.dtype) -> None:
    """ATen's refusal to write a floating result into an integer output (an in-place op, or an
    ``out=`` of the input's dtype)."""
    if not torch.can_cast(result, output):
        raise RuntimeError(
            f"result type {aten_dtype_name(result)} can't be cast to the desired output type "
            f"{aten_dtype_name(output)}"
        )


def check_inplace(input: Tensor, inplace: bool) -> None:
    """Refuse, before writing, what ``mark_dirty`` would only refuse after the forward wrote."""
    if inplace and input.requires_grad and input.is_leaf and torch.is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


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


def check_no_weight_grad(name: str, weight: Tensor | None, argument: str = "weight") -> None:
    """torch's refusal of a gradient for a constant argument (a weight, soft_margin_loss's target)."""
    if weight is not None and weight.requires_grad and torch.is_grad_enabled():
        raise RuntimeError(
            f"The function '{name}' is not differentiable with respect to argument '{argument}'. "
            "This input cannot have requires_grad True."
        )


def warn_if_sizes_differ(input: Tensor, target: Tensor) -> None:
    """torch's warning for a target that will broadcast against the input (mse_loss,
    smooth_l1_loss), attributed to the caller of the functional."""
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )


def check_same_dtype(expected: Tensor, found: Tensor) -> None:
    """ATen's check that a kernel's second tensor has its first one's dtype."""
    if found.dtype != expected.dtype:
        raise RuntimeError(
            f"expected scalar type {aten_dtype_name(expected.dtype)} but found {aten_dtype_name(found.dtype)}"
        )


def check_class_target(input: Tensor, target: Tensor, weight: Tensor | None) -> Tensor:
    """The checks of torch's ``nll_loss_nd`` on (log-probabilities, class-index target, class
    weight), in its order, with its messages; returns the target as int64. The class range is
    checked by :func:`check_class_range`."""
    dim = input.dim()
    common = target.dtype == torch.int64 and dim == 2 and target.dim() == 1 and input.is_floating_point()
    if common and target.shape[0] == input.shape[0] and weight is None:
        return target  # the common (N, C) call, all checks passed
    if dim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {dim})")
    target_batch = target.shape[0] if target.dim() else 0
    if dim != 1 and target_batch != input.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target_batch})."
        )
    if dim == 1 and target.dim() == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    if dim not in (1, 2, 4) and target.shape[1:] != input.shape[2:]:  # nll_loss_nd's reshape
        expected = [input.shape[0], *input.shape[2:]]
        raise RuntimeError(f"Expected target size {expected}, got {list(target.shape)}")
    kernel = "nll_loss_forward" if dim <= 2 else "nll_loss2d_forward"  # ATen's kernel for the shape
    check_no_weight_grad(kernel, weight)
    if dim <= 2 and target.dim() > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if dim == 4 and target.dim() != 3:
        raise RuntimeError(
            "only batches of spatial targets supported (3D tensors) but got targets of dimension: "
            f"{target.dim()}"
        )
    if dim == 4 and target.shape != input.shape[:1] + input.shape[2:]:
        raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: {list(target.shape)}")
    if target.dtype not in (torch.int64, torch.uint8):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {aten_dtype_name(target.dtype)}"
        )
    n_classes = input.shape[class_dim_of(input)]
    if weight is not None:
        if dim <= 2 and (weight.dim() != 1 or weight.numel() != n_classes):
            raise RuntimeError(
                f"weight tensor should be defined either for all {n_classes} classes or no classes but "
                f"got weight tensor of shape: {list(weight.shape)}"
            )
        if dim > 2 and weight.numel() != n_classes:
            raise RuntimeError("weight tensor should be defined either for all or no classes")
    if not input.is_floating_point():
        frame = "nll_loss_out_frame" if dim <= 2 else "nll_loss2d_forward_out_frame"
        raise not_implemented_for(frame, input.dtype)
    if weight is not None:
        check_same_dtype(input, weight)
    return target.long() if dim > 1 else target.long().reshape(())  # (C,) input: one sample


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
    """``dim`` checked as ``Tensor.softmax`` checks it, or the deprecated implicit choice."""
    if dim is not None:
        check_int(name, dim, "dim", 1)
        return dim
    check_tensor_method(input, "dim")
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if input.dim() in (0, 1, 3) else 1


def check_softmax_dtype(name: str, input: Tensor, dim: int) -> None:
    """ATen's CPU (log-)softmax kernels refuse integer and bool inputs (the formula would not)."""
    rank = max(input.dim(), 1)
    if input.is_floating_point() or input.numel() == 0 or not -rank <= dim < rank:
        return  # a bad dim is the Function's IndexError, as torch's
    last = input.dim() == 0 or dim % input.dim() == input.dim() - 1
    raise not_implemented_for(f"{name}_lastdim_kernel_impl" if last else f"{name}_kernel_impl", input.dtype)


# --- lookup table and adaptive pooling --------------------------------------------------------


def embedding_padding_idx(padding_idx: int | None, num_embeddings: int) -> int:
    """``padding_idx`` as a row in [0, num_embeddings), negative ones counted from the end, or -1
    for none (ATen's convention); torch.nn's AssertionError when it lies outside the table."""
    if padding_idx is None:
        return -1
    if (padding_idx > 0 and padding_idx >= num_embeddings) or padding_idx < -num_embeddings:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


def check_embedding(input: Tensor, weight: Tensor) -> None:
    """ATen's embedding checks: a 2-d weight, long or int indices."""
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.dtype not in (torch.int64, torch.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
            f"Long, Int; but got {input.type()} instead (while checking arguments for embedding)"
        )


def refuse_sparse_embedding(name: str, sparse: bool) -> None:
    if sparse:
        raise NotImplementedError(
            f"{name}: sparse=True (a sparse gradient for the weight) is not supported by torchlayers; "
            "use sparse=False, whose dense gradient holds the same values"
        )


def adaptive_output_size(name: str, input: Tensor, output_size, nonzero_dims: range) -> tuple[int, int]:
    """``output_size`` (an int, or a pair whose ``None`` keeps that input size) as a pair of ints,
    with torch's checks and exception types for the input and the sizes: ``nonzero_dims`` are
    the input dimensions that may not be empty (the spatial ones for the average, every
    non-batch one for the max, as ATen's kernels)."""
    if isinstance(output_size, int):
        sizes = [output_size, output_size]
    else:  # torch.nn.modules.utils._list_with_default
        if input.dim() <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        sizes = [
            v if v is not None else d
            for v, d in zip(output_size, input.shape[-len(output_size) :], strict=False)
        ]
    for position, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(
                f"{name}(): argument 'output_size' (position 2) must be tuple of ints, but found "
                f"element of type {type(size).__name__} at pos {position}"
            )
    if len(sizes) != 2:
        raise RuntimeError(f"{name}: output_size must be 2")
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    for dim in nonzero_dims:
        if input.shape[dim] == 0:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input "
                f"has sizes {list(input.shape)} with dimension {dim % input.dim()} being empty"
            )
    if sizes[0] < 0 or sizes[1] < 0:
        raise RuntimeError(
            f"{name}: elements of output_size must be greater than or equal to 0 but received "
            f"{{{sizes[0]}, {sizes[1]}}}"
        )
    if not input.is_floating_point():
        raise NotImplementedError(f"{name}(): expected a floating point input, got {input.dtype}")
    return sizes[0], sizes[1]


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


def broadcast_shape(*tensors: Tensor) -> torch.Size:
    """The shape the tensors broadcast to, with ``torch.broadcast_tensors``' RuntimeError (and
    message) when they cannot; views made without grad, so no autograd node records the check."""
    with torch.no_grad():
        return torch.broadcast_tensors(*tensors)[0].shape
