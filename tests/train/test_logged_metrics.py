"""The figures a run writes to ``metrics.csv`` are those of the batches it trained and validated
on: recomputed here from the loss module's own inputs and outputs, step by step. And the
progress bar's default redraw rate."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest

from tests.train.test_cli import REPO, _args
from train.cli import main


def test_metrics_csv_holds_each_epochs_loss_and_accuracy(fake_cifar10, tmp_path):
    runs = tmp_path / "runs"
    args = _args(fake_cifar10, runs, "--run_name=metrics", "--trainer.max_epochs=3")[1:]  # no subcommand
    cli = main(args, run=False)  # unrun: the hook below goes in before fit
    trainer = cli.trainer
    seen = defaultdict(list)  # (split, epoch): [(loss, correct, count) of every batch]

    def record(criterion, inputs, loss) -> None:
        if trainer.sanity_checking:
            return
        scores, labels = inputs
        split = "train" if criterion.training else "val"
        batch = (float(loss.detach()), int((scores.argmax(-1) == labels).sum()), len(labels))
        seen[split, trainer.current_epoch].append(batch)

    cli.model.criterion.register_forward_hook(record)
    trainer.fit(cli.model, datamodule=cli.datamodule)

    with open(runs / "metrics" / "version_0" / "metrics.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    logged_steps = [float(row["train/loss_step"]) for row in rows if row["train/loss_step"]]
    epochs = {int(row["epoch"]): row for row in rows if row["train/acc"]}
    validations = {int(row["epoch"]): row for row in rows if row["val/acc"]}
    assert sorted(epochs) == sorted(validations) == [0, 1, 2]
    # log_every_n_steps=1: every step's loss, in order
    steps = [loss for epoch in range(3) for loss, _, _ in seen["train", epoch]]
    assert len(steps) == 3 * 6  # 100 training images, batches of 16, the last incomplete one dropped
    assert logged_steps == pytest.approx(steps, rel=1e-6)
    for epoch in range(3):
        for split, row in (("train", epochs[epoch]), ("val", validations[epoch])):
            batches = seen[split, epoch]
            count = sum(n for _, _, n in batches)
            accuracy = sum(correct for _, correct, _ in batches) / count
            loss = sum(loss * n for loss, _, n in batches) / count  # the mean over images
            loss_key = "train/loss_epoch" if split == "train" else "val/loss"
            assert float(row[f"{split}/acc"]) == pytest.approx(accuracy, rel=1e-6), (split, epoch)
            assert float(row[loss_key]) == pytest.approx(loss, rel=1e-5), (split, epoch)
    assert float(trainer.callback_metrics["train/acc"]) == pytest.approx(float(epochs[2]["train/acc"]))


def test_the_progress_bar_redraws_every_tenth_step_and_can_be_turned_off(tmp_path):
    config = f"--config={REPO / 'train' / 'configs' / 'linear.yaml'}"
    cli = main([config, f"--trainer.default_root_dir={tmp_path}"], run=False)
    assert cli.trainer.progress_bar_callback.refresh_rate == 10
    quiet = main(
        [config, f"--trainer.default_root_dir={tmp_path}", "--trainer.enable_progress_bar=false"], run=False
    )
    assert quiet.trainer.progress_bar_callback is None
