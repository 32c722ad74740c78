"""Smoke test of ``python -m benchmarks --only loop``: the four loops run side by side on tiny
synthetic data, the CLI's fit ends, and the report renders their table."""

from __future__ import annotations

import json

from benchmarks import loop, report
from benchmarks.__main__ import main


def test_quick_loop_run_times_four_loops_and_renders(tmp_path):
    result = main(["--device", "cpu", "--quick", "--only", "loop", "--output-dir", str(tmp_path)])
    (saved,) = tmp_path.glob("*-cpu-quick.json")
    record = json.loads(saved.read_text())["loop"]
    assert record == json.loads(json.dumps(result["loop"]))
    # 1,200 images: 120 held out for validation, 1,080 in batches of 256 (the last one dropped)
    assert (record["train_images"], record["val_images"], record["steps_per_epoch"]) == (1080, 120, 4)
    assert set(record["per_step_s"]) == set(loop.NAMES)
    assert all(seconds > 0 for seconds in record["per_step_s"].values())
    assert record["epoch"]["reference"] == loop.LEAN and record["epoch"]["ratio"] > 0
    # every epoch of the CLI's fit was let through and split into its parts
    assert set(record["cli_split_s"]) == {"training_steps_s", "validation_s", "after_validation_s"}
    assert {"train/loss_epoch", "train/acc", "val/loss", "val/acc"} <= set(record["cli"]["final_metrics"])
    assert 0 <= record["lean_final_metrics"]["train/acc"] <= 1
    assert record["environment"]["device_type"] == "cpu"  # its own: an --only loop run is merged
    assert "ModelCheckpoint" in record["cli"]["callbacks"]

    markdown = "\n".join(report._loop_table(result))
    assert "| lean loop (by hand) |" in markdown and "| 1 (reference) |" in markdown
    assert "Target: the CLI's epoch ≤ 1.50× the lean loop's:" in markdown
