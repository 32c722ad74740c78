"""Suite-wide setup: a fixed seed per test, and ``cuda``-marked tests skipped without a GPU."""

from __future__ import annotations

import pytest
import torch


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    no_gpu = pytest.mark.skip(reason="needs a CUDA device; none is available")
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(no_gpu)


@pytest.fixture(autouse=True)
def _seed():
    """Every test sees the same random numbers, whatever runs before it."""
    torch.manual_seed(0)
