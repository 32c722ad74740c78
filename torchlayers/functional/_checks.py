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
    """An ``int`` argument of an ATen op (bool refused, as torch's parser does). A plain
    ``int`` is accepted before the ``numbers.Integral`` test, an ABC check several times slower,
    which would otherwise run on every call."""
    if type(value) is not int and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
        raise _argument_error(name, argument, position, "int", value)


def check_bool(name: str, value, argument: str, position: int) -> None:
    """A ``bool`` argument of an ATen op: a Python bool only (0 and 1 refused, as torch's parser does)."""
    if not isinstance(value, bool):
        raise _argument_error(name, argument, position, "bool", value)


def _type_name(value) -> str:
    """The type's name as torch's parser prints it (CPython's ``tp_name``: numpy's types qualified)."""
    kind = type(value)
    return kind.__name__ if kind.__module__ in ("builtins", "torch") else f"{kind.__module__}.{kind.__name__}"


def _is_list_index(value, first: bool) -> bool:
    """What the parser unpacks as one int of an ``int[]``: the first element is checked strictly
    (an int, a numpy integer or an integer tensor, not a bool), the others only by ``__index__``
    (so ``True`` passes there as 1)."""
    if isinstance(value, Tensor):
        return value.numel() == 1 and not (
            value.is_floating_point() or value.is_complex() or value.dtype == torch.bool
        )
    if isinstance(value, bool):
        return not first
    return isinstance(value, numbers.Integral)


def check_int_list(name: str, value, argument: str, position: int, size: int | None = None) -> list[int]:
    """An ``int[]`` argument (``int[size]`` with ``size``, where one int stands for all) as torch's
    argument parser unpacks it, with its TypeErrors: for the first element, and for any other."""
    if size is not None and _is_int(value):
        return [int(value)] * size
    prefix = f"{name}(): argument '{argument}'"
    if not isinstance(value, (tuple, list)):  # torch.Size is a tuple
        raise TypeError(f"{prefix} (position {position}) must be tuple of ints, not {_type_name(value)}")
    for index, element in enumerate(value):
        if _is_list_index(element, first=index == 0):
            continue
        if index == 0:
            raise TypeError(
                f"{prefix} (position {position}) must be tuple of ints, but found element of type "
                f"{_type_name(element)} at pos 0"
            )
        raise TypeError(
            f'{prefix} failed to unpack the object at pos {position} with error "type must be tuple of '
            f'ints,but got {_type_name(element)}"'
        )
    return [int(element) for element in value]


def check_mean_dtype(dtype: torch.dtype) -> None:
    """``torch.mean``'s refusal of an integer or bool input (it cannot infer the result dtype)."""
    if not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {aten_dtype_name(dtype)}"
        )


def check_float(name: str, value, argument: str, position: int) -> None:
    """A ``float`` argument of an ATen op: any real number (bool and int included; a plain
    ``float`` passes before the slower ``numbers.Real`` ABC test)."""
    if type(value) is not float and not isinstance(value, numbers.Real):
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


# The dtypes with a legacy tensor type name ("torch.FloatTensor"); ATen names the others by device
# and dtype ("CPUBoolType") in its argument checks.
_LEGACY_TENSOR_TYPES = (
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.float16,
    torch.float32,
    torch.float64,
)


def aten_tensor_type_name(tensor: Tensor) -> str:
    if tensor.dtype in _LEGACY_TENSOR_TYPES:
        return tensor.type()
    return f"{tensor.device.type.upper()}{aten_dtype_name(tensor.dtype)}Type"


def check_index_dtype(function: str, indices: Tensor, position: int) -> None:
    """ATen's ``checkScalarTypes`` of an ``indices`` argument: long or int."""
    if indices.dtype not in (torch.int64, torch.int32):
        raise RuntimeError(
            f"Expected tensor for argument #{position} 'indices' to have one of the following scalar types: "
            f"Long, Int; but got {aten_tensor_type_name(indices)} instead (while checking arguments for "
            f"{function})"
        )


def check_embedding(input: Tensor, weight: Tensor) -> None:
    """ATen's embedding checks: a 2-d weight, long or int indices."""
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    check_index_dtype("embedding", input, 1)


def check_embedding_renorm(weight: Tensor, indices: Tensor) -> None:
    """ATen's ``embedding_renorm_`` checks, in its order: a 2-d weight, long or int indices, and
    (on the CPU, where it reads the sorted indices one row at a time) each index a row of the
    weight, negative ones counted from the end (``weight[i]``), with the IndexError of the first
    one that is not."""
    if weight.dim() != 2:
        raise RuntimeError(
            f"Expected 2-dimensional tensor, but got {weight.dim()}-dimensional tensor for argument #1 "
            "'self' (while checking arguments for embedding_renorm_)"
        )
    check_index_dtype("embedding_renorm_", indices, 2)
    if indices.device.type != "cpu" or not can_inspect_values() or indices.numel() == 0:
        return
    rows = weight.shape[0]
    outside = indices[(indices < -rows) | (indices >= rows)]
    if outside.numel():
        raise IndexError(
            f"select(): index {outside.min().item()} out of range for tensor of size {list(weight.shape)} "
            "at dimension 0"
        )


def refuse_sparse_embedding(name: str, sparse: bool) -> None:
    if sparse:
        raise NotImplementedError(
            f"{name}: sparse=True (a sparse gradient for the weight) is not supported by torchlayers; "
            "use sparse=False, whose dense gradient holds the same values"
        )


def adaptive_output_size(name: str, input: Tensor, output_size) -> list[int]:
    """``output_size`` (an int, or a pair whose ``None`` keeps that input size) as the ints
    torch.nn.functional passes to ATen (its ``_list_with_default``, then the argument parser),
    with their exceptions; the sizes themselves are checked by each op's ATen checks."""
    check_tensor_method(input, "size")  # torch's first use of the input: input.size()
    if not isinstance(output_size, int):  # _list_with_default: an int (a bool too) goes to the parser
        if input.dim() <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        defaults = input.shape[-len(output_size) :]
        output_size = [v if v is not None else d for v, d in zip(output_size, defaults, strict=False)]
    return check_int_list(name, output_size, "output_size", 2, size=2)


def _check_nonempty(name: str, input: Tensor, dims) -> None:
    for dim in dims:
        if input.shape[dim] == 0:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input "
                f"has sizes {list(input.shape)} with dimension {dim % input.dim()} being empty"
            )


def check_adaptive_avg_pool2d(input: Tensor, output_size: list[int]) -> None:
    """ATen's ``adaptive_avg_pool2d`` checks in its order: two sizes, none negative, then for
    a (1, 1) output those of the mean torch takes instead (an integer input; fewer than two
    dimensions), else a 3-d or 4-d input, non-empty spatial dimensions, a floating dtype.

    One difference: torch's (1, 1) output is ``input.mean((-1, -2), keepdim=True)``, which also
    accepts a 2-d or 5-d and more input, empty planes (NaN) and complex inputs; ours refuses
    those with the errors of any other output size."""
    if len(output_size) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    height, width = output_size
    if height < 0 or width < 0:
        raise RuntimeError(
            "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received "
            f"{{{height}, {width}}}"
        )
    if output_size == [1, 1]:
        check_mean_dtype(input.dtype)
        if input.dim() < 2:
            rank = max(input.dim(), 1)
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got -2)"
            )
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    _check_nonempty("adaptive_avg_pool2d", input, (-2, -1))
    check_floating_kernel(input, "adaptive_avg_pool2d", "adaptive_avg_pool2d_cuda")


def check_adaptive_max_pool2d(input: Tensor, output_size: list[int]) -> None:
    """ATen's ``adaptive_max_pool2d`` checks in its order (its meta function): a 3-d or 4-d input,
    every non-batch dimension non-empty, two sizes, an output shape without negative sizes, then
    the kernel's floating dtype."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    _check_nonempty("adaptive_max_pool2d", input, range(1, input.dim()))
    if len(output_size) != 2:
        raise RuntimeError("adaptive_max_pool2d(): internal error: output_size.size() must be 2")
    shape = [*input.shape[:-2], *output_size]
    negative = [size for size in shape if size < 0]
    if negative:
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative[0]}: {shape}")
    check_floating_kernel(input, "adaptive_max_pool2d", "adaptive_max_pool2d_cuda")


def layer_norm_shape(normalized_shape) -> tuple[int, ...]:
    """``normalized_shape`` as a tuple of ints, refused as ``torch.layer_norm``'s parser refuses it
    (an int too: ``LayerNorm`` turns one into a tuple, the functional does not)."""
    return tuple(check_int_list("layer_norm", normalized_shape, "normalized_shape", 2))


def check_layer_norm(input: Tensor, normalized_shape: tuple[int, ...], weight, bias, eps) -> None:
    """torch's checks of ``layer_norm`` in its order, with its messages: the parser's (weight,
    bias, eps), the CPU kernel's mixed-dtype check (parameters whose dtype is not the input's
    must be float32, for a float16/bfloat16 input: ATen's mixed-dtype case, which we allow too),
    the shapes (``normalized_shape`` not empty; weight and bias of that shape; the input ending
    in it), the kernel's floating dtype, and each parameter of the input's dtype."""
    for position, (name, parameter) in enumerate((("weight", weight), ("bias", bias)), start=3):
        if parameter is not None:
            check_tensor("layer_norm", parameter, name, position)
    check_float("layer_norm", eps, "eps", 5)
    parameters = [p for p in (weight, bias) if p is not None]
    mixed = bool(parameters) and parameters[0].dtype != input.dtype
    if mixed:
        if any(p.dtype != torch.float32 for p in parameters):
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        if input.dtype not in (torch.float16, torch.bfloat16):
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    listed = list(normalized_shape)
    if not normalized_shape:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
            "element, but got normalized_shape = []"
        )
    for name, parameter in (("weight", weight), ("bias", bias)):
        if parameter is not None and tuple(parameter.shape) != normalized_shape:
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
    check_floating_kernel(input, "LayerNormKernelImpl")
    if not mixed:
        for parameter in parameters:
            check_same_dtype(input, parameter)


def check_dropout_probability(p, low: float = 0.0, high: float = 1.0) -> None:
    """torch's Python check of ``p`` (``torch.nn.Dropout`` compares with the ints 0 and 1, the
    functional with 0.0 and 1.0: the TypeError of a bad ``p`` names which)."""
    if p < low or p > high:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def check_dropout(input: Tensor, p: float, training: bool) -> None:
    """ATen's ``dropout`` after torch's Python check: the parser's types, the range once more
    (NaN passes the Python check and fails this one)."""
    check_tensor("dropout", input)
    check_float("dropout", p, "p", 2)
    check_bool("dropout", training, "train", 3)
    if not 0 <= p <= 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def check_dropout_input(input: Tensor) -> None:
    """What ATen's CPU dropout raises as it draws the mask (``noise.bernoulli_(1 - p)``, no kernel
    for complex) and scales it in the input's dtype (``noise.div_(1 - p)``, a float result an
    integer tensor cannot hold)."""
    if input.is_complex():
        raise not_implemented_for("bernoulli_scalar_cpu_", input.dtype)
    if not input.is_floating_point():  # the scaled mask is of the default dtype
        check_cast(torch.get_default_dtype(), input.dtype)


def broadcast_shape(*tensors: Tensor) -> torch.Size:
    """The shape the tensors broadcast to, with ``torch.broadcast_tensors``' RuntimeError (and
    message) when they cannot; views made without grad, so no autograd node records the check."""
    with torch.no_grad():
        return torch.broadcast_tensors(*tensors)[0].shape
