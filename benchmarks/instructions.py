"""Instructions per MLP training step at host-bound sizes, counted by valgrind's callgrind.

The timed host-bound record (:mod:`benchmarks.mlp`) moves by several percent between runs on a
shared machine; the number of instructions a step executes does not. This counts them for the
same step built from ``torchlayers.nn`` (the default per-layer nodes, per-op and one node), from
:mod:`benchmarks.floor` (one minimal Python Function per op) and from ``torch.nn``, each in its
own process under callgrind:
warm-up steps, a marker call, the counted steps, a marker call; callgrind dumps its counters
at each marker (``--dump-before=os_getppid``), so the last dump holds the counted steps alone.

Run from the repository root (needs ``valgrind``; a few minutes, the interpreter runs some
50 times slower under it)::

    python -m benchmarks.instructions [--steps 200]

Prints the table and writes ``results/instructions/<date>.json``. CPU only, float32, eager.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# The candidates of benchmarks.mlp counted, by their names there.
LIBRARIES = (
    "torchlayers",
    "torchlayers, per-op (fused=False)",
    'torchlayers, one node (fused="network")',
    "minimal Python Functions",
    "torch.nn",
)
WARMUP_STEPS = 20
RESULTS_DIR = Path(__file__).parent / "results" / "instructions"


def _child(name: str, steps: int) -> None:
    """The counted process: one candidate's host-bound step, between two marker calls."""
    import torch

    from benchmarks.config import Config
    from benchmarks.mlp import Trainer, host_bound, step_data

    torch.set_num_threads(1)
    config = host_bound(Config.for_device(torch.device("cpu")))
    state, input, target = step_data(config)
    trainer = Trainer(name, config, state, torch.float32, compiled=False)
    for _ in range(WARMUP_STEPS):
        trainer.step(input, target)
    os.getppid()  # marker: callgrind dumps what came before
    for _ in range(steps):
        trainer.step(input, target)
    os.getppid()  # marker: callgrind dumps the counted steps here


def _count(name: str, steps: int, directory: Path) -> int:
    """Instructions executed by ``steps`` steps of candidate ``name``'s MLP, from callgrind's last dump."""
    output = directory / re.sub(r"\W+", "_", name)
    command = [
        "valgrind",
        "--tool=callgrind",
        "--dump-before=os_getppid",
        f"--callgrind-out-file={output}",
        sys.executable,
        "-m",
        "benchmarks.instructions",
        "--child",
        name,
        "--steps",
        str(steps),
    ]
    subprocess.run(command, check=True, capture_output=True)
    dumps = sorted(directory.glob(f"{output.name}.*"), key=lambda path: int(path.suffix[1:]))
    match = re.search(r"^summary:\s*(\d+)", dumps[-1].read_text(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no instruction count in {dumps[-1]}")
    return int(match.group(1))


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="counted steps per library")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.steps)
        return None
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed")
    import torch

    from benchmarks.report import _git_commit

    with tempfile.TemporaryDirectory() as directory, ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        futures = {name: pool.submit(_count, name, args.steps, Path(directory)) for name in LIBRARIES}
        per_step = {name: future.result() / args.steps for name, future in futures.items()}
    reference = per_step["torch.nn"]
    result = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "git_commit": _git_commit(),
        "steps": args.steps,
        "instructions_per_step": per_step,
        "ratios": {name: count / reference for name, count in per_step.items()},
    }
    for name, count in per_step.items():
        print(f"{name:>40}: {count / 1e6:6.3f} M instructions per step ({count / reference:.3f} × torch.nn)")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{datetime.datetime.now(datetime.UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
