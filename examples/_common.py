"""What the example scripts share: the data arguments, the CIFAR-10 loader and the results table."""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from torchlayers import _tables as tables

REPO_ROOT = Path(__file__).resolve().parents[1]
# The offline CIFAR-10 subset lives beside the repository, not in it.
DEFAULT_DATA_ROOT = REPO_ROOT / ".." / "shared" / "data" / "cifar10-5k"


@dataclass
class Data:
    """Flattened images ``(n, 3072)``, scaled to [0, 1] and normalised per channel with the
    training images' mean and standard deviation; integer labels ``(n,)``."""

    X_train: Tensor
    y_train: Tensor
    X_test: Tensor
    y_test: Tensor
    classes: list[str]


@dataclass
class Result:
    """One row of the results table; ``seconds`` is None for a row measured with the one above."""

    model: str
    setting: str
    metric: str
    value: str
    seconds: float | None = None


def make_parser(description: str) -> argparse.ArgumentParser:
    """A parser showing the script's docstring, with the arguments every example takes."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-root",
        type=Path,
        default=DEFAULT_DATA_ROOT,
        help="ImageFolder tree with train/ and test/ (default: ../shared/data/cifar10-5k, "
        "relative to the repository root)",
    )
    parser.add_argument("--device", default="cpu", help="torch device to compute on (default: cpu)")
    parser.add_argument("--seed", type=int, default=0, help="seed of initialisation and minibatch order")
    return parser


def check_data_root(parser: argparse.ArgumentParser, root: Path) -> None:
    """Exit with a usage error unless ``root`` holds ``train/`` and ``test/``."""
    missing = [split for split in ("train", "test") if not (root / split).is_dir()]
    if missing:
        parser.error(
            f"no {' or '.join(f'{split}/' for split in missing)} folder under the data root {root}; "
            "pass --data-root PATH to an ImageFolder tree with train/ and test/ "
            "(e.g. the CIFAR-10 subset ../shared/data/cifar10-5k)"
        )


def _decode_split(folder: Path) -> tuple[Tensor, Tensor, list[str]]:
    from torchvision import datasets
    from torchvision.transforms.functional import pil_to_tensor

    dataset = datasets.ImageFolder(str(folder))
    images = torch.stack([pil_to_tensor(dataset.loader(path)) for path, _ in dataset.samples])
    return images, torch.tensor(dataset.targets), dataset.classes


def load_data(root: Path, device: str = "cpu") -> Data:
    """Decode the images once; normalise every split with the training split's statistics."""
    train_images, y_train, classes = _decode_split(root / "train")
    test_images, y_test, test_classes = _decode_split(root / "test")
    if test_classes != classes:
        raise ValueError(f"{root}: train/ has classes {classes} but test/ has {test_classes}")
    train_images = train_images.to(device, torch.float32) / 255
    test_images = test_images.to(device, torch.float32) / 255
    mean = train_images.mean(dim=(0, 2, 3), keepdim=True)
    std = train_images.std(dim=(0, 2, 3), keepdim=True)
    return Data(
        X_train=((train_images - mean) / std).flatten(1),
        y_train=y_train.to(device),
        X_test=((test_images - mean) / std).flatten(1),
        y_test=y_test.to(device),
        classes=classes,
    )


class Timer:
    """``with Timer() as timer: ...``, then ``timer.seconds``."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.start


def accuracy(predictions: Tensor, labels: Tensor) -> str:
    return f"{100 * (predictions == labels).double().mean().item():.1f} %"


def markdown_table(results: list[Result]) -> str:
    """The results as the README's table ("〃": measured together with the row above)."""
    rows = [
        (row.model, row.setting, row.metric, row.value, "〃" if row.seconds is None else f"{row.seconds:.1f}")
        for row in results
    ]
    header = ["model", "setting", "metric", "value", "seconds"]
    return tables.markdown_table(header, rows, align="llllr").rstrip()


def environment(device: str) -> str:
    """The device and versions the numbers were measured with."""
    if torch.device(device).type == "cuda":
        where = torch.cuda.get_device_name(torch.device(device))
    else:
        where = f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
    return f"{device} ({where}), torch {torch.__version__}, Python {platform.python_version()}"
