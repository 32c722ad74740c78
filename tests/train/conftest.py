from __future__ import annotations

import pytest
from torchvision import datasets

from tests.train._helpers import make_fake_cifar10, make_fake_image_folder


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    """Every test's decoded-data cache in its own folder, never the user's ~/.cache."""
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home / "torchlayers"


@pytest.fixture
def fake_cifar10(tmp_path, monkeypatch):
    """A fake CIFAR-10 in the official layout whose md5s torchvision's integrity check accepts:
    the md5 table is patched to the fake files' sums, so the real check runs on them."""
    root = tmp_path / "cifar"
    md5 = make_fake_cifar10(root)
    monkeypatch.setattr(
        datasets.CIFAR10, "train_list", [[f"data_batch_{i}", md5[f"data_batch_{i}"]] for i in range(1, 6)]
    )
    monkeypatch.setattr(datasets.CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(datasets.CIFAR10, "meta", {**datasets.CIFAR10.meta, "md5": md5["batches.meta"]})
    return root


@pytest.fixture
def fake_image_folder(tmp_path):
    root = tmp_path / "folder"
    make_fake_image_folder(root)
    return root
