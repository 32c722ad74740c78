"""``python -m train.results runs/ [--output table.md] [--plot curves.png]``: run directories to a
markdown table and PNG training curves.

Reads what :mod:`train.cli` writes into every ``runs/<name>/version_<n>/``: ``summary.json``
(device, times, test and validation accuracy), ``config.yaml`` (the resolved config, for the
model's description) and ``metrics.csv`` (the per-epoch curves). Only fits are results: the
evaluations that ``validate``/``test``/``predict`` record inside a run are not rows. By default a
run name's row is its newest version, averaged with the newest version of every other seed of the
same model and data options (``python -m train.run_configs --seeds N``): mean ± standard deviation
(n - 1) over the seeds; a rerun with the same seed replaces the previous one. ``--all_versions``
lists every version. The curves are written only when ``--plot`` names a PNG.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from torchlayers._tables import markdown_table as _markdown_table

__all__ = ["Run", "curves", "describe_model", "find_runs", "main", "markdown_table", "plot_curves"]

# How the lecture writes each activation around an argument.
_LECTURE = {
    "sigmoid": "σ({})",
    "tanh": "tanh({})",
    "relu": "max(0, {})",
    "leaky_relu": "leaky_relu({})",
    "prelu": "prelu({})",
    "elu": "elu({})",
}


@dataclass
class Run:
    """One run directory and what :mod:`train.cli` wrote into it."""

    name: str
    path: Path
    summary: dict
    config: dict = field(default_factory=dict)
    seeds: list[Run] = field(default_factory=list)  # this run and its other seeds' newest runs

    @property
    def version(self) -> int:
        return _version_number(self.path)

    @property
    def seed(self) -> int | None:
        return self.summary.get("seed", self.config.get("seed_everything"))

    @property
    def model(self) -> dict:
        return self.config.get("model") or {}


def _version_number(path: Path) -> int:
    suffix = path.name.split("_", 1)[-1]
    return int(suffix) if suffix.isdigit() else -1


def find_runs(root: Path, names: Sequence[str] | None = None, all_versions: bool = False) -> list[Run]:
    """The runs under ``root`` (``<name>/version_<n>/summary.json``): the newest version of each
    name, in ``names`` order when given (else sorted by name), or every version."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no run directory {root}; train first: python -m train fit --config ...")
    by_name: dict[str, list[Path]] = {}
    for summary in root.glob("*/version_*/summary.json"):
        by_name.setdefault(summary.parent.parent.name, []).append(summary.parent)
    if names is not None:
        missing = [name for name in names if name not in by_name]
        if missing:
            raise FileNotFoundError(f"no summary.json under {root} for: {', '.join(missing)}")
        order = list(names)
    else:
        order = sorted(by_name)
    runs = []
    for name in order:
        versions = [_read_run(name, path) for path in sorted(by_name[name], key=_version_number)]
        versions = [run for run in versions if run.summary.get("subcommand", "fit") == "fit"]
        if all_versions:
            for run in versions:
                run.seeds = [run]
            runs.extend(versions)
        elif versions:
            newest = versions[-1]
            by_seed: dict = {}
            for run in versions:  # the newest of each seed with the newest's options
                if _options(run) == _options(newest):
                    by_seed[run.seed] = run
            newest.seeds = sorted(by_seed.values(), key=lambda run: (run.seed is None, run.seed or 0))
            runs.append(newest)
    return runs


def _read_run(name: str, path: Path) -> Run:
    config_file = path / "config.yaml"
    config = yaml.safe_load(config_file.read_text()) if config_file.is_file() else {}
    return Run(name, path, json.loads((path / "summary.json").read_text()), config or {})


def _options(run: Run) -> tuple:
    """What a run computes, but for its seed and where its data lives."""
    data = {k: v for k, v in (run.config.get("data") or {}).items() if k not in ("root", "num_workers")}
    trainer = run.config.get("trainer") or {}
    return repr(run.model), repr(data), trainer.get("max_epochs"), run.summary.get("backend")


def describe_model(model: dict) -> str:
    """The network as the lecture writes it, e.g. ``W3 max(0, W2 max(0, W1 x))`` (512-512)."""
    hidden = list(model.get("hidden_sizes", [512, 512]))
    activation = model.get("activation", "relu")
    activations = [activation] * len(hidden) if isinstance(activation, str) else list(activation)
    formula = "W1 x"
    for layer, name in enumerate(activations, start=1):
        if name == "maxout":
            formula = f"maxout({formula})"  # the maxout layer holds its own W_l: max_p(W_l,p h + b_l,p)
        else:
            scores = f"LN({formula})" if model.get("norm") == "layer" else formula
            formula = _LECTURE.get(name, name + "({})").format(scores)
        formula = f"W{layer + 1} {formula}"
    notes = ["-".join(str(size) for size in hidden)] if hidden else []
    if "maxout" in activations:
        notes.append(f"{model.get('pieces', 2)} pieces")
    return f"`{formula}`" + (f" ({', '.join(notes)})" if notes else "")


def _format_accuracy(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{100 * value:.1f} %"


def _format_accuracies(values: Sequence[float | None]) -> str:
    """One value as ``46.7 %``; several (seeds) as their mean ± standard deviation (n - 1)."""
    known = [v for v in values if v is not None and not math.isnan(v)]
    if len(known) < 2 or len(known) < len(values):
        return _format_accuracy(known[0] if len(values) == 1 and known else None)
    return f"{100 * statistics.mean(known):.1f} ± {100 * statistics.stdev(known):.1f} %"


def _format_seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def markdown_table(runs: Sequence[Run], show_version: bool = False) -> str:
    """One row per run (its seeds averaged): config, model, loss, backend, test/val accuracy,
    seeds, epochs, times, device."""
    header = [
        "config",
        "model",
        "loss",
        "backend",
        "test acc",
        "val acc",
        "seeds",
        "epochs",
        "fit time",
        "time / epoch",
        "device",
    ]
    rows = []
    for run in runs:
        summary, model = run.summary, run.model
        seeds = run.seeds or [run]
        epochs = summary.get("epochs")
        fits = [r.summary.get("fit_s") for r in seeds]
        fit = statistics.mean(fits) if None not in fits else None
        per_epoch = fit / epochs if fit is not None and epochs else None
        device = summary.get("device", "?")
        if summary.get("precision") not in (None, "32-true"):
            device += f", {summary['precision']}"
        if (summary.get("world_size") or 1) > 1:
            device += f", {summary['world_size']} processes"
        rows.append(
            [
                f"{run.name}/version_{run.version}" if show_version else run.name,
                describe_model(model),
                model.get("loss", "cross_entropy"),
                summary.get("backend") or model.get("backend", "torchlayers"),
                _format_accuracies([r.summary.get("test/acc") for r in seeds]),
                _format_accuracies([r.summary.get("val/acc") for r in seeds]),
                str(len(seeds)),
                str(epochs if epochs is not None else "—"),
                _format_seconds(fit),
                _format_seconds(per_epoch),
                device,
            ]
        )
    return _markdown_table(header, rows)


def curves(metrics_csv: Path) -> dict[str, list[tuple[int, float]]]:
    """``{metric: [(epoch, value), ...]}`` of the per-epoch metrics in a ``metrics.csv``
    (``val/acc``, ``val/loss``, ``train/loss`` (the epoch mean), ``train/acc``); a value logged
    twice for one epoch (a resumed run) keeps the last."""
    wanted = {"val/acc": "val/acc", "val/loss": "val/loss", "train/acc": "train/acc"}
    wanted["train/loss_epoch"] = "train/loss"  # logged on_step and on_epoch: the epoch mean
    by_epoch: dict[str, dict[int, float]] = {name: {} for name in wanted.values()}
    with open(metrics_csv, newline="") as file:
        for row in csv.DictReader(file):
            if not row.get("epoch"):
                continue
            for column, name in wanted.items():
                if row.get(column):
                    by_epoch[name][int(row["epoch"])] = float(row[column])
    return {name: sorted(points.items()) for name, points in by_epoch.items()}


def plot_curves(runs: Sequence[Run], output: Path) -> None:
    """A PNG of validation accuracy and training loss against the epoch, one line per run."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    figure, (accuracy_axis, loss_axis) = plt.subplots(1, 2, figsize=(14, 5), layout="constrained")
    colours = plt.get_cmap("tab20")
    for index, run in enumerate(runs):
        metrics = run.path / "metrics.csv"
        if not metrics.is_file():
            continue
        data = curves(metrics)
        style = {
            "color": colours(index % 20),
            "label": run.name,
            "linewidth": 1.3,
            "marker": ".",
            "markersize": 4,
        }
        if data["val/acc"]:
            epochs, values = zip(*data["val/acc"], strict=True)
            accuracy_axis.plot([e + 1 for e in epochs], [100 * v for v in values], **style)
        if data["train/loss"]:
            epochs, values = zip(*data["train/loss"], strict=True)
            loss_axis.plot([e + 1 for e in epochs], values, **style)
    accuracy_axis.set(xlabel="epoch", ylabel="validation accuracy (%)", title="val/acc")
    # log scale: hinge and cross-entropy losses differ in size, and an early spike hides the rest
    loss_axis.set(xlabel="epoch", ylabel="training loss (epoch mean)", title="train/loss", yscale="log")
    for axis in (accuracy_axis, loss_axis):
        axis.grid(alpha=0.3)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.legend(*accuracy_axis.get_legend_handles_labels(), loc="outside right upper", fontsize=8)
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=110)
    plt.close(figure)


def main(argv: Sequence[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m train.results", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "runs", type=Path, nargs="?", default=Path("runs"), help="runs folder (default: runs)"
    )
    parser.add_argument("--names", nargs="+", help="only these run names, in this order (default: all)")
    parser.add_argument("--all_versions", action="store_true", help="a row per version, not only the newest")
    parser.add_argument("--output", type=Path, help="write the markdown table here (default: print it)")
    parser.add_argument("--plot", type=Path, help="write the training curves to this PNG")
    args = parser.parse_args(argv)
    runs = find_runs(args.runs, args.names, args.all_versions)
    if not runs:
        parser.error(f"no runs with a summary.json under {args.runs}")
    table = markdown_table(runs, show_version=args.all_versions)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(table)
    else:
        print(table, end="")
    if args.plot:
        plot_curves(runs, args.plot)
    return table


if __name__ == "__main__":
    main()
