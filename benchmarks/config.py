"""What a benchmark run measures: device, sizes and repeat counts, with per-device defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Config:
    device: torch.device
    quick: bool = False
    # Timed rounds per comparison (each round times every candidate once, in rotating order).
    # 31: with 15, a large op's fwd+bwd ratio moved by up to 0.2 between runs on a shared VM.
    rounds: int = 31
    # Each timed block repeats the call until it lasts at least this long.
    min_block_s: float = 0.02
    # "small" is bound by Python and launch overhead, "large" by memory bandwidth.
    small_shape: tuple[int, int] = (64, 256)
    large_numel: int = 4 * 2**20
    # Linear and Maxout at "large": (rows, features), square weight; compute bound.
    linear_large: tuple[int, int] = (1024, 1024)
    mlp_sizes: tuple[int, ...] = (3072, 1024, 1024, 10)
    mlp_batch: int = 512
    # A CPU step (about 50 ms) is one call per timed block, so each round's ratio is of single
    # steps, whose IQR is ±4 % on a shared 2-core VM: 101 rounds put the median within about
    # 1 % run to run (the 2 % compiled target; 10 rounds gave 0.98 to 1.03 for identical graphs).
    mlp_rounds: int = 101
    # The same step at sizes where the arithmetic is negligible: what remains is Python and
    # dispatch overhead, the regime of the eager CUDA step (a GPU finishes the big one's math
    # faster than the host issues it).
    mlp_host_sizes: tuple[int, ...] = (64, 32, 32, 10)
    mlp_host_batch: int = 8
    # Its steps are short and its ratio is the noisiest (Python time moves with the machine's
    # load), so it gets more rounds: about 6 s on a CPU.
    mlp_host_rounds: int = 101
    compile: bool = True
    # The training-loop benchmark: synthetic CIFAR-sized uint8 images (50,000 as CIFAR-10's
    # training files) and interleaved rounds, each one epoch of every loop (about 6 s on a CPU).
    loop_images: int = 50_000
    loop_rounds: int = 21
    loop_clock: str = "wall"  # or "cpu" (see benchmarks.loop.CLOCKS)
    autocast_dtypes: tuple[torch.dtype, ...] = field(default=(torch.float32, torch.bfloat16))

    @classmethod
    def for_device(cls, device: torch.device, quick: bool = False) -> Config:
        if quick:
            return cls(
                device=device,
                quick=True,
                rounds=3,
                min_block_s=0.001,
                small_shape=(8, 16),
                large_numel=2**14,
                linear_large=(32, 64),
                mlp_sizes=(48, 32, 32, 10),
                mlp_batch=16,
                mlp_rounds=2,
                mlp_host_rounds=2,
                compile=False,
                loop_images=1200,
                loop_rounds=2,
            )
        if device.type == "cuda":
            return cls(
                device=device,
                rounds=31,
                min_block_s=0.01,
                large_numel=64 * 2**20,
                linear_large=(65536, 1024),
                mlp_rounds=31,
            )
        return cls(device=device)

    def as_dict(self) -> dict:
        return {
            "device": str(self.device),
            "quick": self.quick,
            "rounds": self.rounds,
            "min_block_s": self.min_block_s,
            "small_shape": list(self.small_shape),
            "large_numel": self.large_numel,
            "linear_large": list(self.linear_large),
            "mlp_sizes": list(self.mlp_sizes),
            "mlp_batch": self.mlp_batch,
            "mlp_rounds": self.mlp_rounds,
            "mlp_host_sizes": list(self.mlp_host_sizes),
            "mlp_host_batch": self.mlp_host_batch,
            "mlp_host_rounds": self.mlp_host_rounds,
            "compile": self.compile,
            "loop_images": self.loop_images,
            "loop_rounds": self.loop_rounds,
            "loop_clock": self.loop_clock,
            "autocast_dtypes": [str(dtype).removeprefix("torch.") for dtype in self.autocast_dtypes],
        }
