"""``python -m torchlayers.testing package.module:MyFunction --reference torch.mul``: audit from the
command line. The report is printed; the exit code is 1 if a check failed, 0 otherwise.

Without ``--samples``, the op is taken to be elementwise and gets default samples: its tensor
arguments of shapes (3, 4), (7,) and () with values in [-2, 2] kept 0.1 away from 0 (where
ReLU-like ops have a kink), followed by the ``--args`` constants.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import sys

import torch
from torch.autograd import Function

from torchlayers.testing._audit import CHECKS, audit
from torchlayers.testing.registry import SampleInput, make_tensor

DEFAULT_SHAPES = [(3, 4), (7,), ()]


def resolve(spec: str):
    """The object named ``package.module:attribute`` or ``package.module.attribute``."""
    if ":" in spec:
        module, _, attribute = spec.partition(":")
        target = importlib.import_module(module)
    else:
        parts = spec.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            try:
                target = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            attribute = ".".join(parts[cut:])
            break
        else:
            raise ImportError(f"cannot import {spec!r}: name it as package.module:attribute")
    for name in attribute.split("."):
        target = getattr(target, name)
    return target


def tensor_count(op, constants: int) -> int:
    """How many tensors ``op`` takes before its constants: the parameters of ``forward`` (without
    ``ctx`` for a ``forward(ctx, ...)`` Function) or of the callable, defaults excluded."""
    fn = op.forward if inspect.isclass(op) and issubclass(op, Function) else op
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature
        return 1
    if inspect.isclass(op) and parameters and parameters[0].name == "ctx":
        parameters = parameters[1:]
    required = [
        p
        for p in parameters
        if p.default is inspect.Parameter.empty
        and p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    return max(len(required) - constants, 1)


def default_samples(tensors: int, constants: tuple) -> list[SampleInput]:
    """Elementwise samples: ``tensors`` tensors of one shape, then the constants."""
    return [
        SampleInput(
            (
                *(
                    make_tensor(shape, "cpu", torch.float64, True, -2.0, 2.0, kinks=(0.0,))
                    for _ in range(tensors)
                ),
                *constants,
            ),
            name=f"{shape}",
        )
        for shape in DEFAULT_SHAPES
    ]


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [name.strip() for name in text.split(",") if name.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m torchlayers.testing", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("op", help="the Function or callable, as package.module:Name")
    parser.add_argument("--reference", help="the callable that must give the same result, e.g. torch.mul")
    parser.add_argument("--args", default="", help="Python literals passed after the tensors, e.g. '2.5'")
    parser.add_argument(
        "--samples",
        help="a sample maker package.module:name(device, dtype, requires_grad) "
        "or a list of argument tuples; the op is then not taken to be elementwise",
    )
    parser.add_argument(
        "--elementwise",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="special values and made-up empty/0-d inputs apply (default: without --samples)",
    )
    parser.add_argument("--inplace", action="store_true", help="the op modifies its first argument in place")
    parser.add_argument("--checks", help=f"comma-separated checks to run (default all: {', '.join(CHECKS)})")
    parser.add_argument("--skip", help="comma-separated checks not to run")
    parser.add_argument("--strict", action="store_true", help="warnings (saved bytes) fail too")
    options = parser.parse_args(argv)

    op = resolve(options.op)
    reference = resolve(options.reference) if options.reference else None
    constants = tuple(ast.literal_eval(f"({options.args},)")) if options.args.strip() else ()
    if options.samples:
        samples = resolve(options.samples)
        elementwise = bool(options.elementwise)
    else:
        torch.manual_seed(0)
        samples = default_samples(tensor_count(op, len(constants)), constants)
        elementwise = options.elementwise is not False
    report = audit(
        op,
        samples,
        reference,
        checks=_names(options.checks),
        skip=_names(options.skip),
        elementwise=elementwise,
        inplace=options.inplace,
        strict=options.strict,
    )
    print(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
