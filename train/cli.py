"""``python -m train {fit,validate,test,predict} --config train/configs/<name>.yaml [overrides]``.

LightningCLI over :class:`~train.module.Classifier` (``--model.*``) and
:class:`~train.data.CIFAR10DataModule` (``--data.*``): their typed ``__init__`` signatures are the
config schema (``python -m train fit --print_config`` prints it). What this file adds:

* every ``fit`` logs to ``runs/<config name>/version_<n>/`` (the version directory claimed
  atomically, so concurrent runs never share one): ``metrics.csv`` (and TensorBoard events when
  tensorboard is installed), the resolved ``config.yaml``, ``checkpoints/{best-*,last}.ckpt``
  (written beside their target, then renamed) and ``summary.json`` (device, threads, times, test
  accuracy) for ``python -m train.results``;
* ``fit --ckpt_path last`` continues the newest run of that config in its own directory: its
  ``config.yaml`` stays, the resume's config is recorded beside it as ``config.resume-<k>.yaml``,
  ``summary.json`` adds up the fit time, and metrics rows of the epoch being redone are dropped;
  options that would change the run's schedule are refused before anything is written;
* ``validate``/``test``/``predict`` need ``--ckpt_path`` (``last`` and ``best`` mean that config's
  newest fit run) and log into ``evaluations/<subcommand>_<k>/`` inside the run they evaluate
  (``runs/<config name>/evaluations/`` for a checkpoint from elsewhere), so the fit's record stays
  the run's record; ``predict`` writes ``predictions.csv`` there;
* every checkpoint, local or a URL, is loaded with ``weights_only=True``: a checkpoint is data,
  never code. A config is code, though: ``class_path`` entries instantiate any importable class;
* ``--test_after_fit true`` tests the final weights in the same process after ``fit``.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import json
import os
import pickle
import platform
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import lightning
import lightning.pytorch as pl
import torch
import yaml
from lightning.fabric.utilities.cloud_io import get_filesystem
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint, ProgressBar, TQDMProgressBar
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter
from lightning.pytorch.plugins.io import TorchCheckpointIO

import train
from train.data import CLASSES, CIFAR10DataModule
from train.module import Classifier

__all__ = ["RunSummary", "TrainCLI", "device_name", "main"]

EVALUATIONS = ("validate", "test", "predict")


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    return f"{model} ({os.cpu_count()} cores, {torch.get_num_threads()} threads)"


def _atomic_write_text(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        handle.write(text)
    os.replace(handle.name, path)


class RunSummary(pl.Callback):
    """Writes ``summary.json`` into the run directory: what ran where, how long, how well. A
    resumed fit keeps the first command and adds its own fit time and command under ``resumes``."""

    def __init__(self, config_name: str, subcommand: str = "fit", checkpoint: str | None = None) -> None:
        self.config_name, self.subcommand, self.checkpoint = config_name, subcommand, checkpoint
        self.times: dict[str, float] = {}
        self.before: dict = {}

    def _path(self, trainer: pl.Trainer) -> Path | None:
        log_dir = trainer.log_dir  # a broadcast under DDP: every rank must ask
        return None if log_dir is None else Path(log_dir) / "summary.json"

    def on_fit_start(self, trainer, pl_module) -> None:
        self.times["fit_start"] = time.perf_counter()
        path = self._path(trainer)
        if trainer.ckpt_path is not None and path is not None and path.is_file():
            self.before = json.loads(path.read_text())  # the run this fit continues

    def on_train_start(self, trainer, pl_module) -> None:
        self.start_epoch = trainer.current_epoch  # restored by now

    def on_fit_end(self, trainer, pl_module) -> None:
        self.times["fit_s"] = time.perf_counter() - self.times["fit_start"]
        self._write(trainer, pl_module)

    def on_validation_end(self, trainer, pl_module) -> None:
        if trainer.state.fn == "validate":
            self._write(trainer, pl_module)

    def on_test_start(self, trainer, pl_module) -> None:
        self.times["test_start"] = time.perf_counter()

    def on_test_end(self, trainer, pl_module) -> None:
        self.times["test_s"] = time.perf_counter() - self.times["test_start"]
        self._write(trainer, pl_module)

    def on_predict_end(self, trainer, pl_module) -> None:
        self._write(trainer, pl_module)

    def _write(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        path = self._path(trainer)
        if not trainer.is_global_zero or path is None:
            return
        summary = json.loads(path.read_text()) if path.is_file() else {}
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}
        command = " ".join(["python -m train", *sys.argv[1:]])
        times = {k: v for k, v in self.times.items() if k.endswith("_s")}
        total = time.perf_counter() - train.STARTED
        if self.before:  # a resume: the run's times add up, its first command stays
            resume = {"command": command, "from_epoch": self.start_epoch, "fit_s": times.get("fit_s")}
            summary["resumes"] = [*self.before.get("resumes", []), resume]
            times["fit_s"] = self.before.get("fit_s", 0.0) + times.get("fit_s", 0.0)
            total += self.before.get("total_s", 0.0)
            command = self.before.get("command", command)
        summary.update(
            config=self.config_name,
            subcommand=self.subcommand,
            command=command,
            device=device_name(pl_module.device),
            accelerator=trainer.strategy.root_device.type,
            world_size=trainer.world_size,
            precision=str(trainer.precision),
            threads=torch.get_num_threads(),
            backend=pl_module.hparams.get("backend"),
            kernels=pl_module.hparams.get("kernels", True),
            seed=int(os.environ.get("PL_GLOBAL_SEED", 0)),
            epochs=trainer.current_epoch,
            versions={
                "torch": torch.__version__,
                "lightning": lightning.__version__,
                "python": platform.python_version(),
            },
            total_s=total,
            **times,
        )
        if self.checkpoint is not None:
            summary["checkpoint"] = self.checkpoint
        for key in ("test/acc", "test/loss", "val/acc", "val/loss"):
            if key in metrics:
                summary[key] = metrics[key]
        _atomic_write_text(path, json.dumps(summary, indent=2) + "\n")


class _AppendingExperimentWriter(ExperimentWriter):
    """Lightning's CSV writer deletes an existing ``metrics.csv``; a resumed run appends to it,
    after dropping the rows of the epoch it redoes, and keeps the run's ``hparams.yaml``."""

    def _check_log_dir_exists(self) -> None:
        if self._fs.isfile(self.metrics_file_path):
            with self._fs.open(self.metrics_file_path, "r") as file:
                self.metrics_keys = sorted(file.readline().strip().split(","))

    def log_hparams(self, params: dict[str, Any]) -> None:
        if not self._fs.isfile(os.path.join(self.log_dir, self.NAME_HPARAMS_FILE)):
            super().log_hparams(params)

    def drop_rows_from(self, epoch: int, step: int) -> None:
        """Drops the rows logged at or after ``epoch`` (rows with an epoch) or ``step`` (the
        learning-rate rows, which have none): what a run killed mid-epoch logged of the epoch
        that its resume runs again."""

        def kept(row: dict) -> bool:
            if row.get("epoch") not in (None, ""):
                return int(float(row["epoch"])) < epoch
            return int(float(row["step"])) < step

        self.metrics = [row for row in self.metrics if kept(row)]
        path = Path(self.metrics_file_path)
        if not path.is_file():
            return
        with open(path, newline="") as file:
            reader = csv.DictReader(file)
            fields, rows = reader.fieldnames or [], list(reader)
        if all(kept(row) for row in rows):
            return
        with tempfile.NamedTemporaryFile("w", dir=path.parent, newline="", delete=False) as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(row for row in rows if kept(row))
        os.replace(handle.name, path)


class _ResumableCSVLogger(CSVLogger):
    @property
    def experiment(self):
        if self._experiment is None and self._fs is not None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = _AppendingExperimentWriter(log_dir=self.log_dir)
        return super().experiment


class _ResumedRows(pl.Callback):
    """On a resume, drops the metrics rows of the epoch being run again (see
    :meth:`_AppendingExperimentWriter.drop_rows_from`)."""

    def on_train_start(self, trainer, pl_module) -> None:
        if trainer.ckpt_path is None or not trainer.is_global_zero:
            return
        for logger in trainer.loggers:
            if isinstance(logger, _ResumableCSVLogger):
                logger.experiment.drop_rows_from(trainer.current_epoch, trainer.global_step)


class _AtomicCheckpointIO(TorchCheckpointIO):
    """Writes a checkpoint into a temporary file beside its target, then renames it: a kill at any
    moment leaves the previous checkpoint or the new one, whole. (Lightning's own save goes
    through a temporary file in ``TMPDIR``, whose final move is a copy when ``TMPDIR`` is on
    another filesystem.)"""

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options=None) -> None:
        if get_filesystem(path).protocol not in ("file", ("file", "local")):
            return super().save_checkpoint(checkpoint, path, storage_options)
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = None
        try:
            with tempfile.NamedTemporaryFile(
                dir=target.parent, prefix=f".{target.name}.", delete=False
            ) as handle:
                temporary = handle.name
                torch.save(checkpoint, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
            raise


class _RecordConfig(SaveConfigCallback):
    """Saves the resolved config as ``config.yaml``; a resume keeps it and records its own config
    beside it as ``config.resume-<k>.yaml``."""

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        log_dir = trainer.log_dir
        if log_dir is not None and (Path(log_dir) / "config.yaml").is_file():
            resumes = len(list(Path(log_dir).glob("config.resume-*.yaml")))
            self.config_filename = f"config.resume-{resumes + 1}.yaml"
        super().setup(trainer, pl_module, stage)


def _claim(root: Path, prefix: str) -> int:
    """The smallest free ``<prefix><n>`` under ``root`` above those in use, created here:
    ``mkdir`` fails for all but one of several processes that try the same name."""
    root.mkdir(parents=True, exist_ok=True)
    used = [int(p.name[len(prefix) :]) for p in root.glob(f"{prefix}*") if p.name[len(prefix) :].isdigit()]
    number = max(used, default=-1) + 1
    while True:
        try:
            (root / f"{prefix}{number}").mkdir()
            return number
        except FileExistsError:
            number += 1


def _is_launched_rank() -> bool:
    """A DDP process that Lightning started for rank > 0 (it re-runs this command line)."""
    return int(os.environ.get("LOCAL_RANK", 0)) > 0 or int(os.environ.get("NODE_RANK", 0)) > 0


def _fit_runs(run_root: Path) -> list[Path]:
    """The fit runs of a config (``version_<n>`` holding ``checkpoints/last.ckpt``), oldest first."""
    runs = [
        path
        for path in run_root.glob("version_*")
        if path.name.split("_", 1)[1].isdigit() and (path / "checkpoints" / "last.ckpt").is_file()
    ]
    return sorted(runs, key=lambda path: int(path.name.split("_", 1)[1]))


def _best_checkpoint(run: Path) -> Path | None:
    """The monitored ModelCheckpoint's best file, as recorded in the run's ``last.ckpt``."""
    state = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    for key, callback in state.get("callbacks", {}).items():
        if "'monitor': 'val/acc'" in key and callback.get("best_model_path"):
            best = run / "checkpoints" / Path(callback["best_model_path"]).name
            if best.is_file():
                return best
    return max((run / "checkpoints").glob("best-*.ckpt"), key=os.path.getmtime, default=None)


def _run_of(checkpoint: str) -> Path | None:
    """The run directory ``.../version_<n>`` of a checkpoint in its ``checkpoints/``, if it is one."""
    path = Path(checkpoint)
    run = path.parent.parent
    if path.parent.name == "checkpoints" and re.fullmatch(r"version_\d+", run.name) and run.is_dir():
        return run
    return None


# What a resume may change: how and where it runs, not what it computes.
_RESUME_MAY_CHANGE = {
    "model": {"compile", "kernels"},
    "data": {"root", "download", "check_integrity", "num_workers", "cache", "eval_batch_size"},
}
_RESUME_TRAINER_KEEPS = (
    "max_epochs",
    "max_steps",
    "min_epochs",
    "min_steps",
    "accumulate_grad_batches",
    "limit_train_batches",
    "gradient_clip_val",
    "gradient_clip_algorithm",
)


def _changed_options(recorded: dict, new: dict) -> list[str]:
    changed = []
    for section, allowed in _RESUME_MAY_CHANGE.items():
        old_values, new_values = recorded.get(section) or {}, new.get(section) or {}
        for key in sorted(set(old_values) | set(new_values)):
            if key not in allowed and old_values.get(key) != new_values.get(key):
                changed.append(f"--{section}.{key} ({old_values.get(key)!r} → {new_values.get(key)!r})")
    old_trainer, new_trainer = recorded.get("trainer") or {}, new.get("trainer") or {}
    for key in _RESUME_TRAINER_KEEPS:
        if old_trainer.get(key) != new_trainer.get(key):
            changed.append(f"--trainer.{key} ({old_trainer.get(key)!r} → {new_trainer.get(key)!r})")
    if recorded.get("seed_everything") != new.get("seed_everything"):
        changed.append(
            f"--seed_everything ({recorded.get('seed_everything')!r} → {new.get('seed_everything')!r})"
        )
    return changed


class _Parser(LightningArgumentParser):
    """Errors in one short paragraph: the message, a close option name for a misspelt one, and
    where the full list is (jsonargparse prints the usage of every option, some 80 lines)."""

    def print_usage(self, file=None) -> None:
        (file or sys.stderr).write(f"usage: {self.prog} [--config CONFIG] [options]\n")

    def error(self, message: str, ex: Exception | None = None):
        parser = getattr(ex, "subcommand_parser", None) or self
        known = [option for option in parser._option_string_actions if option.startswith("--")]
        hints = []
        for unknown in re.findall(r"--[\w.\-]+", message):
            if unknown not in known:
                close = difflib.get_close_matches(unknown, known, n=1, cutoff=0.75)
                if close:
                    hints.append(f"did you mean {close[0]} (for {unknown})?")
        if hints:
            message = f"{message}; {' '.join(hints)}"
        return super().error(message, ex)


class TrainCLI(LightningCLI):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("parser_class", _Parser)
        kwargs.setdefault("save_config_callback", _RecordConfig)
        super().__init__(*args, **kwargs)

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

    def _save_dir(self) -> Path:
        return Path(self._section(self.config)["trainer"].get("default_root_dir") or "runs")

    # --- checks and resolution, before any class is instantiated or anything is written --------

    def before_instantiate_classes(self) -> None:
        config = self._section(self.config)  # run=False parses without a subcommand: as for fit
        if config.get("weights_only") is False:
            raise ValueError(
                "--weights_only false: train loads checkpoints as data only (weights_only=True); "
                "a checkpoint that needs more can run code when loaded"
            )
        if "weights_only" in config:
            config["weights_only"] = True  # Lightning's default for URLs is False
        self.run_of_checkpoint: Path | None = None
        self.resume_in_place = False
        if self.subcommand in (None, "fit"):
            self._check_schedule_length(config)
            if config.get("ckpt_path"):
                self._check_resume(config)
        else:
            config["ckpt_path"] = self._resolve_evaluated_checkpoint(config.get("ckpt_path"))

    def _check_schedule_length(self, config) -> None:
        trainer, model = config["trainer"], config["model"]
        max_epochs, max_steps = trainer.get("max_epochs"), trainer.get("max_steps")
        if max_epochs is not None and max_epochs < -1:
            raise ValueError(f"--trainer.max_epochs must be -1 (no limit) or at least 0, got {max_epochs}")
        if max_epochs == -1 and max_steps in (None, -1) and model.get("scheduler") != "constant":
            raise ValueError(
                f"--trainer.max_epochs -1 (no limit) gives the {model.get('scheduler')!r} learning-rate "
                f"schedule no length: pass --trainer.max_epochs N or --trainer.max_steps N, or use "
                f"--model.scheduler constant"
            )

    def _check_resume(self, config) -> None:
        """A resume continues the recorded run as it was configured; an option that changes what
        it computes (a longer schedule, another lr) is refused here, before anything is written."""
        ckpt_path = config["ckpt_path"]
        if ckpt_path == "last":
            runs = _fit_runs(self._save_dir() / self._run_name())
            if not runs:
                return  # Lightning's: nothing to resume, a fresh run (it warns)
            run = runs[-1]
        elif ckpt_path == "best" or not (run := _run_of(str(ckpt_path))):
            return
        self.run_of_checkpoint = run
        self.resume_in_place = Path(str(ckpt_path)).name == "last.ckpt" or ckpt_path == "last"
        recorded_file = run / "config.yaml"
        if not recorded_file.is_file():
            return
        recorded = yaml.safe_load(recorded_file.read_text()) or {}
        new = yaml.safe_load(self._parser("fit").dump(config, skip_none=False)) or {}
        changed = _changed_options(recorded, new)
        if changed:
            raise ValueError(
                f"--ckpt_path {ckpt_path} resumes {run} as it was configured there, but this command "
                f"changes {', '.join(changed)}; its schedule and state belong to the recorded options. "
                f"Resume without these overrides, or start a new run (no --ckpt_path)."
            )

    def _resolve_evaluated_checkpoint(self, ckpt_path) -> str:
        sub = self.subcommand
        if not ckpt_path:
            raise ValueError(
                f"{sub} needs --ckpt_path: last or best (this config's newest fit run) or a checkpoint "
                f"file; without one it would score the untrained model"
            )
        if ckpt_path in ("last", "best"):
            root = self._save_dir() / self._run_name()
            runs = _fit_runs(root)
            if not runs:
                raise FileNotFoundError(
                    f"{sub} --ckpt_path {ckpt_path}: no fit run of {self._run_name()!r} under {root} "
                    f"(none has checkpoints/last.ckpt); train it first, or pass a checkpoint file"
                )
            run = runs[-1]
            checkpoint = run / "checkpoints" / "last.ckpt" if ckpt_path == "last" else _best_checkpoint(run)
            if checkpoint is None:
                raise FileNotFoundError(f"{sub} --ckpt_path best: {run} has no best-*.ckpt")
            self.run_of_checkpoint = run
            return str(checkpoint)
        self.run_of_checkpoint = _run_of(str(ckpt_path))
        return ckpt_path

    # --- the trainer -----------------------------------------------------------------------------

    def instantiate_trainer(self, **kwargs) -> pl.Trainer:
        trainer_config = self._section(self.config_init)["trainer"]
        name = self._run_name()
        checkpoint = self._section(self.config).get("ckpt_path") if self.subcommand in EVALUATIONS else None
        summary = RunSummary(name, self.subcommand or "fit", None if checkpoint is None else str(checkpoint))
        kwargs["callbacks"] = [*(trainer_config.get("callbacks") or []), summary, _ResumedRows()]
        if trainer_config.get("enable_progress_bar") is not False and not any(
            isinstance(callback, ProgressBar) for callback in kwargs["callbacks"]
        ):
            # Lightning's default bar redraws every step: 0.5 ms of CPU per step plus the write to
            # the terminal, a fifth of linear.yaml's whole model step on a CPU. Every 10th step
            # costs a tenth of that and is still several redraws a second.
            kwargs["callbacks"].append(TQDMProgressBar(refresh_rate=10))
        if not trainer_config.get("plugins"):
            kwargs["plugins"] = [_AtomicCheckpointIO()]
        if trainer_config.get("logger") in (None, True):
            save_dir = Path(trainer_config.get("default_root_dir") or "runs")
            run_of_checkpoint = getattr(self, "run_of_checkpoint", None)
            if self.subcommand in EVALUATIONS:  # kept apart, with the run evaluated when there is one
                root = (run_of_checkpoint or save_dir / name) / "evaluations"
                prefix = f"{self.subcommand}_"
                version: int | str | None = (
                    None if _is_launched_rank() else prefix + str(_claim(root, prefix))
                )
                loggers = [_ResumableCSVLogger(root.parent, name=root.name, version=version)]
            else:
                if self.subcommand == "fit" and getattr(self, "resume_in_place", False) and run_of_checkpoint:
                    version = int(run_of_checkpoint.name.split("_", 1)[1])  # continue that run in place
                else:
                    version = None if _is_launched_rank() else _claim(save_dir / name, "version_")
                loggers = [_ResumableCSVLogger(save_dir, name=name, version=version)]
            with contextlib.suppress(ModuleNotFoundError):  # tensorboard is optional
                loggers.append(
                    TensorBoardLogger(loggers[0].save_dir, name=loggers[0].name, version=loggers[0].version)
                )
            kwargs["logger"] = loggers
        return super().instantiate_trainer(**kwargs)

    def _run_subcommand(self, subcommand: str) -> None:
        try:
            super()._run_subcommand(subcommand)
        except pickle.UnpicklingError as error:
            ckpt_path = self.config[subcommand].get("ckpt_path")
            raise pickle.UnpicklingError(
                f"{ckpt_path}: refused. This file holds more than tensors and plain values, and loading "
                f"it could run code; train loads checkpoints with weights_only=True only. Lightning "
                f"checkpoints written by train load so. ({str(error).splitlines()[0]})"
            ) from error

    def after_fit(self) -> None:
        if self.config["fit"].get("test_after_fit"):
            # The final weights: the schedules anneal to ~0, and the validation split is too
            # small to pick a better epoch without overfitting to it.
            self.trainer.test(self.model, datamodule=self.datamodule, verbose=True)

    def after_predict(self) -> None:
        """``predictions.csv`` in the evaluation's directory: one row per test image."""
        trainer = self.trainer
        if not trainer.is_global_zero or trainer.log_dir is None:
            return
        batches = trainer.predict_loop.predictions
        predicted = torch.cat([batch["class"] for batch in batches]).tolist()
        scores = torch.cat([batch["score"] for batch in batches]).tolist()
        labels = torch.cat([batch["label"] for batch in batches]).tolist()
        names = self.datamodule.test_names() if isinstance(self.datamodule, CIFAR10DataModule) else []
        classes = list(CLASSES)
        path = Path(trainer.log_dir) / "predictions.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["index", "image", "label", "predicted", "score"])
            for index, (cls, score, label) in enumerate(zip(predicted, scores, labels, strict=True)):
                image = names[index] if index < len(names) else ""
                writer.writerow([index, image, classes[label], classes[cls], f"{score:.6f}"])
        print(f"{len(predicted)} predictions written to {path}")


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
