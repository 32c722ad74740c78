"""Jacobians three ways, and the course notebooks' side-by-side comparison of two of them.

For f: ℝⁿ → ℝᵐ (every floating input flattened and concatenated, likewise the outputs):

* numeric, by central differences: J[:, j] ≈ (f(x + h eⱼ) - f(x - h eⱼ)) / 2h, error O(h²);
* reverse mode (what ``backward`` computes): row i is the gradient of output i, Jᵀ eᵢ;
* forward mode (what ``jvp`` computes): column j is the tangent of the outputs along eⱼ, J eⱼ.

The relative error of an entry is |a - n| / max(|a| + |n|, 1e-8), as in CS231n's notebooks.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.autograd import forward_ad

from torchlayers.testing._calls import floating_outputs

EPS = 1e-6


def _flat(result) -> torch.Tensor:
    outputs = floating_outputs(result)
    if not outputs:
        return torch.zeros(0, dtype=torch.float64)
    return torch.cat([o.detach().reshape(-1).to(torch.float64) for o in outputs])


def numeric_jacobian(fn: Callable, inputs: list[torch.Tensor], eps: float = EPS) -> torch.Tensor:
    """The m x n Jacobian of ``fn`` by central differences (each input perturbed in a copy)."""
    # contiguous copies: the numbers do not depend on the layout, and view(-1) indexes them
    base = [x.detach().clone(memory_format=torch.contiguous_format) for x in inputs]
    m = _flat(fn(*base)).numel()
    columns = []
    for k, x in enumerate(base):
        for j in range(x.numel()):
            column = []
            for step in (eps, -eps):
                shifted = list(base)
                shifted[k] = x.clone()
                shifted[k].view(-1)[j] += step
                column.append(_flat(fn(*shifted)))
            columns.append((column[0] - column[1]) / (2 * eps))
    if not columns:
        return torch.zeros(m, 0, dtype=torch.float64)
    return torch.stack(columns, dim=1)


def reverse_jacobian(fn: Callable, inputs: list[torch.Tensor]) -> torch.Tensor:
    """The m x n Jacobian from ``backward``: one vector-Jacobian product per output entry."""
    leaves = [x.detach().clone().requires_grad_() for x in inputs]
    outputs = floating_outputs(fn(*leaves))
    tracked = [o for o in outputs if o.requires_grad]
    n = sum(x.numel() for x in leaves)
    rows = []
    for output in outputs:
        for i in range(output.numel()):
            if not output.requires_grad:  # an output autograd cannot reach: a row of zeros
                rows.append(torch.zeros(n, dtype=torch.float64))
                continue
            cotangents = [torch.zeros_like(o) for o in tracked]
            cotangents[next(k for k, o in enumerate(tracked) if o is output)].view(-1)[i] = 1
            found = torch.autograd.grad(tracked, leaves, cotangents, retain_graph=True, allow_unused=True)
            rows.append(
                torch.cat(
                    [
                        (torch.zeros_like(x) if g is None else g).reshape(-1).to(torch.float64)
                        for x, g in zip(leaves, found, strict=True)
                    ]
                )
            )
    return torch.stack(rows) if rows else torch.zeros(0, n, dtype=torch.float64)


def forward_jacobian(fn: Callable, inputs: list[torch.Tensor]) -> torch.Tensor:
    """The m x n Jacobian from ``jvp``: one Jacobian-vector product per input entry."""
    base = [x.detach() for x in inputs]
    columns = []
    for k, x in enumerate(base):
        for j in range(x.numel()):
            with forward_ad.dual_level():
                duals = []
                for i, b in enumerate(base):
                    tangent = torch.zeros_like(b)
                    if i == k:
                        tangent.view(-1)[j] = 1
                    duals.append(forward_ad.make_dual(b, tangent))
                result = fn(*duals)
                tangents = []
                for output in floating_outputs(result):
                    t = forward_ad.unpack_dual(output).tangent
                    tangents.append(torch.zeros_like(output) if t is None else t)
                columns.append(_flat(tuple(tangents)))
    if not columns:
        return torch.zeros(_flat(fn(*base)).numel(), 0, dtype=torch.float64)
    return torch.stack(columns, dim=1)


def relative_error(analytic: torch.Tensor, numeric: torch.Tensor) -> torch.Tensor:
    """|a - n| / max(|a| + |n|, 1e-8), entrywise."""
    return (analytic - numeric).abs() / (analytic.abs() + numeric.abs()).clamp_min(1e-8)


def side_by_side(
    numeric: torch.Tensor, analytic: torch.Tensor, inputs: list[torch.Tensor], label: str, rows: int = 8
) -> str:
    """The worst ``rows`` entries of two Jacobians, numeric beside analytic, with their relative
    errors; an entry is named by (output index, input k, index in input k)."""
    if numeric.shape != analytic.shape:
        return f"    Jacobian shapes differ: numeric {tuple(numeric.shape)}, {label} {tuple(analytic.shape)}"
    errors = relative_error(analytic, numeric)
    order = torch.argsort(errors.reshape(-1), descending=True)[:rows]
    offsets = [0]
    for x in inputs:
        offsets.append(offsets[-1] + x.numel())
    lines = [f"    {'output':>8}  {'input[index]':<16}{'numeric':>14}{label:>14}{'rel. error':>12}"]
    for flat in order.tolist():
        i, j = divmod(flat, numeric.shape[1])
        k = max(s for s in range(len(inputs)) if offsets[s] <= j)
        index = (
            tuple(torch.unravel_index(torch.tensor(j - offsets[k]), inputs[k].shape))
            if inputs[k].dim()
            else ()
        )
        where = f"{k}[{', '.join(str(int(v)) for v in index)}]"
        lines.append(
            f"    {i:>8}  {where:<16}{numeric[i, j].item():>14.6g}{analytic[i, j].item():>14.6g}"
            f"{errors[i, j].item():>12.1e}"
        )
    return "\n".join(lines)
