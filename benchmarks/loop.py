"""Where an epoch of ``train/configs/linear.yaml`` goes: four ways of spending it, timed side by
side in one process, each call one epoch (reported per training step):

* **model step**: zero the gradients, forward, loss, backward and the optimiser's step on one
  fixed batch, as many times as an epoch has steps (the floor of any loop);
* **data path**: one epoch of the data module's ``TensorLoader`` (gather, random crop and flip,
  normalisation of whole batches) and nothing else;
* **lean loop**: the CLI's epoch written by hand: the same loader, the Classifier's network,
  loss, optimiser and per-step schedule (from ``configure_optimizers``), then a pass over the
  validation split; the loss and accuracy of both splits are summed on the device and read once
  per epoch;
* **CLI loop**: ``Trainer.fit`` with the Classifier, data module, callbacks and loggers exactly as
  ``python -m train fit --config train/configs/linear.yaml`` builds them: progress bar, CSV log,
  validation every epoch, both checkpoints, the learning-rate monitor. The fit runs in a thread
  that waits at the start of every epoch; a call lets one epoch run, so one call is one epoch
  including validation, checkpoints and the epoch's logging, and the calls interleave with the
  other candidates as :func:`~benchmarks.timing.compare` rotates them. The CLI's epoch is also
  split into its training steps, its validation loop and what follows validation (checkpoint
  writes, epoch-end logging).

The images are random uint8 CIFAR-sized images made in memory and fed through the data module's
own split, normalisation and tensor loader, so it runs anywhere without the data set.
"""

from __future__ import annotations

import contextlib
import statistics
import tempfile
import threading
import time
import types
import warnings
from collections.abc import Callable
from pathlib import Path

import lightning
import lightning.pytorch as pl
import torch
import torchmetrics
from torch import Tensor

from benchmarks.config import Config
from benchmarks.timing import compare, synchronize
from train.cli import main as cli_main
from train.data import CIFAR10DataModule
from train.module import Classifier

CONFIG = "train/configs/linear.yaml"
REPO_ROOT = Path(__file__).resolve().parent.parent
LEAN = "lean loop"
NAMES = ("CLI loop", "model step", "data path", LEAN)
# "wall": seconds as they pass; "cpu": this process's CPU time (all its threads), which other
# processes on a shared machine do not lengthen, for comparisons run under load (1 torch thread,
# so that idle OpenMP workers' spinning is not counted as work).
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


class SyntheticCIFAR10(CIFAR10DataModule):
    """The CLI's data module over images held in ``arrays`` (``{train: (images, labels)}``, for
    the training and the test files) instead of files: nothing to download or decode."""

    arrays: dict[bool, tuple[Tensor, Tensor]]

    def prepare_data(self) -> None:
        pass

    def _arrays(self, train: bool) -> tuple[Tensor, Tensor]:
        return self.arrays[train]


def synthetic_arrays(count: int, seed: int = 0) -> dict[bool, tuple[Tensor, Tensor]]:
    """Random uint8 images ``(count, 3, 32, 32)`` with labels for the training files and a fifth
    as many for the test file (CIFAR-10's 50,000 and 10,000)."""
    generator = torch.Generator().manual_seed(seed)

    def split(size: int) -> tuple[Tensor, Tensor]:
        images = torch.randint(0, 256, (size, 3, 32, 32), dtype=torch.uint8, generator=generator)
        return images, torch.randint(0, 10, (size,), generator=generator)

    return {True: split(count), False: split(max(1, count // 5))}


class _EpochGate(pl.Callback):
    """Holds a fit at the start of every training epoch until :meth:`run_epoch` lets one run, and
    marks when each epoch's validation starts and ends (Lightning runs checkpoint callbacks after
    every other callback, so the end mark falls before the checkpoint writes)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._go = threading.Semaphore(0)
        self._waiting = threading.Semaphore(0)
        self.error: BaseException | None = None
        self.finished = False
        self.marks: list[dict[str, float]] = []  # per epoch: start, validation_start, validation_end

    def _mark(self, name: str) -> None:
        self.marks[-1][name] = self.clock()

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        if self.marks:
            self._mark("end")
        self._waiting.release()
        self._go.acquire()
        self.marks.append({"start": self.clock()})

    def on_validation_start(self, trainer, pl_module) -> None:
        if self.marks:  # not the sanity check before the first epoch
            self._mark("validation_start")

    def on_validation_end(self, trainer, pl_module) -> None:
        if self.marks:
            self._mark("validation_end")

    def start(self, fit: Callable[[], object]) -> None:
        """Runs ``fit`` in a thread and returns when it waits at its first epoch."""

        def target() -> None:
            try:
                fit()
            except BaseException as error:  # re-raised in the caller's thread
                self.error = error
            finally:
                self.finished = True
                self._waiting.release()  # a caller waiting for an epoch that will not come

        self.thread = threading.Thread(target=target, name="cli-fit", daemon=True)
        self.thread.start()
        self._wait()

    def _wait(self) -> None:
        self._waiting.acquire()
        if self.error is not None:
            raise RuntimeError("the CLI's fit failed") from self.error

    def run_epoch(self) -> None:
        if self.finished:
            raise RuntimeError("the CLI's fit has no epochs left")
        self._go.release()
        self._wait()

    def finish(self, trainer: pl.Trainer) -> None:
        """Stops the fit at the epoch it waits at (which then runs no step) and lets it end."""
        trainer.should_stop = True
        while not self.finished:
            self._go.release()
            self._wait()
        self.thread.join()

    def split(self, skip: int) -> dict[str, float]:
        """Median seconds per epoch of training steps, validation and what follows it, over the
        epochs after the first ``skip``."""
        epochs = [m for m in self.marks[skip:] if "end" in m and "validation_end" in m]
        parts = {
            "training_steps_s": [m["validation_start"] - m["start"] for m in epochs],
            "validation_s": [m["validation_end"] - m["validation_start"] for m in epochs],
            "after_validation_s": [m["end"] - m["validation_end"] for m in epochs],
        }
        return {name: statistics.median(values) for name, values in parts.items() if values}


def _optimiser(model: Classifier, total_steps: int):
    """``model.configure_optimizers()`` for a run of ``total_steps`` steps, outside a Trainer:
    the optimiser and, when the config has one, its per-step schedule."""
    model.trainer = types.SimpleNamespace(estimated_stepping_batches=total_steps)
    try:
        configured = model.configure_optimizers()
    finally:
        model.trainer = None
    if isinstance(configured, dict):
        return configured["optimizer"], configured["lr_scheduler"]["scheduler"]
    return configured, None


class LeanLoop:
    """The CLI's epoch by hand: train on every batch of ``loaders["train"]`` with ``model``'s
    network, loss, optimiser and schedule, then score ``loaders["val"]``; the four figures (loss
    and accuracy of both splits) are summed on the device and read at the epoch's end."""

    def __init__(
        self, model: Classifier, loaders: dict, total_steps: int, clock: Callable[[], float]
    ) -> None:
        self.model, self.loaders, self.clock = model, loaders, clock
        self.optimizer, self.schedule = _optimiser(model, total_steps)
        self.epoch = 0
        for loader in loaders.values():
            loader.epoch = lambda: self.epoch
        self.validation_s: list[float] = []
        self.metrics: list[list[float]] = []

    def run_epoch(self) -> None:
        net, criterion, optimizer = self.model.net, self.model.criterion, self.optimizer
        device = next(net.parameters()).device
        sums = torch.zeros(4, device=device)  # train loss·n, train correct, val loss·n, val correct
        net.train()
        seen = 0
        for images, labels in self.loaders["train"]:
            optimizer.zero_grad(set_to_none=True)
            scores = net(images)
            loss = criterion(scores, labels)
            loss.backward()
            optimizer.step()
            if self.schedule is not None:
                self.schedule.step()
            with torch.no_grad():
                sums[0] += loss * len(labels)
                sums[1] += (scores.argmax(-1) == labels).sum()
            seen += len(labels)
        synchronize(device)
        validation_start = self.clock()
        net.eval()
        counted = 0
        with torch.no_grad():
            for images, labels in self.loaders["val"]:
                scores = net(images)
                sums[2] += criterion(scores, labels) * len(labels)
                sums[3] += (scores.argmax(-1) == labels).sum()
                counted += len(labels)
        loss_sum, correct, val_loss_sum, val_correct = sums.tolist()  # the epoch's one host sync
        self.validation_s.append(self.clock() - validation_start)
        self.metrics.append([loss_sum / seen, correct / seen, val_loss_sum / counted, val_correct / counted])
        self.epoch += 1


def _step_alone(model: Classifier, batch: tuple[Tensor, Tensor], steps: int, total_steps: int):
    """``steps`` optimiser steps on one fixed batch: what an epoch costs without a data path or
    a loop around it."""
    optimizer, _ = _optimiser(model, total_steps)
    images, labels = batch

    def epoch() -> None:
        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            model.criterion(model.net(images), labels).backward()
            optimizer.step()

    return epoch


def _data_alone(loader) -> Callable[[], None]:
    def epoch() -> None:
        for _ in loader:
            pass

    return epoch


def _build_cli(root: Path, epochs: int, device: torch.device, quick: bool):
    """The CLI of ``python -m train fit --config train/configs/linear.yaml`` (logging under
    ``root``), unrun, and its data module over synthetic images of the same settings."""
    args = [
        f"--config={REPO_ROOT / CONFIG}",
        f"--trainer.default_root_dir={root}",
        f"--trainer.max_epochs={epochs}",
        f"--trainer.accelerator={device.type}",
        "--trainer.devices=1",
        *(["--trainer.enable_progress_bar=false"] if quick else []),  # the test suite's output
    ]
    with warnings.catch_warnings():  # LightningCLI warns that sys.argv (the benchmark's) is ignored
        warnings.simplefilter("ignore", UserWarning)
        cli = cli_main(args, run=False)
    datamodule = SyntheticCIFAR10(**dict(cli.config["data"]))
    return cli, datamodule


def run(config: Config, log: Callable[[str], None] = print) -> dict:
    device = config.device
    rounds, warmup = config.loop_rounds, 3
    # compare() calls each candidate warmup + 1 + rounds times; the fit has one epoch more, which
    # it starts (the end of the last timed epoch) and is stopped in, so no timed epoch includes
    # the fit's teardown.
    epochs = warmup + 1 + rounds + 1
    with tempfile.TemporaryDirectory() as root:
        cli, datamodule = _build_cli(Path(root), epochs, device, config.quick)
        datamodule.arrays = synthetic_arrays(config.loop_images)
        datamodule.setup("fit")
        steps = len(datamodule.train_dataloader())
        total_steps = epochs * steps
        clock = CLOCKS[config.loop_clock]
        gate = _EpochGate(clock)
        # First, so that it stops the fit before any other callback starts an epoch, and marks the
        # end of validation before the progress bar and checkpoint callbacks do their work.
        cli.trainer.callbacks.insert(0, gate)
        gate.start(lambda: cli.trainer.fit(cli.model, datamodule=datamodule))
        # The fit is attached now: the loaders below share the data on the CLI's device.
        state = cli.model.state_dict()

        def copy_of_model() -> Classifier:
            model = Classifier(**dict(cli.config["model"])).to(device)
            model.load_state_dict(state)  # the CLI's initial weights
            return model

        loaders = {"train": datamodule.train_dataloader(), "val": datamodule.val_dataloader()}
        lean = LeanLoop(copy_of_model(), loaders, total_steps, clock)
        batch = next(iter(datamodule.train_dataloader()))
        epochs_of = {
            "CLI loop": gate.run_epoch,
            "model step": _step_alone(copy_of_model(), batch, steps, total_steps),
            "data path": _data_alone(datamodule.train_dataloader()),
            LEAN: lean.run_epoch,
        }
        try:
            comparison = compare(
                {name: (lambda epoch=epochs_of[name]: epoch) for name in NAMES},
                device,
                rounds=rounds,
                min_block_s=0.0,  # a call is an epoch: one per timed block
                reference=LEAN,
                warmup=warmup,
                clock=clock,
            )
        finally:
            with contextlib.suppress(RuntimeError):  # a failed fit: the error is compare()'s
                gate.finish(cli.trainer)
        cli_split = gate.split(skip=warmup + 1)
        cli_metrics = {k: float(v) for k, v in cli.trainer.callback_metrics.items() if v.numel() == 1}
    seconds = comparison.seconds
    batch_size = datamodule.batch_size
    per_step = {name: value / steps for name, value in seconds.items()}
    record = {
        "config": CONFIG,
        "images": config.loop_images,
        "train_images": len(datamodule.splits["train"][1]),
        "val_images": len(datamodule.splits["val"][1]),
        "batch_size": batch_size,
        "steps_per_epoch": steps,
        "epochs": epochs,
        "clock": config.loop_clock,
        "epoch": comparison.as_dict(),
        "per_step_s": per_step,
        "images_per_s": {name: batch_size / value for name, value in per_step.items()},
        "cli_split_s": cli_split,
        "lean_validation_s": statistics.median(lean.validation_s[warmup + 1 :] or lean.validation_s),
        "cli": {
            "progress_bar": cli.trainer.progress_bar_callback is not None,
            "log_every_n_steps": cli.trainer.log_every_n_steps,
            "callbacks": sorted({type(c).__name__ for c in cli.trainer.callbacks} - {"_EpochGate"}),
            "loggers": [type(logger).__name__ for logger in cli.trainer.loggers],
            "final_metrics": cli_metrics,
        },
        "lean_final_metrics": dict(
            zip(("train/loss", "train/acc", "val/loss", "val/acc"), lean.metrics[-1], strict=True)
        ),
        "versions": {
            "lightning": lightning.__version__,
            "torchmetrics": torchmetrics.__version__,
        },
    }
    for name in NAMES:
        ratio = "" if name == LEAN else f", {comparison.ratios[name]:.2f}x the lean loop"
        log(f"loop {name:>10}: {per_step[name] * 1e3:6.2f} ms per step{ratio}")
    return record
