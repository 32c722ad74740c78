"""Where a small op's time goes: ReLU's apply path, one layer at a time.

From the inside out: the native op, a minimal Python Function (the floor: torch's cost of any
``autograd.Function``), ``ReLUFunction`` through ``torch``'s ``setup_context`` path and through
our ``forward(ctx, ...)`` eager twin (what eager calls run), the ``dispatcher`` closure
(``torch.compiler.is_compiling()``, the transform check), the functional wrapper (argument
checks), the ``nn.Module`` call. Each is timed for forward + backward on a small input,
interleaved, so the difference between neighbours is the cost of that layer.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

import torchlayers.functional as F
import torchlayers.nn as tnn
from benchmarks.config import Config
from benchmarks.floor import MinimalReLU
from benchmarks.timing import compare
from torchlayers.autograd import ReLUFunction
from torchlayers.autograd._function import with_ctx_forward


def run(config: Config, log: Callable[[str], None] = print) -> dict:
    input = torch.randn(config.small_shape, device=config.device, requires_grad=True)
    grad_output = torch.rand_like(input) + 0.5
    apply_relu = F._apply_relu
    eager_twin = with_ctx_forward(ReLUFunction)
    paths = {
        "torchlayers.nn.ReLU()": tnn.ReLU(),
        "torchlayers.functional.relu": F.relu,
        "dispatcher(ReLUFunction)": lambda x: apply_relu(x, False),
        "ReLUFunction.apply (setup_context path)": lambda x: ReLUFunction.apply(x, False),
        "eager twin of ReLUFunction (ctx path)": lambda x: eager_twin.apply(x, False),
        "minimal Python Function (floor)": MinimalReLU.apply,
        "torch.nn.ReLU()": torch.nn.ReLU(),
        "torch.relu": torch.relu,
    }

    def candidate(path):
        return lambda: lambda: torch.autograd.grad(path(input), input, grad_output)

    comparison = compare(
        {name: candidate(path) for name, path in paths.items()},
        config.device,
        rounds=config.rounds,
        min_block_s=config.min_block_s,
        reference="torch.relu",
    )
    native = comparison.seconds["torch.relu"]
    for name, seconds in comparison.seconds.items():
        log(f"{name:>30}: {seconds * 1e6:7.1f} µs per fwd+bwd  (+{(seconds - native) * 1e6:5.1f})")
    return {"shape": list(config.small_shape), **comparison.as_dict()}
