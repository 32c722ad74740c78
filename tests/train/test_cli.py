"""``python -m train``: fit / validate / test / predict on a tiny fake CIFAR-10, resuming, the
run directory, bf16, DDP on CPU and torch.compile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from train.cli import main

REPO = Path(__file__).resolve().parents[2]
BACKEND = "torchlayers"


def _args(root: Path, runs: Path, *extra: str, subcommand: str = "fit") -> list[str]:
    return [
        subcommand,
        f"--data.root={root}",
        "--data.val_size=20",
        "--data.batch_size=16",
        "--data.eval_batch_size=16",
        f"--trainer.default_root_dir={runs}",
        "--trainer.max_epochs=2",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        "--trainer.log_every_n_steps=1",
        "--model.hidden_sizes=[32]",
        "--model.dropout=0.2",
        f"--model.backend={BACKEND}",
        "--model.lr=0.05",
        *extra,
    ]


def _state(checkpoint: Path) -> dict[str, torch.Tensor]:
    return torch.load(checkpoint, weights_only=False, map_location="cpu")["state_dict"]


def test_fit_then_validate_test_and_predict(fake_cifar10, tmp_path):
    runs = tmp_path / "runs"
    fit = main(_args(fake_cifar10, runs, "--run_name=tiny", "--test_after_fit=true"))
    run = runs / "tiny" / "version_0"
    checkpoints = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert "last.ckpt" in checkpoints and any(name.startswith("best-") for name in checkpoints)
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["model"]["backend"] == BACKEND and config["data"]["val_size"] == 20
    header = (run / "metrics.csv").read_text().splitlines()[0].split(",")
    for key in (
        "train/loss_step",
        "train/loss_epoch",
        "train/acc",
        "val/loss",
        "val/acc",
        "test/loss",
        "test/acc",
    ):
        assert key in header
    summary = json.loads((run / "summary.json").read_text())
    assert summary["epochs"] == 2 and summary["accelerator"] == "cpu" and 0 <= summary["test/acc"] <= 1
    assert fit.trainer.callback_metrics["test/acc"] == summary["test/acc"]

    last = str(run / "checkpoints" / "last.ckpt")
    tested = main(_args(fake_cifar10, runs, f"--ckpt_path={last}", "--run_name=tiny-test", subcommand="test"))
    assert float(tested.trainer.callback_metrics["test/acc"]) == pytest.approx(summary["test/acc"])
    validated = main(_args(fake_cifar10, runs, f"--ckpt_path={last}", "--run_name=v", subcommand="validate"))
    assert 0 <= float(validated.trainer.callback_metrics["val/acc"]) <= 1
    predicted = main(_args(fake_cifar10, runs, f"--ckpt_path={last}", "--run_name=p", subcommand="predict"))
    predictions = torch.cat(predicted.trainer.predict_loop.predictions)
    assert predictions.shape == (40,) and predictions.dtype == torch.int64


def test_resume_from_last_equals_the_uninterrupted_run(fake_cifar10, tmp_path):
    runs = tmp_path / "runs"
    main(_args(fake_cifar10, runs, "--run_name=straight", "--trainer.max_epochs=3"))
    interrupt = tmp_path / "interrupt.yaml"
    stop = {"class_path": "tests.train._helpers.StopAfter", "init_args": {"epochs": 1}}
    interrupt.write_text(yaml.safe_dump({"trainer": {"callbacks": [stop]}}))
    main(
        [*_args(fake_cifar10, runs, "--run_name=resumed", "--trainer.max_epochs=3"), f"--config={interrupt}"]
    )
    interrupted = _state(runs / "resumed" / "version_0" / "checkpoints" / "last.ckpt")
    main(_args(fake_cifar10, runs, "--run_name=resumed", "--trainer.max_epochs=3", "--ckpt_path=last"))

    straight = _state(runs / "straight" / "version_0" / "checkpoints" / "last.ckpt")
    resumed = _state(runs / "resumed" / "version_0" / "checkpoints" / "last.ckpt")
    assert not (runs / "resumed" / "version_1").exists()  # continued in the same directory
    assert straight.keys() == resumed.keys()
    assert any(not torch.equal(straight[k], interrupted[k]) for k in straight)  # it did train on
    for key in straight:
        assert torch.equal(straight[key], resumed[key]), key
    epochs = {
        line.split(",")[0]
        for line in (runs / "resumed" / "version_0" / "metrics.csv").read_text().splitlines()
    }
    assert {"0", "1", "2"} <= epochs  # the resumed run appended to the interrupted run's log


def test_bf16_mixed_precision_trains(fake_cifar10, tmp_path):
    cli = main(
        _args(fake_cifar10, tmp_path / "runs", "--trainer.precision=bf16-mixed", "--trainer.max_epochs=1")
    )
    assert torch.isfinite(cli.trainer.callback_metrics["train/loss_epoch"])


@pytest.mark.parametrize("config", sorted((REPO / "train" / "configs").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_config_builds(config, tmp_path):
    cli = main([f"--config={config}", f"--trainer.default_root_dir={tmp_path}"], run=False)
    scores = cli.model(torch.zeros(2, 3, 32, 32))
    assert scores.shape == (2, 10) and cli.model.hparams.backend == "torchlayers"


def _run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "train", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_ddp_on_cpu_with_two_processes(fake_cifar10, tmp_path):
    runs = tmp_path / "runs"
    result = _run_cli(
        *_args(fake_cifar10, runs, "--run_name=ddp", "--test_after_fit=true", "--data.check_integrity=false"),
        "--trainer.accelerator=cpu",
        "--trainer.strategy=ddp",
        "--trainer.devices=2",
    )
    assert result.returncode == 0, result.stderr[-4000:]
    summary = json.loads((runs / "ddp" / "version_0" / "summary.json").read_text())
    assert summary["world_size"] == 2 and 0 <= summary["test/acc"] <= 1


@pytest.mark.slow
def test_compiled_model_trains(fake_cifar10, tmp_path):
    cli = main(_args(fake_cifar10, tmp_path / "runs", "--model.compile=true", "--trainer.max_epochs=1"))
    assert torch.isfinite(cli.trainer.callback_metrics["train/loss_epoch"])
    assert all(not key.startswith("net._orig_mod") for key in cli.model.state_dict())
