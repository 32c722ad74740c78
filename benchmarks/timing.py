"""Interleaved timing and memory measurement shared by the op and MLP benchmarks.

Timing: each candidate is timed in blocks of ``number`` calls, the candidates alternating
block by block (A B, B A, A B, ...) so that a change in machine load hits both alike. A block
is timed with ``time.perf_counter`` on CPU and with CUDA events on CUDA (the events bracket
the launches; the end event is waited on before its time is read). The figure kept per
candidate is the median per-call time over the rounds; the ratio is the median over rounds of
the per-round ratio, which cancels slow drift in the machine's load.

Memory: on CUDA, the peak of ``torch.cuda.max_memory_allocated`` over what was allocated
before the call; on CPU, the same peak from the profiler's record of every allocation and free
(``profile_memory=True``). On any device, the bytes of the tensors autograd saves for backward
(counted once per storage), the deterministic size of the activation memory a training step
keeps.
"""

from __future__ import annotations

import gc
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from torchlayers.testing import saved_tensor_bytes  # noqa: F401  (re-exported: benchmarks and tests use it here)

# A candidate is a factory called once per round, outside the timed block, that returns the
# zero-argument callable to time (so a backward-only candidate can build its graph there).
Candidate = Callable[[], Callable[[], object]]


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_block(
    fn: Callable[[], object],
    number: int,
    device: torch.device,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Seconds per call of ``fn`` over ``number`` back-to-back calls; on CPU read from ``clock``
    (the wall clock unless told otherwise)."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        if device.type == "cuda":
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize(device)  # nothing queued before the block is counted
            start.record()
            for _ in range(number):
                fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end) / 1e3 / number  # elapsed_time is in milliseconds
        start_s = clock()
        for _ in range(number):
            fn()
        return (clock() - start_s) / number
    finally:
        if gc_was_enabled:
            gc.enable()


@dataclass
class Comparison:
    """Per-call times of candidates timed in alternation, and their ratios to a reference."""

    seconds: dict[str, float]  # median per-call seconds, per candidate
    ratios: dict[str, float]  # per candidate: median over rounds of (candidate / reference)
    ratio_iqr: dict[str, tuple[float, float]]  # 25th and 75th percentiles of those ratios
    reference: str
    rounds: int
    number: int  # calls per timed block

    @property
    def ratio(self) -> float:
        """The ratio of the first candidate (the one under test) to the reference."""
        return self.ratios[next(iter(self.ratios))]

    def as_dict(self) -> dict:
        return {
            "seconds": self.seconds,
            "ratio": self.ratio,
            "ratios": self.ratios,
            "ratio_iqr": self.ratio_iqr,
            "reference": self.reference,
            "rounds": self.rounds,
            "number": self.number,
        }


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def compare(
    candidates: dict[str, Candidate],
    device: torch.device,
    rounds: int,
    min_block_s: float,
    reference: str | None = None,
    warmup: int = 3,
    clock: Callable[[], float] = time.perf_counter,
) -> Comparison:
    """Time the candidates in alternation; ratios are to ``reference`` (default: the last)."""
    names = list(candidates)
    reference = names[-1] if reference is None else reference
    if len(names) < 2 or reference not in candidates:
        raise ValueError(f"compare() needs two or more candidates including {reference!r}, got {names}")
    # Warm up (first-call allocations, lazy initialisation, autotuning) and estimate the cost
    # of one call, so that every block runs long enough for the clock to resolve it.
    single = {}
    for name in names:
        fn = candidates[name]()
        for _ in range(warmup):
            fn()
        single[name] = time_block(candidates[name](), 1, device, clock)
    number = max(1, math.ceil(min_block_s / max(min(single.values()), 1e-9)))

    per_round: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        # Rotate the order every round so no candidate always runs first (or after another).
        shift = round_index % len(names)
        order = names[shift:] + names[:shift]
        if round_index % (2 * len(names)) >= len(names):
            order = order[::-1]
        for name in order:
            per_round[name].append(time_block(candidates[name](), number, device, clock))
    ratios, ratio_iqr = {}, {}
    for name in names:
        if name == reference:
            continue
        paired = [a / b for a, b in zip(per_round[name], per_round[reference], strict=True)]
        ratios[name] = statistics.median(paired)
        ratio_iqr[name] = (_quantile(paired, 0.25), _quantile(paired, 0.75))
    return Comparison(
        seconds={name: statistics.median(times) for name, times in per_round.items()},
        ratios=ratios,
        ratio_iqr=ratio_iqr,
        reference=reference,
        rounds=rounds,
        number=number,
    )


def cuda_peak_bytes(fn: Callable[[], object], device: torch.device) -> int:
    """Peak CUDA memory allocated while ``fn`` runs, above what was allocated before it."""
    torch.cuda.synchronize(device)
    gc.collect()
    torch.cuda.reset_peak_memory_stats(device)
    baseline = torch.cuda.memory_allocated(device)
    result = fn()
    torch.cuda.synchronize(device)
    peak = torch.cuda.max_memory_allocated(device) - baseline
    del result
    return peak


def cpu_peak_bytes(fn: Callable[[], object]) -> int:
    """Peak CPU memory allocated while ``fn`` runs, above what was allocated before it: the
    running sum of the profiler's allocation and free events, at its maximum.

    The profiler does not report the free of a block allocated before it started, so ``fn``
    should free only what it allocates (zero a training step's gradients before the call).
    """
    gc.collect()
    # Kineto's start/stop lines (and, on a CUDA build without a GPU, its device-count error)
    # would fill the log; read once, when the first profiler starts.
    os.environ.setdefault("KINETO_LOG_LEVEL", "99")
    activities = [torch.profiler.ProfilerActivity.CPU]
    with torch.profiler.profile(activities=activities, profile_memory=True) as profiler:
        result = fn()
        del result
    events = profiler.profiler.kineto_results.events()
    changes = sorted((e.start_ns(), e.nbytes()) for e in events if e.name() == "[memory]")
    current = peak = 0
    for _, nbytes in changes:  # an allocation is positive, a free negative
        current += nbytes
        peak = max(peak, current)
    return peak


def copy_bandwidth(device: torch.device, numel: int, rounds: int = 5) -> float:
    """Bytes per second of ``copy_`` between two ``numel``-element float32 tensors (read + write).

    The reference for "fraction of copy bandwidth": the best an elementwise kernel can do.
    """
    source = torch.rand(numel, device=device)
    target = torch.empty_like(source)
    target.copy_(source)  # warm-up
    number = 10 if device.type == "cuda" else 3
    best = min(time_block(lambda: target.copy_(source), number, device) for _ in range(rounds))
    return 2 * source.numel() * source.element_size() / best
