"""Fixtures' building blocks: a fake CIFAR-10 in the official on-disk format, and a callback
that interrupts a run."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
from PIL import Image

from train.data import CLASSES

TRAIN_PER_BATCH = 24  # x 5 batches = 120 training images
TEST_IMAGES = 40


def _images(rng: np.random.Generator, count: int) -> tuple[np.ndarray, list[int]]:
    """Images whose class is visible in the mean colour, so a tiny MLP learns something."""
    labels = rng.permutation(np.arange(count) % len(CLASSES))  # every class present
    base = (labels[:, None] * 25).astype(np.int64)
    noise = rng.integers(0, 40, (count, 3 * 32 * 32))
    return np.clip(base + noise, 0, 255).astype(np.uint8), labels.tolist()


def make_fake_cifar10(root: Path, seed: int = 0) -> dict[str, str]:
    """``root/cifar-10-batches-py/`` with pickled ``data_batch_1..5``, ``test_batch`` and
    ``batches.meta`` laid out as the official python release (protocol-2 pickles of dicts with
    ``data``: rows of 3072 uint8, 1024 red then green then blue; ``labels``; ``filenames``;
    ``label_names`` in the meta file; the official keys are Python 2 strings, which
    ``pickle.load(encoding="latin1")`` reads as these ``str`` keys). Returns {file name: md5}."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    files = {f"data_batch_{i}": TRAIN_PER_BATCH for i in range(1, 6)} | {"test_batch": TEST_IMAGES}
    for name, count in files.items():
        data, labels = _images(rng, count)
        entry = {
            "batch_label": f"{name} of 5",
            "labels": labels,
            "data": data,
            "filenames": [f"{name}_{i:05d}.png" for i in range(count)],
        }
        (folder / name).write_bytes(pickle.dumps(entry, protocol=2))
    meta = {"num_cases_per_batch": TRAIN_PER_BATCH, "label_names": list(CLASSES), "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return {path.name: hashlib.md5(path.read_bytes()).hexdigest() for path in folder.iterdir()}


def make_fake_image_folder(root: Path, train: int = 60, test: int = 20, seed: int = 0) -> None:
    """``root/{train,test}/<class>/<n>.png``: an ImageFolder copy of CIFAR-10."""
    rng = np.random.default_rng(seed)
    for split, count in (("train", train), ("test", test)):
        data, labels = _images(rng, count)
        for index, (row, label) in enumerate(zip(data, labels, strict=True)):
            folder = root / split / CLASSES[label]
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(row.reshape(3, 32, 32).transpose(1, 2, 0)).save(folder / f"{index:05d}.png")


class StopAfter(pl.Callback):
    """Stops training after ``epochs`` epochs, as if the run had been interrupted there (the
    epoch-end checkpoint is already written)."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if trainer.current_epoch + 1 >= self.epochs:
            trainer.should_stop = True


class FailAt(pl.Callback):
    """Raises in the middle of epoch ``epoch`` (after batch ``batch``), as a crash or a kill would
    stop the run there."""

    def __init__(self, epoch: int, batch: int) -> None:
        self.epoch, self.batch = epoch, batch

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_index) -> None:
        if trainer.current_epoch == self.epoch and batch_index == self.batch:
            raise RuntimeError("killed")


class RecordKernels(pl.Callback):
    """Records ``torchlayers.kernels_enabled()`` at every training step."""

    seen: list[bool] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_index) -> None:
        import torchlayers

        RecordKernels.seen.append(torchlayers.kernels_enabled())
