"""The data module: the CIFAR-10 files, the split, the statistics and both loaders."""

from __future__ import annotations

import os
import re
import urllib.error
import warnings
from pathlib import Path

import pytest
import torch
from torchvision import datasets

from tests.train._helpers import TEST_IMAGES, TRAIN_PER_BATCH, make_fake_image_folder
from train.data import CIFAR10DataModule, TensorLoader, random_crop_flip, whiten, zca_whitening

# An ImageFolder copy of the offline subset (5,170 training, 1,017 test images), where one exists.
SUBSET = Path(os.environ.get("CIFAR10_5K", "/nonexistent"))


def _module(root, **kwargs) -> CIFAR10DataModule:
    return CIFAR10DataModule(str(root), **{"val_size": 20, "batch_size": 16, "eval_batch_size": 32, **kwargs})


def test_cifar10_files_are_read_in_the_official_format(fake_cifar10):
    data = _module(fake_cifar10)
    data.prepare_data()
    data.setup("fit")
    reference = datasets.CIFAR10(str(fake_cifar10), train=True)  # torchvision's own reader
    images, labels = data.splits["train"]
    assert len(labels) == 5 * TRAIN_PER_BATCH - 20 and len(data.splits["val"][1]) == 20
    assert len(data.splits["test"][1]) == TEST_IMAGES
    first = int(data.train_indices[0])
    expected = torch.from_numpy(reference.data[first]).permute(2, 0, 1)
    assert torch.equal(images[0], expected) and int(labels[0]) == reference.targets[first]


def test_prepare_data_rejects_a_corrupted_file(fake_cifar10):
    batch = fake_cifar10 / "cifar-10-batches-py" / "data_batch_3"
    batch.write_bytes(batch.read_bytes()[:-1] + b"\0")
    with pytest.raises(RuntimeError, match="md5"):
        _module(fake_cifar10, download=False).prepare_data()
    _module(fake_cifar10, download=False, check_integrity=False).prepare_data()  # opt-out


def test_a_failed_download_says_how_to_train_offline(tmp_path, monkeypatch):
    def offline(self):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(datasets.CIFAR10, "download", offline)
    with pytest.raises(RuntimeError, match=re.escape("--data.dataset imagefolder --data.root")):
        _module(tmp_path / "empty").prepare_data()
    with pytest.raises(FileNotFoundError, match=re.escape("--data.dataset imagefolder --data.root")):
        _module(tmp_path / "empty", download=False).prepare_data()


def test_split_is_deterministic_and_disjoint(fake_cifar10):
    first, second = _module(fake_cifar10, val_size=0.25), _module(fake_cifar10, val_size=0.25)
    train, val = first.split_indices(120)
    assert torch.equal(train, second.split_indices(120)[0]) and len(val) == 30
    assert set(train.tolist()).isdisjoint(val.tolist()) and len(train) + len(val) == 120
    assert not torch.equal(val, _module(fake_cifar10, val_size=0.25, split_seed=1).split_indices(120)[1])


def test_normalisation_uses_training_statistics_only(fake_cifar10):
    data = _module(fake_cifar10)
    data.setup("fit")
    images = data.splits["train"][0].double()
    assert torch.allclose(data.mean.double(), images.mean((0, 2, 3)), atol=1e-4)
    loader = TensorLoader(*data.splits["train"], data.mean, data.std, 200, train=False)
    batch, _ = next(iter(loader))
    assert torch.allclose(batch.mean((0, 2, 3)), torch.zeros(3), atol=1e-4)
    assert torch.allclose(batch.std((0, 2, 3)), torch.ones(3), atol=1e-3)


def test_tensor_and_dataloader_paths_agree_without_augmentation(fake_cifar10):
    tensor = _module(fake_cifar10, crop_padding=0, flip=False)
    native = _module(fake_cifar10, crop_padding=0, flip=False, loader="dataloader", num_workers=0)
    for data in (tensor, native):
        data.setup("fit")
    for split in ("val", "test"):
        loader = tensor._loader(split)
        tensor_batches = list(loader)
        native_batches = list(native._loader(split))
        assert len(loader) == len(tensor_batches) == len(native_batches)
        for (x, y), (x_ref, y_ref) in zip(tensor_batches, native_batches, strict=True):
            assert torch.equal(y, y_ref)
            torch.testing.assert_close(x, x_ref, atol=1e-5, rtol=1e-5)


def test_zca_whitening_decorrelates_and_stays_symmetric():
    generator = torch.Generator().manual_seed(0)
    mixing = torch.randn(48, 48, generator=generator) / 4 + torch.eye(48)  # correlated pixels
    images = (torch.randn(4000, 48, generator=generator) @ mixing * 40 + 128).clamp(0, 255).round()
    images = images.to(torch.uint8).view(-1, 3, 4, 4)
    mean = images.double().mean((0, 2, 3)).float()
    std = images.double().transpose(0, 1).flatten(1).std(1).float()
    matrix = zca_whitening(images, mean, std, epsilon=1e-5)
    torch.testing.assert_close(matrix, matrix.T, atol=1e-4, rtol=0)  # ZCA: W = C^(-1/2), symmetric
    white = whiten(images, mean, std, matrix, chunk=1000).flatten(1).double()
    covariance = torch.cov(white.T)
    torch.testing.assert_close(covariance, torch.eye(48, dtype=torch.float64), atol=2e-2, rtol=0)
    # epsilon damps the directions of small variance: eigenvalues λ / (λ + ε) < 1
    damped = whiten(images, mean, std, zca_whitening(images, mean, std, epsilon=1.0)).flatten(1).double()
    eigenvalues = torch.linalg.eigvalsh(torch.cov(damped.T))
    assert eigenvalues.max() < 1 and eigenvalues.min() > 0


def test_zca_tensor_and_dataloader_paths_agree(fake_cifar10):
    options = {"crop_padding": 0, "flip": False, "zca_epsilon": 0.5}
    tensor = _module(fake_cifar10, **options)
    native = _module(fake_cifar10, **options, loader="dataloader", num_workers=0)
    for data in (tensor, native):
        data.setup("fit")
    assert torch.equal(tensor.whitening, native.whitening)
    for split in ("val", "test"):  # unshuffled; both whiten with the training split's matrix
        for (x, y), (x_ref, y_ref) in zip(tensor._loader(split), native._loader(split), strict=True):
            assert torch.equal(y, y_ref)
            torch.testing.assert_close(x, x_ref, atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="zca_epsilon"):
        _module(fake_cifar10, zca_epsilon=0.0)


def test_random_crop_flip_is_a_padded_translation_or_mirror():
    images = torch.randint(0, 256, (64, 3, 8, 8), dtype=torch.uint8)
    out = random_crop_flip(images, 2, True, torch.Generator().manual_seed(0))
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2))
    for image, result in zip(padded, out, strict=True):
        views = [image[:, i : i + 8, j : j + 8] for i in range(5) for j in range(5)]
        assert any(torch.equal(result, v) or torch.equal(result, v.flip(-1)) for v in views)
    assert not torch.equal(out, images)  # something moved
    again = random_crop_flip(images, 2, True, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)


def test_training_loader_shards_one_permutation_across_ranks(fake_cifar10):
    data = _module(fake_cifar10, crop_padding=0, flip=False)
    data.setup("fit")
    images, labels = data.splits["train"]
    shards = [
        TensorLoader(
            images, torch.arange(len(labels)), data.mean, data.std, 8, train=True, rank=r, world_size=2
        )
        for r in range(2)
    ]
    seen = [torch.cat([y for _, y in shard]) for shard in shards]
    assert len(shards[0]) == len(shards[1]) == (len(labels) // 2) // 8
    assert set(seen[0].tolist()).isdisjoint(seen[1].tolist())


def test_epochs_reshuffle_deterministically(fake_cifar10):
    data = _module(fake_cifar10)
    data.setup("fit")
    epoch = [0]

    def order():
        loader = TensorLoader(
            *data.splits["train"],
            data.mean,
            data.std,
            8,
            train=True,
            crop_padding=4,
            flip=True,
            epoch=lambda: epoch[0],
        )
        return torch.cat([x for x, _ in loader])

    first = order()
    assert torch.equal(first, order())
    epoch[0] = 1
    assert not torch.equal(first, order())


def _folder_listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_image_folder_is_decoded_once_and_cached_in_the_cache_directory(fake_image_folder, cache_home):
    listing = _folder_listing(fake_image_folder)
    data = _module(fake_image_folder, dataset="imagefolder", val_size=10)
    data.prepare_data()
    assert _folder_listing(fake_image_folder) == listing  # nothing written into the user's data
    cached = sorted(p.name for p in cache_home.iterdir())
    assert len(cached) == 2 and all(name.startswith("imagefolder-") for name in cached)
    data.setup("fit")
    assert data.splits["train"][0].shape == (50, 3, 32, 32) and len(data.splits["test"][1]) == 20
    # another folder of the same name gets its own entry: the key is the path and the contents
    other = fake_image_folder.parent / "elsewhere"
    make_fake_image_folder(other, seed=1)
    _module(other, dataset="imagefolder", val_size=10).prepare_data()
    assert len(list(cache_home.iterdir())) == 4


def test_a_corrupt_cache_is_decoded_again_with_a_warning(fake_image_folder, cache_home):
    _module(fake_image_folder, dataset="imagefolder", val_size=10).prepare_data()
    for entry in cache_home.iterdir():
        entry.write_bytes(entry.read_bytes()[:1000])  # truncated, as by a full disk or a kill
    data = _module(fake_image_folder, dataset="imagefolder", val_size=10)
    with pytest.warns(UserWarning, match="unreadable cache"):
        data.setup("fit")
    assert data.splits["train"][0].shape == (50, 3, 32, 32)


def test_a_failed_cache_write_warns_and_leaves_no_file(fake_image_folder, cache_home, monkeypatch):
    def full_disk(*args, **kwargs):
        raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")

    monkeypatch.setattr(torch, "save", full_disk)
    data = _module(fake_image_folder, dataset="imagefolder", val_size=10)
    with pytest.warns(UserWarning, match="could not cache"):
        data.setup("fit")
    assert data.splits["train"][0].shape == (50, 3, 32, 32)
    assert list(cache_home.iterdir()) == [] and not any(
        p.suffix == ".tmp" for p in fake_image_folder.rglob("*")
    )


def test_a_truncated_or_wrong_size_image_is_named(fake_image_folder):
    image = next((fake_image_folder / "train" / "cat").iterdir())
    original = image.read_bytes()
    image.write_bytes(original[: len(original) // 2])
    with pytest.raises(OSError, match=re.escape(str(image))):
        _module(fake_image_folder, dataset="imagefolder", cache=False).prepare_data()
    from PIL import Image

    Image.new("RGB", (16, 32)).save(image)
    with pytest.raises(ValueError, match=re.escape(f"{image}: a (3, 32, 16) image")):
        _module(fake_image_folder, dataset="imagefolder", cache=False).prepare_data()


def test_unchecked_cifar10_batches_warn_that_pickles_can_run_code(fake_cifar10):
    with pytest.warns(UserWarning, match="unpickling a file from an untrusted source can run code"):
        _module(fake_cifar10, check_integrity=False).prepare_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        _module(fake_cifar10).prepare_data()


@pytest.mark.parametrize(
    ("option", "value"),
    [("batch_size", 0), ("batch_size", -4), ("eval_batch_size", 0), ("val_size", 0), ("crop_padding", -1)],
)
def test_bad_sizes_name_the_option(fake_cifar10, option, value):
    with pytest.raises(ValueError, match=re.escape(f"--data.{option}")):
        _module(fake_cifar10, **{option: value})


def test_missing_image_folder_says_what_to_pass(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape("--data.root")):
        _module(tmp_path, dataset="imagefolder").prepare_data()


@pytest.mark.skipif(not SUBSET.is_dir(), reason="no offline subset: set CIFAR10_5K to its folder")
def test_offline_subset_loads():
    data = CIFAR10DataModule(str(SUBSET), dataset="imagefolder", val_size=500)
    data.prepare_data()
    data.setup("fit")
    assert len(data.splits["train"][1]) == 5170 - 500 and len(data.splits["test"][1]) == 1017
