"""Training throughput of a config: images per second and seconds per epoch, per data path.

``python -m train.throughput --config train/configs/best.yaml --epochs 4 -- --data.dataset imagefolder
--data.root <folder>`` (an ImageFolder copy of CIFAR-10 there) trains the config's model with
Lightning's ``Trainer.fit`` (validation off, no checkpoints or logs) once per requested variant,
e.g. the device-resident tensor loader against the ``DataLoader`` of PIL images, and prints one
JSON line per variant. The first epoch (CUDA context, ``torch.compile``, caches) is reported apart
and left out of the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint

from train.cli import device_name, main

__all__ = ["EpochTimer", "measure"]


class EpochTimer(pl.Callback):
    """Wall time and images of every training epoch (synchronised on CUDA)."""

    def __init__(self) -> None:
        self.epochs: list[tuple[float, int]] = []

    def _sync(self, module: pl.LightningModule) -> None:
        if module.device.type == "cuda":
            torch.cuda.synchronize(module.device)

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._sync(pl_module)
        self.images = 0
        self.start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_index) -> None:
        self.images += len(batch[1])

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self._sync(pl_module)
        self.epochs.append((time.perf_counter() - self.start, self.images))


def measure(config: str, epochs: int, overrides: list[str]) -> dict:
    """Fits ``config`` (plus ``overrides``) for ``epochs`` epochs and returns the timings."""
    args = [
        f"--config={config}",
        f"--trainer.max_epochs={epochs}",
        "--trainer.limit_val_batches=0",
        "--trainer.logger=false",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        *overrides,
    ]
    cli = main(args, run=False)
    timer = EpochTimer()
    # no checkpoint writing inside the timed epochs (and no logger for the LR monitor)
    kept = [c for c in cli.trainer.callbacks if not isinstance(c, ModelCheckpoint | LearningRateMonitor)]
    cli.trainer.callbacks = [*kept, timer]
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    (first_s, _), rest = timer.epochs[0], timer.epochs[1:] or timer.epochs
    seconds = statistics.median(s for s, _ in rest)
    images = statistics.median(n for _, n in rest)
    return {
        "config": config,
        "overrides": overrides,
        "device": device_name(cli.model.device),
        "loader": cli.datamodule.loader,
        "precision": str(cli.trainer.precision),
        "compile": bool(cli.model.hparams.compile),
        "epochs_timed": len(rest),
        "first_epoch_s": first_s,
        "s_per_epoch": seconds,
        "images_per_epoch": images,
        "images_per_s": images / seconds,
        "torch": torch.__version__,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m train.throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="train/configs/best.yaml")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per variant (the first is warm-up)")
    parser.add_argument(
        "--variant",
        action="append",
        help="extra CLI overrides of one variant, space separated, e.g. "
        "'--data.loader dataloader --data.num_workers 8' (repeatable; default: tensor and dataloader)",
    )
    parser.add_argument("overrides", nargs="*", help="CLI overrides shared by every variant (after --)")
    return parser


def run(argv: list[str] | None = None) -> list[dict]:
    options = _parser().parse_args(argv)
    variants = options.variant or ["--data.loader tensor", "--data.loader dataloader"]
    results = []
    for variant in variants:
        result = measure(options.config, options.epochs, [*options.overrides, *variant.split()])
        print(json.dumps(result), flush=True)
        results.append(result)
    return results


if __name__ == "__main__":
    run()
