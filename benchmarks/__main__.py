"""``python -m benchmarks``: run the suite and save the JSON; ``--write-readme`` also regenerates
RESULTS.md and the README's summary (tracked files) from the latest full runs."""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import torch

from benchmarks import loop, mlp, ops, overhead, report
from benchmarks.config import Config

PARTS = ("ops", "mlp", "overhead", "e2e", "loop")
DEFAULT_PARTS = ("ops", "mlp", "overhead")
E2E_ARGS = (
    "--config train/configs/best.yaml --epochs 4 "
    "--variant '--data.loader tensor' "
    "--variant '--data.loader tensor --trainer.precision bf16-mixed --model.compile true' "
    "--variant '--data.loader dataloader --data.num_workers 8' "
    "-- --data.dataset imagefolder --data.root data/cifar10-5k"
)
REPO_ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few repeats (smoke test)")
    parser.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="run only this part (repeatable); default: ops, mlp, overhead",
    )
    parser.add_argument("--rounds", type=int, help="timed rounds per op comparison")
    parser.add_argument("--mlp-rounds", type=int, help="timed rounds per MLP configuration")
    parser.add_argument("--loop-images", type=int, help="synthetic images of --only loop")
    parser.add_argument("--loop-rounds", type=int, help="timed rounds of --only loop (one epoch each)")
    parser.add_argument(
        "--loop-clock",
        choices=("wall", "cpu"),
        help="clock of --only loop: wall (default) or this process's CPU time (for a loaded machine)",
    )
    parser.add_argument("--large-numel", type=int, help="elements of the 'large' elementwise input")
    parser.add_argument("--linear-large", help="ROWS,FEATURES of the 'large' Linear/Maxout input")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's choice)")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile'd MLP")
    parser.add_argument(
        "--e2e-args",
        default=E2E_ARGS,
        help="arguments of `python -m train.throughput` for --only e2e (default: best.yaml on the "
        "offline subset in data/cifar10-5k, an ImageFolder copy of CIFAR-10: device-resident "
        "tensors in float32, then bf16 + torch.compile, then a DataLoader with 8 workers)",
    )
    parser.add_argument("--output-dir", type=Path, default=report.RESULTS_DIR)
    parser.add_argument(
        "--markdown",
        type=Path,
        default=report.MARKDOWN,
        help="RESULTS.md to regenerate (with --write-readme)",
    )
    parser.add_argument(
        "--write-readme",
        action="store_true",
        help="after a full (not --quick) run, rewrite RESULTS.md and the README's summary; default: only "
        "the JSON is saved",
    )
    return parser.parse_args(argv)


def make_config(args: argparse.Namespace) -> Config:
    config = Config.for_device(torch.device(args.device), quick=args.quick)
    if args.rounds:
        config.rounds = args.rounds
    if args.mlp_rounds:
        config.mlp_rounds = args.mlp_rounds
    if args.loop_images:
        config.loop_images = args.loop_images
    if args.loop_rounds:
        config.loop_rounds = args.loop_rounds
    if args.loop_clock:
        config.loop_clock = args.loop_clock
    if args.large_numel:
        config.large_numel = args.large_numel
    if args.linear_large:
        rows, features = (int(part) for part in args.linear_large.split(","))
        config.linear_large = (rows, features)
    if args.no_compile:
        config.compile = False
    return config


def run_e2e(device: torch.device, extra_args: str, log) -> dict:
    """Images/s and s/epoch of a training config per data path, from ``python -m train.throughput``."""
    if not (REPO_ROOT / "train" / "throughput.py").exists():
        log("e2e: train/throughput.py does not exist; skipped")
        return {"skipped": "train/throughput.py does not exist"}
    command = [sys.executable, "-m", "train.throughput", *shlex.split(extra_args)]
    completed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    parsed = []  # one JSON line per variant (data path, precision, compile)
    for line in completed.stdout.splitlines():
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    log(f"e2e: `{shlex.join(command[1:])}` exited {completed.returncode}")
    return {
        "command": shlex.join(["python", *command[1:]]),
        "returncode": completed.returncode,
        "results": parsed,
        "output_tail": (completed.stdout + completed.stderr)[-4000:],
    }


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    config = make_config(args)
    parts = args.only or list(DEFAULT_PARTS)
    result = {"environment": report.environment(config), "config": config.as_dict(), "parts": parts}
    env = result["environment"]
    print(f"{env['device_name']}, torch {env['torch']}, {env['torch_threads']} threads")
    print(f"parts: {', '.join(parts)}")
    started = time.perf_counter()
    torch.manual_seed(0)
    if "ops" in parts:
        result["ops"] = ops.run(config)
    if "overhead" in parts:
        result["overhead"] = overhead.run(config)
    if "mlp" in parts:
        result["mlp"] = mlp.run(config)
    if "e2e" in parts:
        result["e2e"] = run_e2e(config.device, args.e2e_args, print)
    if "loop" in parts:
        # its own environment: an --only loop run is merged into an earlier full run's report
        result["loop"] = {**loop.run(config), "environment": result["environment"]}
    result["wall_seconds"] = time.perf_counter() - started
    path = report.save(result, args.output_dir)
    print(f"wrote {path} ({result['wall_seconds']:.0f} s)")
    if args.write_readme and config.quick:
        print("--write-readme: a --quick run is not reported; RESULTS.md and README.md left as they are")
    elif args.write_readme:
        print(f"wrote {report.write_markdown(args.output_dir, args.markdown)} and the README's summary")
    return result


if __name__ == "__main__":
    main()
