"""CIFAR-10 (or any ImageFolder tree with ``train/`` and ``test/``) as a LightningDataModule.

Two ways to feed the model:

* ``loader="tensor"`` (default): the whole data set is decoded once into a uint8 tensor that lives
  on the training device; batches are gathered, randomly cropped and flipped there as whole-batch
  tensor ops, without worker processes. An MLP step takes microseconds on a GPU, which no
  DataLoader of PIL images can keep up with; on the CPU it is also the fastest path, because
  the per-image Python of PIL transforms costs more than the batched ops.
* ``loader="dataloader"``: the classic ``torch.utils.data.DataLoader`` over the torchvision data
  set with PIL transforms (``RandomCrop``, ``RandomHorizontalFlip``, ``Normalize``), for comparison.

Both hold out the same deterministic validation split of the training images, normalise with the
per-channel mean and standard deviation of the remaining training images, and make every epoch's
shuffle and augmentation a function of (seed, epoch) (the DataLoader's: of (seed, epoch, image),
whatever the number of workers), so a run resumed from an epoch-end checkpoint sees the batches
the uninterrupted run saw (tested for both). Not so with ``loader="dataloader"`` under DDP:
Lightning then replaces the sampler with its distributed one, which reshuffles per epoch, but
the augmentation draws repeat every epoch.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import lightning.pytorch as pl
import torch
import torch.nn.functional as TF
from torch import Tensor
from torchvision import datasets
from torchvision import transforms as T
from torchvision.datasets.utils import check_integrity

__all__ = [
    "CIFAR10DataModule",
    "TensorLoader",
    "cache_directory",
    "epoch_seed",
    "normalise",
    "random_crop_flip",
    "run_seed",
    "whiten",
    "zca_whitening",
]

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
_CACHE_VERSION = 1


def run_seed() -> int:
    """The run's seed (``seed_everything``'s, which LightningCLI sets from the config), 0 if unset."""
    return int(os.environ.get("PL_GLOBAL_SEED", 0))


def epoch_seed(seed: int, epoch: int, stream: int | None = None) -> int:
    """The seed of one epoch's random draws: ``seed · 1000003 + epoch`` (two primes' worth of room:
    distinct for every (seed, epoch) below a million epochs), and for one of several independent
    streams in that epoch (a rank's augmentation or dropout, an image) ``that · 1009 + stream``."""
    base = seed * 1_000_003 + epoch
    return base if stream is None else base * 1_009 + stream


class _UncheckedCIFAR10(datasets.CIFAR10):
    """torchvision's CIFAR10 without the md5 pass over every file on each load: ``prepare_data``
    checks integrity once, ``setup`` (run on every process) only reads the pickles."""

    def _check_integrity(self) -> bool:
        return True

    def _load_meta(self) -> None:  # torchvision's also md5-checks batches.meta
        with open(os.path.join(self.root, self.base_folder, self.meta["filename"]), "rb") as file:
            self.classes = pickle.load(file, encoding="latin1")[self.meta["key"]]
        self.class_to_idx = {name: index for index, name in enumerate(self.classes)}


def _corrupted_cifar10_files(root: Path) -> list[str]:
    """The CIFAR-10 files under ``root`` that are missing or whose md5 is not torchvision's."""
    cifar = datasets.CIFAR10
    folder = root / cifar.base_folder
    files = [*cifar.train_list, *cifar.test_list, [cifar.meta["filename"], cifar.meta["md5"]]]
    return [name for name, md5 in files if not check_integrity(str(folder / name), md5)]


def random_crop_flip(images: Tensor, padding: int, flip: bool, generator: torch.Generator) -> Tensor:
    """Random ``padding``-pixel translation (zero padding, as ``RandomCrop(32, padding)``) and
    random horizontal flip of a batch ``(B, C, H, W)``, one draw per image, on the batch's device."""
    batch, channels, height, width = images.shape
    device = images.device
    if padding > 0:
        padded = TF.pad(images, (padding, padding, padding, padding))
        shift = torch.randint(0, 2 * padding + 1, (2, batch), device=device, generator=generator)
        rows = shift[0, :, None] + torch.arange(height, device=device)  # (B, H)
        cols = shift[1, :, None] + torch.arange(width, device=device)  # (B, W)
        images = padded[
            torch.arange(batch, device=device)[:, None, None, None],
            torch.arange(channels, device=device)[None, :, None, None],
            rows[:, None, :, None],
            cols[:, None, None, :],
        ]
    if flip:
        mirrored = torch.rand(batch, device=device, generator=generator) < 0.5
        images = torch.where(mirrored[:, None, None, None], images.flip(3), images)
    return images


def zca_whitening(images: Tensor, mean: Tensor, std: Tensor, epsilon: float) -> Tensor:
    r"""The ZCA whitening matrix of normalised images: :math:`W = U (\Lambda + \epsilon I)^{-1/2} U^T`
    for the pixel covariance :math:`C = U \Lambda U^T` of ``(images - mean) / std`` (per channel),
    so that :math:`x W` has (near) identity covariance and still looks like an image (ZCA is the
    whitening closest to the identity). ``epsilon`` (in units of the normalised pixel variance)
    keeps the noisiest directions from being amplified. Computed in float32 on the images' device.
    """
    x = normalise(images, mean, std).flatten(1)
    x = x - x.mean(0)
    covariance = x.T @ x / len(x)
    eigenvalues, eigenvectors = torch.linalg.eigh(covariance)
    return (eigenvectors * (eigenvalues.clamp_min(0) + epsilon).rsqrt()) @ eigenvectors.T


def normalise(images: Tensor, mean: Tensor, std: Tensor) -> Tensor:
    """``(images - mean) / std`` per channel, as float32 ``(N, C, H, W)``."""
    return (images.float() - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)


def whiten(images: Tensor, mean: Tensor, std: Tensor, matrix: Tensor, chunk: int = 4096) -> Tensor:
    """``normalise(images) @ matrix`` as float32 images ``(N, C, H, W)``, in chunks of ``chunk``."""
    out = torch.empty(images.shape, dtype=torch.float32, device=images.device)
    for start in range(0, len(images), chunk):
        part = normalise(images[start : start + chunk], mean, std)
        out[start : start + chunk] = (part.flatten(1) @ matrix).view_as(part)
    return out


class _Whiten:
    """Per-image ZCA whitening for the DataLoader path: ``(C, H, W) -> (C, H, W)``."""

    def __init__(self, matrix: Tensor) -> None:
        self.matrix = matrix

    def __call__(self, image: Tensor) -> Tensor:
        return (image.flatten() @ self.matrix).view_as(image)


class TensorLoader:
    """Batches ``(normalised float images, labels)`` from device-resident uint8 tensors.

    The permutation is the same on every process (seeded by ``seed`` and the epoch) and each
    process takes every ``world_size``-th image of it, as ``DistributedSampler`` does; in
    training the shards are cut to equal length so every DDP rank runs the same number of steps.
    """

    def __init__(
        self,
        images: Tensor,
        labels: Tensor,
        mean: Tensor,
        std: Tensor,
        batch_size: int,
        *,
        train: bool,
        crop_padding: int = 0,
        flip: bool = False,
        seed: int = 0,
        epoch: Callable[[], int] = lambda: 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.images, self.labels = images, labels
        self.mean, self.std = mean, std
        self.batch_size, self.train = batch_size, train
        self.crop_padding, self.flip = crop_padding, flip
        self.seed, self.epoch = seed, epoch
        self.rank, self.world_size = rank, world_size

    def _indices(self, generator: torch.Generator) -> Tensor:
        count = len(self.labels)
        device = self.labels.device
        if not self.train:
            return torch.arange(self.rank, count, self.world_size, device=device)
        order = torch.randperm(count, device=device, generator=generator)
        per_rank = count // self.world_size
        return order[self.rank : per_rank * self.world_size : self.world_size]

    def __len__(self) -> int:
        count = len(self.labels)
        if self.train:  # drop the last incomplete batch: full batches only, as drop_last=True
            return (count // self.world_size) // self.batch_size
        return -(-len(range(self.rank, count, self.world_size)) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        device = self.labels.device
        # One stream for the shared permutation, one per rank for the augmentation.
        generator = torch.Generator(device).manual_seed(epoch_seed(self.seed, self.epoch()))
        indices = self._indices(generator)
        generator.manual_seed(epoch_seed(self.seed, self.epoch(), stream=self.rank + 1))
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            batch = indices[start : start + self.batch_size]
            images = self.images[batch]
            if self.train:
                images = random_crop_flip(images, self.crop_padding, self.flip, generator)
            if images.is_floating_point():  # already normalised (and whitened)
                yield images, self.labels[batch]
            else:
                yield normalise(images, self.mean, self.std), self.labels[batch]


def _decode_image_folder(folder: Path) -> tuple[Tensor, Tensor]:
    dataset = datasets.ImageFolder(str(folder))
    if tuple(dataset.classes) != CLASSES:
        raise ValueError(f"{folder}: expected the CIFAR-10 class folders {CLASSES}, found {dataset.classes}")
    images = []
    for path, _ in dataset.samples:
        try:
            image = T.functional.pil_to_tensor(dataset.loader(path))
        except OSError as error:  # truncated or not an image: say which file
            raise OSError(f"{path}: {error}") from error
        if image.shape != (3, 32, 32):
            raise ValueError(f"{path}: a {tuple(image.shape)} image; CIFAR-10 images are (3, 32, 32) RGB")
        images.append(image)
    return torch.stack(images), torch.tensor(dataset.targets)


def cache_directory() -> Path:
    """``$XDG_CACHE_HOME/torchlayers`` (default ``~/.cache/torchlayers``): decoded data sets live
    there, never in the user's data folder."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "torchlayers"


def _image_folder_arrays(folder: Path, cache: bool) -> tuple[Tensor, Tensor]:
    """Decoded ``(uint8 images (N, 3, H, W), labels)`` of an ImageFolder split, cached in
    :func:`cache_directory` under a name keyed by the folder's path and its contents (the file
    list, sizes and mtimes), so the PNGs are decoded once. A cache that cannot be read or written
    costs a decode and a warning, never the run."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    key = [_CACHE_VERSION, str(folder.resolve())] + [
        (str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in files
    ]
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:24]
    cache_file = cache_directory() / f"imagefolder-{folder.name}-{digest}.pt"
    if cache and cache_file.is_file():
        try:
            cached = torch.load(cache_file, weights_only=True)
            if cached["key"] == key:
                return cached["images"], cached["labels"]
        except Exception as error:  # truncated, or not ours: decode again
            warnings.warn(
                f"ignoring the unreadable cache {cache_file} ({error}); decoding {folder}", stacklevel=2
            )
    images, labels = _decode_image_folder(folder)
    if cache:
        temporary = None
        try:  # atomic: concurrent processes never read a half-written cache
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=cache_file.parent, suffix=".tmp", delete=False) as handle:
                temporary = Path(handle.name)
                torch.save({"key": key, "images": images, "labels": labels}, handle)
            os.replace(temporary, cache_file)
        except Exception as error:  # no room, no permission, a file-size limit: decode next time
            if temporary is not None:
                temporary.unlink(missing_ok=True)
            warnings.warn(f"could not cache {folder} in {cache_file.parent} ({error})", stacklevel=2)
    return images, labels


class _SeededImages(torch.utils.data.Dataset):
    """A data set addressed by ``(epoch, index)``: image ``index`` of epoch ``epoch`` is transformed
    with the torch generator seeded by ``epoch_seed(seed, epoch, index)``, so the augmentation
    depends neither on which worker (or the main process) draws it nor on what drew before. The
    epoch travels with the index because workers may start before the epoch is known."""

    def __init__(self, dataset: torch.utils.data.Dataset, seed: int) -> None:
        self.dataset, self.seed = dataset, seed

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: tuple[int, int]):
        epoch, index = key
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(epoch_seed(self.seed, epoch, stream=index))
            return self.dataset[index]


class _EpochShuffle(torch.utils.data.Sampler[tuple[int, int]]):
    """``(epoch, index)`` in the order of epoch ``e``'s permutation, drawn from
    ``epoch_seed(seed, e)``; Lightning calls ``set_epoch`` before each epoch."""

    def __init__(self, count: int, seed: int, epoch: int = 0) -> None:
        self.count, self.seed, self.epoch = count, seed, epoch

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[tuple[int, int]]:
        generator = torch.Generator().manual_seed(epoch_seed(self.seed, self.epoch))
        return ((self.epoch, index) for index in torch.randperm(self.count, generator=generator).tolist())


def _check_sizes(**sizes) -> None:
    """Bad sizes fail when the config is instantiated, naming the option, before data loads."""
    problems = []
    for name in ("batch_size", "eval_batch_size"):
        if isinstance(sizes[name], bool) or not sizes[name] >= 1:
            problems.append(f"--data.{name} must be a positive integer, got {sizes[name]}")
    for name in ("crop_padding", "num_workers"):
        if not sizes[name] >= 0:
            problems.append(f"--data.{name} must be non-negative, got {sizes[name]}")
    if sizes["train_subset"] is not None and not sizes["train_subset"] >= 2:
        problems.append(f"--data.train_subset must be at least 2 (or null), got {sizes['train_subset']}")
    val_size = sizes["val_size"]
    if not val_size > 0 or (val_size >= 1 and val_size != int(val_size)):
        problems.append(f"--data.val_size must be a fraction in (0, 1) or a whole count, got {val_size}")
    if problems:
        raise ValueError("; ".join(problems))


class CIFAR10DataModule(pl.LightningDataModule):
    """CIFAR-10 for MLPs: a held-out validation split, per-channel normalisation from the
    training images, random crop + flip augmentation.

    Args:
        root: data folder. ``cifar10``: where ``cifar-10-batches-py/`` is (downloaded there);
            ``imagefolder``: the folder holding ``train/`` and ``test/`` with one folder per class.
        dataset: ``cifar10`` (torchvision's CIFAR10, downloaded and md5-checked) or
            ``imagefolder`` (an ImageFolder copy of CIFAR-10, e.g. an offline subset).
        download: download CIFAR-10 into ``root`` when it is missing.
        check_integrity: verify the md5 of every CIFAR-10 file in ``prepare_data``. The batches
            are pickles, and unpickling an unchecked file can run code: ``False`` warns.
        val_size: validation images held out of the training images: a count, or a fraction < 1.
        split_seed: seed of the (fixed) validation split.
        batch_size: training batch size (per process under DDP).
        eval_batch_size: validation / test / predict batch size.
        crop_padding: pixels of zero padding for the random crop; 0 disables it.
        flip: random horizontal flips.
        zca_epsilon: ZCA-whiten the normalised images with the training split's pixel covariance,
            ``epsilon`` added to its eigenvalues (see :func:`zca_whitening`); augmentation then
            crops and flips the whitened images. ``None``: per-channel normalisation only.
        loader: ``tensor`` (device-resident uint8 tensors, batched augmentation on the device) or
            ``dataloader`` (DataLoader of PIL images with torchvision transforms).
        num_workers: DataLoader worker processes (``loader=dataloader`` only).
        cache: cache the decoded ImageFolder arrays in the user's cache directory
            (:func:`cache_directory`).
        train_subset: use only the first N training images (quick runs, tests); ``None``: all.
    """

    def __init__(
        self,
        root: str = "data",
        dataset: Literal["cifar10", "imagefolder"] = "cifar10",
        download: bool = True,
        check_integrity: bool = True,
        val_size: float = 0.1,
        split_seed: int = 0,
        batch_size: int = 256,
        eval_batch_size: int = 1000,
        crop_padding: int = 4,
        flip: bool = True,
        zca_epsilon: float | None = None,
        loader: Literal["tensor", "dataloader"] = "tensor",
        num_workers: int = 2,
        cache: bool = True,
        train_subset: int | None = None,
    ) -> None:
        super().__init__()
        _check_sizes(
            val_size=val_size,
            batch_size=batch_size,
            eval_batch_size=eval_batch_size,
            crop_padding=crop_padding,
            num_workers=num_workers,
            train_subset=train_subset,
        )
        self.save_hyperparameters()
        self.root = Path(root)
        self.dataset, self.download, self.check_integrity = dataset, download, check_integrity
        self.val_size, self.split_seed = val_size, split_seed
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size
        self.crop_padding, self.flip = crop_padding, flip
        if zca_epsilon is not None and not zca_epsilon > 0:
            raise ValueError(f"--data.zca_epsilon must be positive, got {zca_epsilon}")
        self.zca_epsilon = zca_epsilon
        self.whitening: Tensor | None = None
        self.loader, self.num_workers, self.cache = loader, num_workers, cache
        self.train_subset = train_subset
        self.splits: dict[str, tuple[Tensor, Tensor]] = {}
        self._first_epoch = 0  # of this process's fit: a resume's, from the checkpoint

    def state_dict(self) -> dict[str, int]:
        # Checkpoints are written at epoch ends, so a resume starts with the next epoch. Its
        # sampler must know that when it is built: Lightning creates the first epoch's iterator
        # (and DataLoader workers then draw their indices) before it calls set_epoch.
        trainer = self.trainer
        return {"next_epoch": trainer.current_epoch + 1} if trainer is not None else {}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self._first_epoch = state.get("next_epoch", 0)

    # --- files ---------------------------------------------------------------------------

    def prepare_data(self) -> None:
        """Download and md5-check CIFAR-10, or decode (and cache) the ImageFolder tree. Runs once
        per machine, before ``setup`` on every process."""
        if self.dataset == "imagefolder":
            for split in ("train", "test"):
                folder = self.root / split
                if not folder.is_dir():
                    raise FileNotFoundError(
                        f"--data.dataset imagefolder expects {folder} with one folder per class; "
                        f"pass --data.root <folder holding train/ and test/>"
                    )
                _image_folder_arrays(folder, self.cache)
            return
        present = (self.root / datasets.CIFAR10.base_folder).is_dir()
        if not present and not self.download:
            raise FileNotFoundError(self._offline_hint(f"CIFAR-10 is not in {self.root}"))
        if not present:
            try:
                datasets.CIFAR10(str(self.root), train=True, download=True)
            except Exception as error:  # URLError, socket timeouts, HTTP errors, md5 mismatch
                raise RuntimeError(self._offline_hint(f"Could not download CIFAR-10 ({error})")) from error
        if not self.check_integrity:
            warnings.warn(
                f"--data.check_integrity false: the CIFAR-10 batches in {self.root} are pickles read "
                f"without their md5 check, and unpickling a file from an untrusted source can run code",
                stacklevel=2,
            )
        corrupted = _corrupted_cifar10_files(self.root) if self.check_integrity else []
        if corrupted:
            raise RuntimeError(
                f"CIFAR-10 in {self.root / datasets.CIFAR10.base_folder}: {', '.join(corrupted)} missing or "
                f"failed the md5 check; delete the folder to download it again"
            )

    def _offline_hint(self, reason: str) -> str:
        return (
            f"{reason}. Offline, train on an ImageFolder copy instead: "
            f"--data.dataset imagefolder --data.root <folder with train/ and test/> "
            f"(an ImageFolder copy of CIFAR-10), or put the python batches (cifar-10-batches-py/) "
            f"in --data.root."
        )

    def _arrays(self, train: bool) -> tuple[Tensor, Tensor]:
        """Decoded ``(uint8 images (N, 3, 32, 32), int64 labels)``."""
        if self.dataset == "imagefolder":
            return _image_folder_arrays(self.root / ("train" if train else "test"), self.cache)
        try:
            data = _UncheckedCIFAR10(str(self.root), train=train, download=False)
        except (FileNotFoundError, RuntimeError) as error:
            raise FileNotFoundError(self._offline_hint(f"CIFAR-10 could not be read ({error})")) from error
        return torch.from_numpy(data.data).permute(0, 3, 1, 2).contiguous(), torch.tensor(data.targets)

    # --- splits and statistics -----------------------------------------------------------

    def split_indices(self, count: int) -> tuple[Tensor, Tensor]:
        """Deterministic (train, validation) indices of ``count`` training images."""
        val_count = round(self.val_size * count) if self.val_size < 1 else int(self.val_size)
        if not 0 < val_count < count:
            raise ValueError(
                f"val_size={self.val_size} leaves no training or no validation images of {count}"
            )
        order = torch.randperm(count, generator=torch.Generator().manual_seed(self.split_seed))
        return order[val_count:].sort().values, order[:val_count].sort().values

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        images, labels = self._arrays(train=True)
        if self.train_subset is not None:
            images, labels = images[: self.train_subset], labels[: self.train_subset]
        self.train_indices, self.val_indices = self.split_indices(len(labels))
        train_images = images[self.train_indices]
        pixels = train_images.transpose(0, 1).reshape(images.shape[1], -1).double()
        self.mean, self.std = pixels.mean(1).float(), pixels.std(1).float()  # per channel, 0..255 units
        if self.zca_epsilon is not None:  # on the GPU when there is one: an eigh of 3072 x 3072
            device = self._device()
            matrix = zca_whitening(
                train_images.to(device), self.mean.to(device), self.std.to(device), self.zca_epsilon
            )
            self.whitening = matrix.cpu()
        test_images, test_labels = self._arrays(train=False)
        self.splits = {
            "train": (train_images, labels[self.train_indices]),
            "val": (images[self.val_indices], labels[self.val_indices]),
            "test": (test_images, test_labels),
        }

    def test_names(self) -> list[str]:
        """What names each test image in a predictions file: its path under ``--data.root``
        (imagefolder), or ``test_batch[<row>]`` (the CIFAR-10 batch and row)."""
        if self.dataset == "imagefolder":
            folder = self.root / "test"
            return [
                str(Path(path).relative_to(self.root))
                for path, _ in datasets.ImageFolder(str(folder)).samples
            ]
        return [f"test_batch[{row}]" for row in range(len(self.splits["test"][1]))]

    # --- loaders -------------------------------------------------------------------------

    def _device(self) -> torch.device:
        return self.trainer.strategy.root_device if self.trainer is not None else torch.device("cpu")

    def _tensor_loader(self, split: str) -> TensorLoader:
        device = self._device()
        cached = getattr(self, "_on_device", {})
        if split not in cached or cached[split][0].device != device:
            images, labels = (t.to(device) for t in self.splits[split])
            if self.whitening is not None:
                images = whiten(images, self.mean.to(device), self.std.to(device), self.whitening.to(device))
            cached[split] = (images, labels)
            self._on_device = cached
        images, labels = cached[split]
        train = split == "train"
        trainer = self.trainer
        return TensorLoader(
            images,
            labels,
            self.mean.to(device),
            self.std.to(device),
            self.batch_size if train else self.eval_batch_size,
            train=train,
            crop_padding=self.crop_padding,
            flip=self.flip,
            seed=run_seed(),
            epoch=(lambda: trainer.current_epoch) if trainer is not None else (lambda: 0),
            rank=trainer.global_rank if trainer is not None else 0,
            world_size=trainer.world_size if trainer is not None else 1,
        )

    def _torchvision_dataset(self, train_images: bool, transform) -> torch.utils.data.Dataset:
        if self.dataset == "imagefolder":
            folder = self.root / ("train" if train_images else "test")
            return datasets.ImageFolder(str(folder), transform=transform)
        return _UncheckedCIFAR10(str(self.root), train=train_images, transform=transform)

    def _dataloader(self, split: str) -> torch.utils.data.DataLoader:
        train = split == "train"
        normalise = [T.ToTensor(), T.Normalize((self.mean / 255).tolist(), (self.std / 255).tolist())]
        augment = [T.RandomCrop(32, padding=self.crop_padding)] if train and self.crop_padding else []
        augment += [T.RandomHorizontalFlip()] if train and self.flip else []
        if self.whitening is None:  # crop and flip the PIL image, then normalise
            steps = augment + normalise
        else:  # as the tensor path: whiten, then crop and flip the whitened image
            steps = [*normalise, _Whiten(self.whitening), *augment]
        dataset = self._torchvision_dataset(split != "test", T.Compose(steps))
        if split != "test":  # the split's indices also address the full set (train_subset is a prefix)
            indices = self.train_indices if train else self.val_indices
            dataset = torch.utils.data.Subset(dataset, indices.tolist())
        sampler = None
        if train:
            dataset = _SeededImages(dataset, run_seed())
            sampler = _EpochShuffle(len(dataset), run_seed(), self._first_epoch)
        return torch.utils.data.DataLoader(
            dataset,
            batch_size=self.batch_size if train else self.eval_batch_size,
            sampler=sampler,
            # its own generator: the workers' base seed is then not drawn from the global one,
            # which the model's dropout uses (the images' draws are seeded per image)
            generator=torch.Generator().manual_seed(run_seed()),
            drop_last=train,
            num_workers=self.num_workers,
            persistent_workers=False,
            pin_memory=self._device().type == "cuda",
        )

    def _loader(self, split: str):
        return self._tensor_loader(split) if self.loader == "tensor" else self._dataloader(split)

    def train_dataloader(self):
        return self._loader("train")

    def val_dataloader(self):
        return self._loader("val")

    def test_dataloader(self):
        return self._loader("test")

    def predict_dataloader(self):
        return self._loader("test")
