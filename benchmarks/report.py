"""Run metadata, the per-run JSON file, and ``RESULTS.md`` regenerated from the latest runs.

``python -m benchmarks.report`` rewrites ``RESULTS.md`` from the JSON files already in
``benchmarks/results/`` (the latest full run per device type) without measuring anything.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import torch

from benchmarks.config import Config
from benchmarks.floor import NAME as FLOOR
from benchmarks.mlp import NETWORK, NETWORK_WITH_TORCH_LOSS, PER_OP, WITH_TORCH_LOSS
from benchmarks.ops import FORMULAS
from torchlayers._tables import markdown_table

PACKAGE_DIR = Path(__file__).resolve().parent
RESULTS_DIR = PACKAGE_DIR / "results"
MARKDOWN = PACKAGE_DIR / "RESULTS.md"

# The issue's targets: ratio = torchlayers / torch.nn in the same run.
MLP_EAGER_TARGET = {"cpu": 1.05, "cuda": 1.10}
MLP_COMPILED_TARGET = 1.02
MLP_HOST_BOUND_TARGET = 1.10  # the fused MLP at host-bound sizes, on the CPU
MLP_FORMULAS_TARGET = 1.10  # the eager float32 step in formula mode
MEMORY_TARGET = 1.00
LARGE_THROUGHPUT_TARGET = 0.9
LOOP_TARGET = 1.5  # the CLI's epoch / the lean loop's


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str | None:
    """The measured code: HEAD's short hash, "+changes" if the tree differs (None outside git)."""
    root = PACKAGE_DIR.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+changes" if status else "")


def environment(config: Config) -> dict:
    device = config.device
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device_type": device.type,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else _cpu_name(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "command": " ".join(["python -m benchmarks", *sys.argv[1:]]),
        "git_commit": _git_commit(),
    }
    if device.type == "cuda":
        properties = torch.cuda.get_device_properties(device)
        info["device_memory_bytes"] = properties.total_memory
        info["tf32_matmul"] = torch.backends.cuda.matmul.allow_tf32
    return info


def save(result: dict, directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = result["environment"]["date"].replace(":", "").replace("-", "").removesuffix("+0000")
    suffix = "-quick" if result["config"]["quick"] else ""
    path = directory / f"{stamp}-{result['environment']['device_type']}{suffix}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    return path


def latest_results(directory: Path = RESULTS_DIR) -> list[dict]:
    """Per device type (CPU first), the latest full (not ``--quick``) measurement of each part
    (ops, mlp, overhead, e2e, loop): a later ``--only e2e`` run adds its part to the earlier full run."""
    runs = [json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))]
    runs = sorted((r for r in runs if not r["config"]["quick"]), key=lambda r: r["environment"]["date"])
    latest: dict[str, dict] = {}
    for result in runs:
        device_type = result["environment"]["device_type"]
        merged = latest.setdefault(device_type, {})
        if "ops" in result or "mlp" in result or "environment" not in merged:
            merged.update({k: v for k, v in result.items() if k not in PARTS})
        merged.update({k: v for k, v in result.items() if k in PARTS})
    return [latest[key] for key in sorted(latest)]


PARTS = ("ops", "mlp", "overhead", "e2e", "loop")


# --- markdown -------------------------------------------------------------------------------


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _seconds(value: float) -> str:
    if value >= 1e-1:
        return f"{value:.2f} s"
    if value >= 1e-4:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} µs"


def _bytes(value: int) -> str:
    return f"{value / 2**20:.2f} MiB" if value >= 2**17 else f"{value / 2**10:.1f} KiB"


def _pair_ratio(pair: dict | None, name: str = "torchlayers") -> float | None:
    if not pair or not pair.get("torch.nn") or name not in pair:
        return None
    return pair[name] / pair["torch.nn"]


def _ratio_against(value: float | None, goal: float, at_least: bool = False) -> str:
    """``_ratio``, with as many more decimals (up to 4) as it takes for the printed value to fall on
    the same side of ``goal`` as the value itself: 1.0003 against a goal of 1.00 is not "1.00"."""
    if value is None:
        return _ratio(value)
    met = value >= goal if at_least else value <= goal
    for decimals in (2, 3, 4):
        shown = round(value, decimals)
        if (shown >= goal if at_least else shown <= goal) == met and (met or shown != goal):
            return f"{value:.{decimals}f}"
    return f"{value:.4f}"


def _met(value: float | None, goal: float, at_least: bool = False) -> str:
    if value is None:
        return "not measured"
    return "met" if (value >= goal if at_least else value <= goal) else "**missed**"


def _header(result: dict) -> list[str]:
    env, config = result["environment"], result["config"]
    lines = [
        f"## {env['device_type'].upper()}: {env['device_name']}",
        "",
        f"torch {env['torch']} (CUDA {env['cuda']}), Python {env['python']}, {env['date']}"
        + (f", code at {env['git_commit']}" if env.get("git_commit") else "")
        + "; "
        f"{env['torch_threads']} torch threads on {env['cpu_count']} logical CPUs "
        f"(load average at start {', '.join(f'{x:.1f}' for x in env['load_average_at_start'] or [])}). "
        f"Medians of {config['rounds']} interleaved rounds per op, {config['mlp_rounds']} per MLP "
        f"configuration"
        + (f" ({config['mlp_host_rounds']} at host-bound sizes)" if "mlp_host_rounds" in config else "")
        + "; ratios are torchlayers / torch.nn, the median of the per-round ratios "
        "(below 1: torchlayers is faster or smaller).",
        "",
    ]
    if "ops" in result:
        lines.append(
            f"Copy bandwidth (float32 `copy_`, read + write): "
            f"{result['ops']['copy_bandwidth_bytes_per_s'] / 1e9:.1f} GB/s."
        )
        lines.append("")
    return lines


def _targets(result: dict) -> list[str]:
    device_type = result["environment"]["device_type"]
    rows = []
    for record in result.get("mlp", {}).get("records", []):
        name = f"MLP train step, {record['mode']}, {record['dtype']}"
        if "error" in record:
            rows.append((name, "error", "", record["error"][:120]))
            continue
        ratio = record["step"]["ratio"]
        ratios = record["step"]["ratios"]
        if record.get("regime") == "host-bound":
            sizes = "-".join(map(str, record["sizes"]))
            others = [
                (PER_OP, "per-op (fused=False)"),
                (NETWORK, 'one node (fused="network")'),
                (FLOOR, "one minimal Python Function per op"),
                (WITH_TORCH_LOSS, "the default with torch.nn's loss"),
                (NETWORK_WITH_TORCH_LOSS, "one node with torch.nn's loss"),
            ]
            known = [f"{label}: {ratios[key]:.2f}" for key, label in others if key in ratios]
            goal = f"≤ {MLP_HOST_BOUND_TARGET:.2f}" if device_type == "cpu" else "reported"
            name = (
                f"MLP train step, eager, float32 at host-bound sizes ({sizes}, batch "
                f"{record['batch']}): Python and dispatch overhead, the CUDA eager regime"
            )
            rows.append(
                (
                    name,
                    _ratio_against(ratio, MLP_HOST_BOUND_TARGET)
                    + (f" ({'; '.join(known)})" if known else ""),
                    goal,
                    _met(ratio, MLP_HOST_BOUND_TARGET) if device_type == "cpu" else "reported",
                )
            )
            if FORMULAS in ratios:
                rows.append((f"{name}, formula mode", _ratio(ratios[FORMULAS]), "reported", "reported"))
            continue
        if record["mode"] == "eager":
            goal = MLP_EAGER_TARGET.get(device_type, MLP_EAGER_TARGET["cuda"])
            rows.append((name, _ratio_against(ratio, goal), f"≤ {goal:.2f}", _met(ratio, goal)))
            if FORMULAS in ratios:
                formulas = ratios[FORMULAS]
                rows.append(
                    (
                        f"{name}, formula mode (`use_kernels(False)`)",
                        _ratio_against(formulas, MLP_FORMULAS_TARGET),
                        f"≤ {MLP_FORMULAS_TARGET:.2f}",
                        _met(formulas, MLP_FORMULAS_TARGET),
                    )
                )
                saved = _pair_ratio(record.get("saved_bytes"), FORMULAS)
                rows.append(
                    (
                        f"{name}, formula mode: saved-for-backward bytes",
                        _ratio_against(saved, MEMORY_TARGET),
                        "≤ 1.00",
                        _met(saved, MEMORY_TARGET),
                    )
                )
        else:
            breaks = record["graph_breaks"]["torchlayers"]
            met = _met(ratio, MLP_COMPILED_TARGET)
            if breaks != 0:
                met = "**missed**"
            rows.append(
                (
                    name,
                    f"{_ratio_against(ratio, MLP_COMPILED_TARGET)}, {breaks} graph breaks",
                    f"≤ {MLP_COMPILED_TARGET:.2f}, 0 breaks",
                    met,
                )
            )
        if device_type == "cuda" and "cuda_peak_bytes" in record:
            memory = _pair_ratio(record["cuda_peak_bytes"])
            rows.append(
                (
                    f"{name}: peak memory",
                    _ratio_against(memory, MEMORY_TARGET),
                    "≤ 1.00",
                    _met(memory, MEMORY_TARGET),
                )
            )
        elif "cpu_peak_bytes" in record:
            memory = _pair_ratio(record["cpu_peak_bytes"])
            rows.append(
                (
                    f"{name}: peak memory (the profiler's record of allocations)",
                    _ratio_against(memory, MEMORY_TARGET),
                    "≤ 1.00",
                    _met(memory, MEMORY_TARGET),
                )
            )
        if device_type != "cuda" and "saved_bytes" in record:
            memory = _pair_ratio(record["saved_bytes"])
            rows.append(
                (
                    f"{name}: saved-for-backward bytes",
                    _ratio_against(memory, MEMORY_TARGET),
                    "≤ 1.00",
                    _met(memory, MEMORY_TARGET),
                )
            )
    for record in result.get("ops", {}).get("records", []):
        if record["size"] != "large" or record["kind"] != "elementwise":
            continue
        throughput = 1 / record["forward_backward"]["ratio"]
        fractions = record.get("copy_bandwidth_fraction", {}).get("forward_backward", {})
        share = ", ".join(f"{name} {value:.0%}" for name, value in fractions.items())
        goal_met = _met(throughput, LARGE_THROUGHPUT_TARGET, at_least=True)
        rows.append(
            (
                f"{record['op']} large fwd+bwd throughput vs torch.nn (copy-bandwidth share: {share})",
                _ratio_against(throughput, LARGE_THROUGHPUT_TARGET, at_least=True),
                "≥ 0.90" + ("" if device_type == "cuda" else " (target is for CUDA)"),
                goal_met,
            )
        )
    return [markdown_table(["target", "measured", "goal", "status"], rows)]


def _ops_table(result: dict) -> list[str]:
    ops = result.get("ops")
    if not ops:
        return []
    cuda = result["environment"]["device_type"] == "cuda"
    header = [
        "op",
        "size",
        "shape",
        "fwd",
        "bwd",
        "fwd+bwd",
        "formulas fwd+bwd",
        "formulas / kernels",
        "torch.nn fwd+bwd",
        "extra per fwd+bwd",
        "saved bytes (ratio)",
        *(["CUDA peak (ratio)"] if cuda else []),
        "copy-bw share fwd+bwd (torchlayers / torch.nn)",
    ]
    rows = []
    for record in ops["records"]:
        both = record["forward_backward"]["seconds"]
        extra = both["torchlayers"] - both["torch.nn"]
        saved = record["saved_bytes"]
        formulas = record["forward_backward"]["ratios"].get(FORMULAS)
        cells = [
            record["op"],
            record["size"],
            "×".join(map(str, record["shape"])),
            _ratio(record["forward"]["ratio"]),
            _ratio(record["backward"]["ratio"]),
            _ratio(record["forward_backward"]["ratio"]),
            _ratio(formulas),
            _ratio(both[FORMULAS] / both["torchlayers"] if FORMULAS in both else None),
            _seconds(both["torch.nn"]),
            ("+" if extra >= 0 else "−") + _seconds(abs(extra)),
            f"{_bytes(saved['torchlayers'])} ({_ratio(_pair_ratio(saved))})",
        ]
        if cuda:
            peak = record["cuda_peak_bytes"]
            cells.append(f"{_bytes(peak['torchlayers'])} ({_ratio(_pair_ratio(peak))})")
        fractions = record.get("copy_bandwidth_fraction", {}).get("forward_backward")
        cells.append(
            f"{fractions['torchlayers']:.0%} / {fractions['torch.nn']:.0%}"
            if fractions and record["size"] == "large"
            else "—"
        )
        rows.append(cells)
    lines = [
        '### Per op (time ratios torchlayers / torch.nn; "formulas": the same with kernels off)',
        "",
        markdown_table(header, rows),
    ]
    if ops.get("not_in_torchlayers"):
        lines.append(f"Not in torchlayers.nn at this run (skipped): {', '.join(ops['not_in_torchlayers'])}.")
    if ops.get("not_benchmarked"):
        lines.append(f"In torchlayers.nn without a benchmark spec: {', '.join(ops['not_benchmarked'])}.")
    notes = sorted({f"{r['op']}: {note}" for r in ops["records"] for note in r["notes"]})
    if notes:
        lines.append("Notes: " + "; ".join(notes) + ".")
    return [*lines, ""]


def _mlp_table(result: dict) -> list[str]:
    mlp = result.get("mlp")
    if not mlp:
        return []
    cuda = result["environment"]["device_type"] == "cuda"
    memory_columns = ["CUDA peak memory (ratio)"]
    if not cuda:
        memory_columns = ["CPU peak memory (ratio)", "saved-for-backward bytes (ratio)"]
    header = ["mode", "dtype", "torchlayers", "torch.nn", "ratio (IQR)", *memory_columns]
    header += ["graph breaks (torchlayers / torch.nn)", "loss module"]
    rows = []
    for record in mlp["records"]:
        if "error" in record:
            rows.append([record["mode"], record["dtype"], f"error: {record['error'][:200]}"])
            rows[-1] += [""] * (len(header) - len(rows[-1]))
            continue
        step = record["step"]
        mode = record["mode"]
        if record.get("regime") == "host-bound":
            mode += f", host-bound sizes {'-'.join(map(str, record['sizes']))} ×{record['batch']}"
        # torchlayers (the fused MLP, kernels on) first, then the other candidates of the run
        for name in (key for key in step["seconds"] if key != "torch.nn"):
            low, high = step["ratio_iqr"][name]
            memories = (
                [record.get("cuda_peak_bytes")]
                if cuda
                else [record.get("cpu_peak_bytes"), record.get("saved_bytes")]
            )
            memory_cells = [
                f"{_bytes(memory[name])} ({_ratio_against(_pair_ratio(memory, name), MEMORY_TARGET)})"
                if memory and name in memory
                else "—"
                for memory in memories
            ]
            breaks = record.get("graph_breaks")
            rows.append(
                [
                    mode if name == "torchlayers" else f"{mode}: {name}",
                    record["dtype"],
                    _seconds(step["seconds"][name]),
                    _seconds(step["seconds"]["torch.nn"]),
                    f"{step['ratios'][name]:.3f} ({low:.3f}–{high:.3f})",
                    *memory_cells,
                    "—" if breaks is None else f"{breaks[name]} / {breaks['torch.nn']}",
                    record["loss"].get(name, "—"),
                ]
            )
    lines = ["### MLP training step (SGD, cross-entropy)", "", markdown_table(header, rows).rstrip()]
    record = mlp["records"][0] if mlp["records"] else None
    if record:
        lines += [
            "",
            f"MLP {'-'.join(map(str, record['sizes']))}, batch {record['batch']}; compiled = "
            "`torch.compile(model + loss, fullgraph=True)`, backward and optimizer step eager. "
            "torchlayers is `torchlayers.models.MLP` (by default one node per hidden layer: its "
            "activation and the next Linear) against "
            '`MLP(..., backend="torch")`; formula mode is the same model under '
            "`torchlayers.use_kernels(False)`, per-op is `MLP(..., fused=False)`, one node is "
            '`MLP(..., fused="network")`. '
            "At host-bound sizes the default and the one node are also timed with torch.nn's "
            '`CrossEntropyLoss` in place of ours ("torch.nn loss"), which splits the step\'s '
            "excess between the model's nodes and the loss's node. "
            "One node per layer frees each hidden activation once its layer is done, as the per-op chain "
            "does; the one-node network frees what it saved only when its whole backward has run, so its "
            "peak holds the hidden activations on top (the saved bytes are the same).",
        ]
    return [*lines, ""]


def _overhead_table(result: dict) -> list[str]:
    overhead = result.get("overhead")
    if not overhead:
        return []
    native = overhead["seconds"][overhead["reference"]]
    rows = [
        (f"`{name}`", _seconds(seconds), _seconds(seconds - native) if seconds >= native else "0")
        for name, seconds in overhead["seconds"].items()
    ]
    return [
        "### Where the small-op time goes (ReLU, forward + backward)",
        "",
        f"Input {'×'.join(map(str, overhead['shape']))}; each layer of the apply path timed alone, "
        f"interleaved, medians of {overhead.get('rounds', '?')} rounds; extra = time above native "
        "`torch.relu`.",
        "",
        markdown_table(["call", "time per fwd+bwd", "extra"], rows),
    ]


def _portable(command: str) -> str:
    """The command with the measuring machine's data folder replaced by what to pass there."""
    return re.sub(r"--data.root \S+", "--data.root <ImageFolder copy of CIFAR-10>", command)


def _e2e_table(result: dict) -> list[str]:
    e2e = result.get("e2e")
    if not e2e or not e2e.get("results"):
        return []
    loader = {"tensor": "device-resident tensors", "dataloader": "DataLoader (PIL, workers)"}
    rows = [
        (
            loader.get(run["loader"], run["loader"]),
            run["precision"],
            "yes" if run["compile"] else "no",
            f"{run['images_per_s']:,.0f}",
            f"{run['s_per_epoch']:.2f}",
            f"{run['first_epoch_s']:.1f} s",
        )
        for run in e2e["results"]
    ]
    header = ["data path", "precision", "compiled", "images / s", "s / epoch", "first epoch"]
    return [
        "### End to end: training throughput",
        "",
        f"`{_portable(e2e['command'])}`; the first epoch (compilation, caches) is left out of the medians.",
        "",
        markdown_table(header, rows),
    ]


def _loop_table(result: dict) -> list[str]:
    loop = result.get("loop")
    if not loop:
        return []
    env, epoch = loop["environment"], loop["epoch"]
    names = {
        "CLI loop": "CLI loop (`Trainer.fit` as `python -m train fit` builds it)",
        "model step": "model step alone (fixed batch)",
        "data path": "data path alone (`TensorLoader`)",
        "lean loop": "lean loop (by hand)",
    }
    rows = []
    for name, seconds in epoch["seconds"].items():
        if name == epoch["reference"]:
            ratio = "1 (reference)"
        else:
            low, high = epoch["ratio_iqr"][name]
            ratio = f"{epoch['ratios'][name]:.2f} ({low:.2f}–{high:.2f})"
        rows.append(
            (
                names.get(name, name),
                _seconds(loop["per_step_s"][name]),
                _seconds(seconds),
                f"{loop['images_per_s'][name]:,.0f}",
                ratio,
            )
        )
    ratio = epoch["ratio"]
    split = loop["cli_split_s"]
    versions, cli = loop["versions"], loop["cli"]
    lines = [
        f"### Training loop: an epoch of `{loop['config']}`'s network",
        "",
        f"`{env['command']}`, {env['date']}"
        + (f", code at {env['git_commit']}" if env.get("git_commit") else "")
        + f"; torch {env['torch']}, Lightning {versions['lightning']}, torchmetrics "
        f"{versions['torchmetrics']}; {env['torch_threads']} torch threads on {env['cpu_count']} logical "
        f"CPUs (load average at start {', '.join(f'{x:.1f}' for x in env['load_average_at_start'] or [])}). "
        f"{loop['images']:,} synthetic uint8 images ({loop['train_images']:,} training, "
        f"{loop['val_images']:,} validation), batch {loop['batch_size']}: {loop['steps_per_epoch']} steps "
        f"per epoch. Every call is one epoch (the CLI's and the lean loop's with their validation pass), "
        f"per step = per epoch / steps"
        + ("" if loop.get("clock", "wall") == "wall" else " (CPU time of the process, not wall time)")
        + f"; medians of {epoch['rounds']} interleaved rounds, ratios the median (and IQR) of the "
        "per-round ratios to the lean loop.",
        "",
        markdown_table(
            ("loop", "per step", "per epoch", "images / s", "ratio to the lean loop (IQR)"), rows, "lrrrr"
        ).rstrip(),
        "",
        f"Target: the CLI's epoch ≤ {LOOP_TARGET:.2f}× the lean loop's: "
        f"{_ratio_against(ratio, LOOP_TARGET)}, {_met(ratio, LOOP_TARGET)}. "
        f"The CLI's epoch: training steps {_seconds(split['training_steps_s'])}, validation "
        f"{_seconds(split['validation_s'])}, after validation (checkpoints, epoch-end logging, the "
        f"next epoch's start) {_seconds(split['after_validation_s'])}; the lean loop's validation "
        f"{_seconds(loop['lean_validation_s'])}. The CLI's progress bar "
        f"{'on' if cli['progress_bar'] else 'off'}, `log_every_n_steps={cli['log_every_n_steps']}`.",
    ]
    return [*lines, ""]


def readme_section(results: list[dict]) -> str:
    """The README's summary: per device, its header line, the targets and the end-to-end table."""
    lines = []
    for result in results:
        env = result["environment"]
        lines += [
            f"**{env['device_type'].upper()}: {env['device_name']}**, torch {env['torch']}, "
            f"{env['date'][:10]} ({env['torch_threads']} threads"
            + (f", code at {env['git_commit']}" if env.get("git_commit") else "")
            + "). Ratios are torchlayers / torch.nn in the same run.",
            "",
            *_targets(result),
            *_e2e_table(result),
        ]
    return "\n".join(lines).rstrip() + "\n"


README = PACKAGE_DIR.parent / "README.md"
README_BEGIN, README_END = "<!-- benchmarks -->", "<!-- /benchmarks -->"


def write_readme(results: list[dict], readme: Path = README) -> Path | None:
    """Replace the text between the README's benchmark markers (if it has them)."""
    if not readme.is_file():
        return None
    text = readme.read_text()
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        return None
    text = text[: begin + len(README_BEGIN)] + "\n" + readme_section(results) + text[end:]
    readme.write_text(text)
    return readme


def render(results: list[dict]) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Generated by `python -m benchmarks` (see `benchmarks/__init__.py`); do not edit by hand. "
        "Regenerate it from the JSON runs in `benchmarks/results/` with `python -m benchmarks.report`.",
        "",
        "Peak memory is what was allocated above the memory allocated before the call: on CUDA "
        "`torch.cuda.max_memory_allocated`, on CPU (MLP step) the running sum of the allocations and "
        "frees that `torch.profiler` records with `profile_memory=True`. The saved-for-backward "
        "bytes (the tensors autograd keeps, deduplicated by storage) are the activation part of it, "
        "measured deterministically on any device (the per-op tables on CPU).",
        "",
    ]
    if not results:
        lines.append("No full runs recorded yet.")
    for result in results:
        lines += _header(result)
        lines += ["### Targets", "", *_targets(result)]
        lines += _mlp_table(result)
        lines += _e2e_table(result)
        lines += _loop_table(result)
        lines += _ops_table(result)
        lines += _overhead_table(result)
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(
    directory: Path = RESULTS_DIR, output: Path = MARKDOWN, readme: Path | None = README
) -> Path:
    """``RESULTS.md`` in full and the README's summary, from the latest full run per device."""
    results = latest_results(directory)
    output.write_text(render(results))
    if readme is not None:
        write_readme(results, readme)
    return output


if __name__ == "__main__":
    print(f"wrote {write_markdown()}")
