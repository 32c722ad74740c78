"""One SGD training step of an MLP (3072-1024-1024-10, batch 512, cross-entropy), built from
``torchlayers.nn`` against the same MLP from ``torch.nn``: eager and ``torch.compile``'d, in
float32 and under bfloat16 autocast; time per step, memory, and graph breaks when compiled.

The same step at host-bound sizes (eager float32) also times :mod:`benchmarks.floor`'s MLP, one
minimal Python Function per operation: the least such a design can cost.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
from collections.abc import Callable

import torch
from torch import nn

import torchlayers.nn as tnn
from benchmarks import floor
from benchmarks.config import Config
from benchmarks.timing import compare, cpu_peak_bytes, cuda_peak_bytes, saved_tensor_bytes

IMPLEMENTATIONS = ("torchlayers", "torch.nn")
FLOOR = floor.NAME


def build_mlp(library, sizes: tuple[int, ...]) -> nn.Sequential:
    """Linear-ReLU-...-Linear from ``library`` (``torchlayers.nn`` or ``torch.nn``)."""
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        if index:
            layers.append(library.ReLU())
        layers.append(library.Linear(fan_in, fan_out))
    return nn.Sequential(*layers)


def loss_module(library) -> tuple[nn.Module, str]:
    """``library.CrossEntropyLoss`` and its origin; torch.nn's while torchlayers has none."""
    if hasattr(library, "CrossEntropyLoss"):
        return library.CrossEntropyLoss(), library.__name__
    return nn.CrossEntropyLoss(), "torch.nn (torchlayers.nn has no CrossEntropyLoss yet)"


class TrainingLoss(nn.Module):
    """Model and criterion as one module: the region ``torch.compile`` compiles."""

    def __init__(self, model: nn.Module, criterion: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.criterion = criterion

    def forward(self, input, target):
        return self.criterion(self.model(input), target)


class Trainer:
    """One implementation's model, optimizer and (possibly compiled) loss, ready to step."""

    def __init__(self, library, config: Config, state: dict, dtype: torch.dtype, compiled: bool) -> None:
        self.device = config.device
        self.dtype = dtype
        model = build_mlp(library, config.mlp_sizes).to(config.device)
        model.load_state_dict(state)  # both implementations start from the same weights
        criterion, self.loss_origin = loss_module(library)
        self.training_loss = TrainingLoss(model, criterion)
        self.optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        self.compiled = compiled
        self.graph_breaks: int | None = None
        self.graph_count: int | None = None
        self.compile_error: str | None = None
        self.loss_fn: Callable = self.training_loss
        if compiled:
            self.loss_fn = torch.compile(self.training_loss, fullgraph=True)

    def autocast(self):
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def explain(self, input, target) -> None:
        """Count graph breaks with ``torch._dynamo.explain`` (0 is the target)."""
        with self.autocast():
            explanation = torch._dynamo.explain(self.training_loss)(input, target)
        self.graph_breaks = explanation.graph_break_count
        self.graph_count = explanation.graph_count

    def loss(self, input, target):
        with self.autocast():
            return self.loss_fn(input, target)

    def step(self, input, target):
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss(input, target)
        loss.backward()
        self.optimizer.step()
        return loss


def step_data(config: Config) -> tuple[dict, torch.Tensor, torch.Tensor]:
    """The MLP's initial weights (seed 0, shared by every implementation) and one batch."""
    torch.manual_seed(0)
    state = build_mlp(nn, config.mlp_sizes).state_dict()
    input = torch.randn(config.mlp_batch, config.mlp_sizes[0], device=config.device)
    target = torch.randint(0, config.mlp_sizes[-1], (config.mlp_batch,), device=config.device)
    return state, input, target


def host_bound(config: Config) -> Config:
    """``config`` at the host-bound sizes, batch and round count."""
    return dataclasses.replace(
        config,
        mlp_sizes=config.mlp_host_sizes,
        mlp_batch=config.mlp_host_batch,
        mlp_rounds=config.mlp_host_rounds,
    )


def benchmark_step(
    config: Config, dtype: torch.dtype, compiled: bool, log: Callable[[str], None], with_floor: bool = False
) -> dict:
    """torchlayers' step against torch.nn's (and, ``with_floor``, :mod:`benchmarks.floor`'s)."""
    device = config.device
    state, input, target = step_data(config)
    libraries = {"torchlayers": tnn, **({FLOOR: floor} if with_floor else {}), "torch.nn": nn}
    trainers = {name: Trainer(library, config, state, dtype, compiled) for name, library in libraries.items()}
    mode = "compiled" if compiled else "eager"
    record: dict = {
        "mode": mode,
        "dtype": str(dtype).removeprefix("torch."),
        "sizes": list(config.mlp_sizes),
        "batch": config.mlp_batch,
        "loss": {name: trainer.loss_origin for name, trainer in trainers.items()},
    }
    if compiled:
        torch._dynamo.reset()
        for trainer in trainers.values():
            trainer.explain(input, target)
        record["graph_breaks"] = {name: trainer.graph_breaks for name, trainer in trainers.items()}
        record["graph_count"] = {name: trainer.graph_count for name, trainer in trainers.items()}
    try:
        # Each candidate is one step; the first steps (warm-up) trigger compilation.
        comparison = compare(
            {
                name: (lambda trainer=trainer: lambda: trainer.step(input, target))
                for name, trainer in trainers.items()
            },
            device,
            rounds=config.mlp_rounds,
            min_block_s=config.min_block_s,
        )
    except Exception as error:  # a graph break under fullgraph=True, or a compiler failure
        record["error"] = f"{type(error).__name__}: {error}"
        log(f"mlp {mode} {record['dtype']}: {record['error'][:300]}")
        return record
    record["step"] = comparison.as_dict()
    if not compiled:
        # Saved-tensor hooks do not survive compilation, so the proxy is for eager mode.
        record["saved_bytes"] = {
            name: saved_tensor_bytes(lambda trainer=trainer: trainer.loss(input, target))
            for name, trainer in trainers.items()
        }
    if device.type == "cuda":
        record["cuda_peak_bytes"] = {
            name: cuda_peak_bytes(lambda trainer=trainer: trainer.step(input, target), device)
            for name, trainer in trainers.items()
        }
    elif device.type == "cpu":
        record["cpu_peak_bytes"] = {
            name: _cpu_step_peak(trainer, input, target) for name, trainer in trainers.items()
        }
    seconds = comparison.seconds
    floor_note = f", {FLOOR} {comparison.ratios[FLOOR]:.3f}" if with_floor else ""
    log(
        f"mlp {mode:>8} {record['dtype']:>8}: torchlayers {seconds['torchlayers'] * 1e3:.2f} ms, "
        f"torch.nn {seconds['torch.nn'] * 1e3:.2f} ms, ratio {comparison.ratio:.3f}{floor_note}"
    )
    return record


def _cpu_step_peak(trainer: Trainer, input, target) -> int:
    """Peak CPU memory of one step: the gradients are zeroed first, so the step frees only
    what it allocates (what :func:`cpu_peak_bytes` can follow)."""
    trainer.optimizer.zero_grad(set_to_none=True)
    return cpu_peak_bytes(lambda: trainer.step(input, target))


def run(config: Config, log: Callable[[str], None] = print) -> dict:
    records = []
    for compiled in (False, True) if config.compile else (False,):
        for dtype in config.autocast_dtypes:
            records.append(benchmark_step(config, dtype, compiled, log))
    log("mlp, host-bound sizes (Python and dispatch overhead):")
    records.append(
        {
            **benchmark_step(host_bound(config), torch.float32, False, log, with_floor=True),
            "regime": "host-bound",
        }
    )
    return {"records": records}
