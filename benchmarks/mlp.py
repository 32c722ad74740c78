"""One SGD training step of an MLP (3072-1024-1024-10, batch 512, cross-entropy):
``torchlayers.models.MLP`` (one fused node per layer, the default) against the same network from
``torch.nn`` (``MLP(..., backend="torch")``), eager and ``torch.compile``'d, in float32 and under
bfloat16 autocast; time per step, memory, and graph breaks when compiled.

The eager float32 step is also timed in formula mode (``torchlayers.use_kernels(False)``: every
derivative its plain-op formula, no ATen kernel standing in) and layer by layer (``MLP(...,
fused=False)``, one node per operation) and as one node (``MLP(..., fused="network")``), beside
the default MLP in kernel mode in the same run; at host-bound sizes also through
:mod:`benchmarks.floor`'s MLP, one minimal Python Function per operation: the least a per-op
design can cost, and with ``torch.nn``'s cross-entropy loss in place of ours (the default
nodes and the one node), which splits the step's excess between the model's nodes and the
loss's.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable

import torch
from torch import nn

import torchlayers
import torchlayers.nn as tnn
from benchmarks import floor
from benchmarks.config import Config
from benchmarks.ops import FORMULAS  # torchlayers with use_kernels(False), as in the op table
from benchmarks.timing import compare, cpu_peak_bytes, cuda_peak_bytes, saved_tensor_bytes
from torchlayers.models import MLP

FLOOR = floor.NAME
PER_OP = "torchlayers, per-op (fused=False)"
NETWORK = 'torchlayers, one node (fused="network")'
WITH_TORCH_LOSS = "torchlayers MLP, torch.nn loss"
NETWORK_WITH_TORCH_LOSS = 'torchlayers MLP one node (fused="network"), torch.nn loss'


def _mlp(sizes: tuple[int, ...], **kwargs) -> MLP:
    """The ReLU MLP ``sizes[0]``-...-``sizes[-1]``."""
    return MLP(sizes[0], sizes[1:-1], sizes[-1], "relu", **kwargs)


# Each candidate's (model, criterion) for the MLP of the given sizes, and whether it runs with
# ATen's kernels (torchlayers' switch; the other libraries ignore it).
CANDIDATES: dict[str, tuple[Callable[[tuple[int, ...]], tuple[nn.Module, nn.Module]], bool]] = {
    "torchlayers": (lambda sizes: (_mlp(sizes), tnn.CrossEntropyLoss()), True),
    FORMULAS: (lambda sizes: (_mlp(sizes), tnn.CrossEntropyLoss()), False),
    PER_OP: (lambda sizes: (_mlp(sizes, fused=False), tnn.CrossEntropyLoss()), True),
    NETWORK: (lambda sizes: (_mlp(sizes, fused="network"), tnn.CrossEntropyLoss()), True),
    WITH_TORCH_LOSS: (lambda sizes: (_mlp(sizes), nn.CrossEntropyLoss()), True),
    NETWORK_WITH_TORCH_LOSS: (lambda sizes: (_mlp(sizes, fused="network"), nn.CrossEntropyLoss()), True),
    FLOOR: (lambda sizes: (floor.mlp(sizes), floor.CrossEntropyLoss()), True),
    "torch.nn": (lambda sizes: (_mlp(sizes, backend="torch"), nn.CrossEntropyLoss()), True),
}


class TrainingLoss(nn.Module):
    """Model and criterion as one module: the region ``torch.compile`` compiles."""

    def __init__(self, model: nn.Module, criterion: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.criterion = criterion

    def forward(self, input, target):
        return self.criterion(self.model(input), target)


class Trainer:
    """One candidate's model, optimizer and (possibly compiled) loss, ready to step."""

    def __init__(self, name: str, config: Config, state: dict, dtype: torch.dtype, compiled: bool) -> None:
        self.device = config.device
        self.dtype = dtype
        build, self.kernels = CANDIDATES[name]
        model, criterion = build(config.mlp_sizes)
        model.to(config.device).load_state_dict(state)  # every candidate starts from the same weights
        self.training_loss = TrainingLoss(model, criterion)
        self.optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        self.compiled = compiled
        self.graph_breaks: int | None = None
        self.graph_count: int | None = None
        self.compile_error: str | None = None
        self.loss_fn: Callable = self.training_loss
        if compiled:
            self.loss_fn = torch.compile(self.training_loss, fullgraph=True)

    def mode(self):
        """The candidate's kernel mode for a whole step (forward and backward)."""
        return torchlayers.use_kernels(self.kernels)

    def autocast(self):
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def explain(self, input, target) -> None:
        """Count graph breaks with ``torch._dynamo.explain`` (0 is the target)."""
        with self.mode(), self.autocast():
            explanation = torch._dynamo.explain(self.training_loss)(input, target)
        self.graph_breaks = explanation.graph_break_count
        self.graph_count = explanation.graph_count

    def loss(self, input, target):
        with self.mode(), self.autocast():
            return self.loss_fn(input, target)

    def step(self, input, target):
        with self.mode():
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.loss(input, target)
            loss.backward()
            self.optimizer.step()
        return loss


def step_data(config: Config) -> tuple[dict, torch.Tensor, torch.Tensor]:
    """The MLP's initial weights (seed 0, shared by every implementation) and one batch."""
    torch.manual_seed(0)
    state = _mlp(config.mlp_sizes, backend="torch").state_dict()
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
    config: Config,
    dtype: torch.dtype,
    compiled: bool,
    log: Callable[[str], None],
    extra: tuple[str, ...] = (),
) -> dict:
    """torchlayers' step against torch.nn's, and the ``extra`` candidates' (:data:`CANDIDATES`)."""
    device = config.device
    state, input, target = step_data(config)
    names = ("torchlayers", *extra, "torch.nn")
    trainers = {name: Trainer(name, config, state, dtype, compiled) for name in names}
    mode = "compiled" if compiled else "eager"
    record: dict = {
        "mode": mode,
        "dtype": str(dtype).removeprefix("torch."),
        "sizes": list(config.mlp_sizes),
        "batch": config.mlp_batch,
        "loss": {
            name: type(trainer.training_loss.criterion).__module__ for name, trainer in trainers.items()
        },
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
    extra_note = "".join(
        f", {name} {comparison.ratios[name]:.3f} (IQR {low:.3f}-{high:.3f})"
        for name in extra
        for low, high in [comparison.ratio_iqr[name]]
    )
    low, high = comparison.ratio_iqr["torchlayers"]
    log(
        f"mlp {mode:>8} {record['dtype']:>8}: torchlayers {seconds['torchlayers'] * 1e3:.2f} ms, "
        f"torch.nn {seconds['torch.nn'] * 1e3:.2f} ms, ratio {comparison.ratio:.3f} "
        f"(IQR {low:.3f}-{high:.3f}){extra_note}"
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
            eager_float32 = not compiled and dtype == torch.float32
            extra = (FORMULAS, PER_OP, NETWORK) if eager_float32 else ()
            records.append(benchmark_step(config, dtype, compiled, log, extra))
    log("mlp, host-bound sizes (Python and dispatch overhead):")
    records.append(
        {
            **benchmark_step(
                host_bound(config),
                torch.float32,
                False,
                log,
                (PER_OP, NETWORK, WITH_TORCH_LOSS, NETWORK_WITH_TORCH_LOSS, FLOOR, FORMULAS),
            ),
            "regime": "host-bound",
        }
    )
    return {"records": records}
