"""The lecture's "vectorised operations" slide, measured: the Jacobian of a 4096-wide elementwise
layer against the vectorised backward torchlayers runs.

    python examples/jacobian.py [--batch-sizes 1 2 4] [--device cpu]

For a batch of B inputs of width n, the layer z = σ(y) maps R^(B·n) to R^(B·n): its Jacobian has
(B·n)² entries, (B·n)² · 4 bytes in float32, although only its B·n diagonal entries are not zero.
``torch.func.jacrev`` materialises it (one vectorised backward per row, through torchlayers'
sigmoid); the backward torchlayers runs computes g ⊙ σ(1 - σ) directly, B·n numbers. Sizes that
do not fit are stated by arithmetic. Prints a markdown table and the device, versions and date.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import time

import torch

import torchlayers
import torchlayers.functional as F
from torchlayers._tables import markdown_table

WIDTH = 4096
FLOAT32 = 4  # bytes per element


def _seconds(fn, device: torch.device, repeats: int) -> float:
    """Median wall-clock seconds of ``fn()`` after a warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _bytes(n: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.4g} {unit}"
    return f"{n:.0f} B"


def measure(batch: int, device: torch.device, repeats: int) -> list[str]:
    """One table row: the materialised Jacobian against the vectorised backward, both checked equal."""
    y = torch.randn(batch, WIDTH, device=device)
    g = torch.randn(batch, WIDTH, device=device)
    jacobian = torch.func.jacrev(F.sigmoid)(y)  # (B, n, B, n): ∂z_bi/∂y_cj
    rows = batch * WIDTH
    leaf = y.clone().requires_grad_()
    z = F.sigmoid(leaf)
    (vectorised,) = torch.autograd.grad(z, leaf, g, retain_graph=True)
    # the chain rule both ways: gᵀ J is the vectorised g ⊙ σ(1 - σ)
    torch.testing.assert_close(g.reshape(1, rows) @ jacobian.reshape(rows, rows), vectorised.reshape(1, rows))
    jacobian_seconds = _seconds(lambda: torch.func.jacrev(F.sigmoid)(y), device, repeats)
    # the backward takes microseconds: a hundred times as many repeats for a stable median
    backward_seconds = _seconds(
        lambda: torch.autograd.grad(z, leaf, g, retain_graph=True), device, 100 * repeats
    )
    del jacobian
    return [
        str(batch),
        f"({rows} × {rows})",
        _bytes(rows * rows * FLOAT32),
        f"{jacobian_seconds * 1e3:.1f} ms",
        _bytes(rows * FLOAT32),
        f"{backward_seconds * 1e6:.0f} µs",
        f"{jacobian_seconds / backward_seconds:,.0f}×",
    ]


def stated(batch: int) -> list[str]:
    """A row by arithmetic: (B·n)² float32 entries."""
    rows = batch * WIDTH
    return [
        str(batch),
        f"({rows} × {rows})",
        f"{_bytes(rows * rows * FLOAT32)} (= {rows * rows * FLOAT32:,} B)",
        "not run",
        _bytes(rows * FLOAT32),
        "",
        "",
    ]


def environment(device: torch.device) -> str:
    if device.type == "cuda":
        where = torch.cuda.get_device_name(device)
    else:
        where = f"{_cpu_name()}, {torch.get_num_threads()} threads"
    return (
        f"{device.type} ({where}), torch {torch.__version__}, torchlayers {torchlayers.__version__}, "
        f"Python {platform.python_version()}, {datetime.date.today().isoformat()}"
    )


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--batch-sizes", type=int, nargs="+", default=[1, 2, 4], help="measured (default: 1 2 4)"
    )
    parser.add_argument("--stated", type=int, nargs="+", default=[16], help="by arithmetic (default: 16)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    header = [
        "batch B",
        "Jacobian (B·4096)²",
        "Jacobian float32",
        "jacrev time",
        "vectorised backward float32",
        "backward time",
        "jacrev / backward",
    ]
    rows = [measure(b, device, args.repeats) for b in args.batch_sizes] + [stated(b) for b in args.stated]
    print(markdown_table(header, rows, align="rlrrrrr"), end="")
    print(f"\nσ(y) on (B, 4096) float32 inputs; {environment(device)}.")


if __name__ == "__main__":
    main()
