"""Trains every config (or the named ones) one after another, then writes the results table.

::

    python -m train.run_configs [CONFIG ...] [--exclude best] [--seeds N] [--runs runs] [-- CLI overrides]
    python -m train.run_configs --exclude best --seeds 3 -- \
        --data.dataset imagefolder --data.root <an ImageFolder copy of CIFAR-10>

Each config runs as its own ``python -m train fit --config <config> --test_after_fit true``
process (fresh Lightning state, and the command recorded in its ``summary.json``), once per seed
(``--seed_everything 0 .. N-1``), logging under ``<runs>/<config name>/version_<n>/``; everything
after ``--`` is passed to every run. Its output goes to ``<runs>/<config name>.log``
(``<config name>.seed<k>.log`` with several seeds). At the end :mod:`train.results` writes
``<runs>/results.md`` (mean ± standard deviation over the seeds) and ``<runs>/curves.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from train import results

__all__ = ["CONFIGS", "command", "main", "resolve_configs"]

CONFIGS = Path(__file__).resolve().parent / "configs"


def resolve_configs(names: Sequence[str], exclude: Sequence[str] = ()) -> list[Path]:
    """Config files for ``names`` (a path, or a name in ``train/configs/``; none: all of them),
    without the names in ``exclude``."""
    if names:
        paths = [
            Path(name) if name.endswith((".yaml", ".yml")) else CONFIGS / f"{name}.yaml" for name in names
        ]
    else:  # the lecture's order: linear classifiers, the nestings, the activations, the rest
        prefixes = ("linear", "mlp", "act_")
        rank = {prefix: index for index, prefix in enumerate(prefixes)}

        def order(path: Path) -> tuple[int, str]:
            return next((rank[p] for p in prefixes if path.stem.startswith(p)), len(prefixes)), path.stem

        paths = sorted(CONFIGS.glob("*.yaml"), key=order)
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        known = ", ".join(path.stem for path in sorted(CONFIGS.glob("*.yaml")))
        raise FileNotFoundError(f"no config {', '.join(missing)}; train/configs has: {known}")
    return [path for path in paths if path.stem not in set(exclude)]


def command(config: Path, runs: Path, overrides: Sequence[str] = (), seed: int | None = None) -> list[str]:
    """The ``python -m train fit`` command line for one config (and seed)."""
    with contextlib.suppress(ValueError):  # relative to the working directory: a readable command
        config = Path(os.path.relpath(config))
    return [
        sys.executable,
        "-m",
        "train",
        "fit",
        f"--config={config}",
        "--test_after_fit=true",
        f"--trainer.default_root_dir={runs}",
        "--trainer.enable_progress_bar=false",
        *([] if seed is None else [f"--seed_everything={seed}"]),
        *overrides,
    ]


def _newest_summary(runs: Path, name: str) -> dict:
    summaries = sorted(
        (runs / name).glob("version_*/summary.json"), key=lambda path: results._version_number(path.parent)
    )
    return json.loads(summaries[-1].read_text()) if summaries else {}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    overrides = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="python -m train.run_configs", description=__doc__.split("\n\n")[0])
    parser.add_argument("configs", nargs="*", help="config names or paths (default: all of train/configs/)")
    parser.add_argument("--exclude", nargs="+", default=[], help="config names to skip, e.g. best")
    parser.add_argument("--runs", type=Path, default=Path("runs"), help="the runs folder (default: runs)")
    parser.add_argument("--output", type=Path, help="markdown table (default: <runs>/results.md)")
    parser.add_argument("--plot", type=Path, help="training curves PNG (default: <runs>/curves.png)")
    parser.add_argument("--seeds", type=int, default=1, help="runs per config, seeds 0 .. N-1 (default: 1)")
    parser.add_argument("--dry_run", action="store_true", help="print the commands, run nothing")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds must be at least 1, got {args.seeds}")

    configs = resolve_configs(args.configs, args.exclude)
    seeds = [None] if args.seeds == 1 else list(range(args.seeds))  # one run: the configs' own seed
    jobs = [(config, seed) for config in configs for seed in seeds]
    done, failed = [], []
    started = time.perf_counter()
    for index, (config, seed) in enumerate(jobs, start=1):
        line = command(config, args.runs, overrides, seed)
        if args.dry_run:
            print(" ".join(["python", *line[1:]]))
            continue
        args.runs.mkdir(parents=True, exist_ok=True)
        label = config.stem if seed is None else f"{config.stem}.seed{seed}"
        log = args.runs / f"{label}.log"
        print(f"[{index}/{len(jobs)}] {label} ...", end=" ", flush=True)
        begin = time.perf_counter()
        with open(log, "w") as output:
            returncode = subprocess.run(line, stdout=output, stderr=subprocess.STDOUT).returncode
        seconds = time.perf_counter() - begin
        if returncode != 0:
            failed.append(label)
            print(f"FAILED (exit {returncode}, {seconds:.0f} s), see {log}", flush=True)
            continue
        if config.stem not in done:
            done.append(config.stem)
        accuracy = _newest_summary(args.runs, config.stem).get("test/acc", float("nan"))
        print(f"test acc {100 * accuracy:.1f} % in {seconds:.0f} s", flush=True)
    if args.dry_run:
        return 0
    print(f"{len(jobs) - len(failed)} runs in {time.perf_counter() - started:.0f} s", end="")
    print(f"; failed: {', '.join(failed)}" if failed else "")
    if done:
        output = args.output or args.runs / "results.md"
        plot = args.plot or args.runs / "curves.png"
        results.main([str(args.runs), "--names", *done, "--output", str(output), "--plot", str(plot)])
        print(output.read_text(), end="")
        print(f"table: {output}, curves: {plot}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
