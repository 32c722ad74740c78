"""``python -m train {fit,validate,test,predict} --config train/configs/<name>.yaml [overrides]``.

LightningCLI over :class:`~train.module.Classifier` (``--model.*``) and
:class:`~train.data.CIFAR10DataModule` (``--data.*``): their typed ``__init__`` signatures are the
config schema (``python -m train fit --print_config`` prints it). What this file adds:

* every run logs to ``runs/<config name>/version_<n>/``: ``metrics.csv`` (and TensorBoard events
  when tensorboard is installed), the resolved ``config.yaml``, ``checkpoints/{best-*,last}.ckpt``
  and ``summary.json`` (device, threads, times, test accuracy) for ``python -m train.results``;
* ``fit --ckpt_path last`` continues the newest run of that config in its own directory;
* ``--test_after_fit true`` tests the final weights in the same process after ``fit``.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import lightning
import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint, ProgressBar, TQDMProgressBar
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter

import train
from train.data import CIFAR10DataModule
from train.module import Classifier

__all__ = ["RunSummary", "TrainCLI", "device_name", "main"]


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    return f"{model} ({os.cpu_count()} cores, {torch.get_num_threads()} threads)"


class RunSummary(pl.Callback):
    """Writes ``summary.json`` into the run directory: what ran where, how long, how well."""

    def __init__(self, config_name: str) -> None:
        self.config_name = config_name
        self.times: dict[str, float] = {}

    def on_fit_start(self, trainer, pl_module) -> None:
        self.times["fit_start"] = time.perf_counter()

    def on_fit_end(self, trainer, pl_module) -> None:
        self.times["fit_s"] = time.perf_counter() - self.times["fit_start"]
        self._write(trainer, pl_module)

    def on_test_start(self, trainer, pl_module) -> None:
        self.times["test_start"] = time.perf_counter()

    def on_test_end(self, trainer, pl_module) -> None:
        self.times["test_s"] = time.perf_counter() - self.times["test_start"]
        self._write(trainer, pl_module)

    def _write(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        log_dir = trainer.log_dir  # a broadcast under DDP: every rank must ask
        if not trainer.is_global_zero or log_dir is None:
            return
        path = Path(log_dir) / "summary.json"
        summary = json.loads(path.read_text()) if path.is_file() else {}
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}
        summary.update(
            config=self.config_name,
            command=" ".join(["python -m train", *sys.argv[1:]]),
            device=device_name(pl_module.device),
            accelerator=trainer.strategy.root_device.type,
            world_size=trainer.world_size,
            precision=str(trainer.precision),
            threads=torch.get_num_threads(),
            backend=pl_module.hparams.get("backend"),
            epochs=trainer.current_epoch,
            versions={
                "torch": torch.__version__,
                "lightning": lightning.__version__,
                "python": platform.python_version(),
            },
            total_s=time.perf_counter() - train.STARTED,
            **{k: v for k, v in self.times.items() if k.endswith("_s")},
        )
        for key in ("test/acc", "test/loss", "val/acc", "val/loss"):
            if key in metrics:
                summary[key] = metrics[key]
        path.write_text(json.dumps(summary, indent=2) + "\n")


class _AppendingExperimentWriter(ExperimentWriter):
    """Lightning's CSV writer deletes an existing ``metrics.csv``; a resumed run appends to it."""

    def _check_log_dir_exists(self) -> None:
        if self._fs.isfile(self.metrics_file_path):
            with self._fs.open(self.metrics_file_path, "r") as file:
                self.metrics_keys = sorted(file.readline().strip().split(","))


class _ResumableCSVLogger(CSVLogger):
    @property
    def experiment(self):
        if self._experiment is None and self._fs is not None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = _AppendingExperimentWriter(log_dir=self.log_dir)
        return super().experiment


def _latest_version(run_root: Path) -> int | None:
    versions = [
        int(path.name.split("_", 1)[1])
        for path in run_root.glob("version_*")
        if path.name.split("_", 1)[1].isdigit() and (path / "checkpoints" / "last.ckpt").is_file()
    ]
    return max(versions, default=None)


class TrainCLI(LightningCLI):
    def add_arguments_to_parser(self, parser) -> None:
        parser.add_argument(
            "--test_after_fit", type=bool, default=False, help="After fit, test the final weights (fit only)."
        )
        parser.add_argument(
            "--run_name",
            type=str | None,
            default=None,
            help="Log under runs/<run_name>; default: the config's name.",
        )

    def _section(self, config):
        """The subcommand's part of a config (all of it when parsed without a subcommand)."""
        return config if self.subcommand is None else config[self.subcommand]

    def _run_name(self) -> str:
        config = self._section(self.config)
        if config.get("run_name"):
            return config["run_name"]
        paths = config.get("config") or []
        return Path(str(paths[-1])).stem if paths else "default"

    def instantiate_trainer(self, **kwargs) -> pl.Trainer:
        trainer_config = self._section(self.config_init)["trainer"]
        name = self._run_name()
        kwargs["callbacks"] = [*(trainer_config.get("callbacks") or []), RunSummary(name)]
        if trainer_config.get("enable_progress_bar") is not False and not any(
            isinstance(callback, ProgressBar) for callback in kwargs["callbacks"]
        ):
            # Lightning's default bar redraws every step: 0.5 ms of CPU per step plus the write to
            # the terminal, a fifth of linear.yaml's whole model step on a CPU. Every 10th step
            # costs a tenth of that and is still several redraws a second.
            kwargs["callbacks"].append(TQDMProgressBar(refresh_rate=10))
        if trainer_config.get("logger") in (None, True):
            save_dir = Path(trainer_config.get("default_root_dir") or "runs")
            version = None
            if self.subcommand == "fit" and self.config_init["fit"].get("ckpt_path") == "last":
                version = _latest_version(save_dir / name)  # continue that run in its own directory
            loggers = [_ResumableCSVLogger(save_dir, name=name, version=version)]
            with contextlib.suppress(ModuleNotFoundError):  # tensorboard is optional
                loggers.append(TensorBoardLogger(save_dir, name=name, version=loggers[0].version))
            kwargs["logger"] = loggers
        return super().instantiate_trainer(**kwargs)

    def after_fit(self) -> None:
        if self.config["fit"].get("test_after_fit"):
            # The final weights: the schedules anneal to ~0, and the validation split is too
            # small to pick a better epoch without overfitting to it.
            self.trainer.test(self.model, datamodule=self.datamodule, verbose=True)


def main(args: list[str] | None = None, run: bool = True) -> TrainCLI:
    """Runs the CLI on ``args`` (default: the command line); ``run=False`` only parses and builds."""
    if torch.cuda.is_available():
        torch.set_float32_matmul_precision("high")  # TF32 matmuls for float32 runs on Ampere+
    return TrainCLI(
        Classifier,
        CIFAR10DataModule,
        seed_everything_default=0,
        auto_configure_optimizers=False,
        save_config_kwargs={"overwrite": True},
        trainer_defaults={
            "default_root_dir": "runs",
            "max_epochs": 10,
            "log_every_n_steps": 10,
            "callbacks": [
                ModelCheckpoint(
                    monitor="val/acc",
                    mode="max",
                    filename="best-epoch{epoch:03d}-acc{val/acc:.4f}",
                    auto_insert_metric_name=False,
                ),
                # A second, unmonitored checkpoint for last.ckpt: Lightning's save_last only
                # rewrites it in epochs where the monitored metric improved.
                ModelCheckpoint(filename="last", enable_version_counter=False),
                LearningRateMonitor(logging_interval="epoch"),
            ],
        },
        args=args,
        run=run,
    )
