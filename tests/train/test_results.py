"""``python -m train.results`` on synthetic run directories, and the ``train.run_configs`` driver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from train import results, run_configs
from train.results import curves, describe_model, find_runs, markdown_table

HEADER = (
    "epoch,lr-SGD/pg1,lr-SGD/pg2,step,test/acc,test/loss,"
    "train/acc,train/loss_epoch,train/loss_step,val/acc,val/loss"
)


def _metrics(val_acc: list[float], train_loss: list[float]) -> str:
    """A metrics.csv as Lightning's CSVLogger writes it for ``train.cli``: learning-rate rows
    without an epoch, step rows, one validation and one training-epoch row per epoch, a test row."""
    rows = [HEADER]
    for epoch, (acc, loss) in enumerate(zip(val_acc, train_loss, strict=True)):
        step = 10 * epoch + 9
        rows.append(f",0.05,0.05,{step - 9},,,,,,,")
        rows.append(f"{epoch},,,{step - 5},,,,,{loss + 0.1},,")
        rows.append(f"{epoch},,,{step},,,,,,{acc},1.5")
        rows.append(f"{epoch},,,{step},,,0.3,{loss},,,")
    rows.append(f"{len(val_acc)},,,{10 * len(val_acc)},0.41,1.6,,,,,")
    return "\n".join(rows) + "\n"


def _make_run(
    runs: Path, name: str, version: int, model: dict, test_acc: float, val_acc: list[float], **summary
) -> Path:
    path = runs / name / f"version_{version}"
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(yaml.safe_dump({"seed_everything": 0, "model": model}))
    (path / "metrics.csv").write_text(_metrics(val_acc, [2.0 - 0.1 * i for i in range(len(val_acc))]))
    summary = {
        "config": name,
        "device": "Test CPU (2 cores, 2 threads)",
        "accelerator": "cpu",
        "world_size": 1,
        "precision": "32-true",
        "backend": model.get("backend", "torchlayers"),
        "epochs": len(val_acc),
        "fit_s": 12.0 * len(val_acc),
        "test/acc": test_acc,
        "val/acc": val_acc[-1],
        **summary,
    }
    (path / "summary.json").write_text(json.dumps(summary))
    return path


@pytest.fixture
def runs(tmp_path) -> Path:
    runs = tmp_path / "runs"
    relu = {"hidden_sizes": [512], "activation": "relu"}
    _make_run(runs, "mlp2", 0, relu, 0.30, [0.2, 0.25])  # an older run of the same config
    _make_run(runs, "mlp2", 1, relu, 0.4567, [0.31, 0.38, 0.4412])
    _make_run(runs, "linear", 0, {"hidden_sizes": [], "loss": "multi_margin"}, 0.351, [0.3, 0.34])
    torch_twin = {"hidden_sizes": [512], "activation": "relu", "backend": "torch"}
    _make_run(runs, "twin", 0, torch_twin, 0.45, [0.4], precision="bf16-mixed", world_size=2)
    (runs / "unfinished" / "version_0").mkdir(parents=True)  # no summary.json: not a result
    return runs


def test_find_runs_takes_the_newest_version_of_each_name(runs):
    found = find_runs(runs)
    assert [(run.name, run.version) for run in found] == [("linear", 0), ("mlp2", 1), ("twin", 0)]
    assert found[1].summary["test/acc"] == 0.4567 and found[1].model["hidden_sizes"] == [512]
    every = find_runs(runs, all_versions=True)
    assert [(run.name, run.version) for run in every] == [
        ("linear", 0),
        ("mlp2", 0),
        ("mlp2", 1),
        ("twin", 0),
    ]
    assert [run.name for run in find_runs(runs, names=["twin", "linear"])] == ["twin", "linear"]


def test_find_runs_errors(runs, tmp_path):
    with pytest.raises(FileNotFoundError, match="unfinished"):
        find_runs(runs, names=["mlp2", "unfinished"])
    with pytest.raises(FileNotFoundError, match="no run directory"):
        find_runs(tmp_path / "nowhere")


def test_version_numbers_sort_numerically(tmp_path):
    for version in (2, 10, 9):
        _make_run(tmp_path, "mlp2", version, {"hidden_sizes": [8]}, version / 100, [0.1])
    assert find_runs(tmp_path)[0].version == 10  # not "version_9", the lexically greatest


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ({"hidden_sizes": []}, "`W1 x`"),
        ({"hidden_sizes": [512], "activation": "relu"}, "`W2 max(0, W1 x)` (512)"),
        (
            {"hidden_sizes": [512, 256, 128], "activation": ["relu", "relu", "tanh"]},
            "`W4 tanh(W3 max(0, W2 max(0, W1 x)))` (512-256-128)",
        ),
        (
            {"hidden_sizes": [64] * 4, "activation": ["relu", "relu", "tanh", "sigmoid"]},
            "`W5 σ(W4 tanh(W3 max(0, W2 max(0, W1 x))))` (64-64-64-64)",
        ),
        ({"hidden_sizes": [32], "activation": "maxout", "pieces": 3}, "`W2 maxout(W1 x)` (32, 3 pieces)"),
        ({"hidden_sizes": [8, 8], "activation": "elu"}, "`W3 elu(W2 elu(W1 x))` (8-8)"),
    ],
)
def test_describe_model_writes_the_lecture_nesting(model, expected):
    assert describe_model(model) == expected


def test_markdown_table(runs):
    table = markdown_table(find_runs(runs))
    lines = table.splitlines()
    assert lines[0].startswith(
        "| config | model | loss | backend | test acc | val acc | seeds | epochs | fit time"
    )
    assert set(lines[1].strip("|").split("|")) == {"---"}
    assert all(line.count("|") == lines[0].count("|") for line in lines)
    cells = {
        line.split(" | ")[0].lstrip("| "): [c.strip() for c in line.split("|")[1:-1]] for line in lines[2:]
    }
    assert cells["mlp2"] == [
        "mlp2",
        "`W2 max(0, W1 x)` (512)",
        "cross_entropy",
        "torchlayers",
        "45.7 %",
        "44.1 %",
        "1",
        "3",
        "36 s",
        "12 s",
        "Test CPU (2 cores, 2 threads)",
    ]
    assert cells["linear"][2] == "multi_margin" and cells["linear"][4] == "35.1 %"
    assert (
        cells["twin"][3] == "torch"
        and cells["twin"][-1] == "Test CPU (2 cores, 2 threads), bf16-mixed, 2 processes"
    )
    assert "mlp2/version_0" in markdown_table(find_runs(runs, all_versions=True), show_version=True)


def test_missing_values_show_as_dashes(tmp_path):
    path = _make_run(tmp_path, "partial", 0, {"hidden_sizes": [4]}, 0.5, [0.5])
    summary = json.loads((path / "summary.json").read_text())
    del summary["test/acc"], summary["fit_s"]  # fit interrupted before the test
    (path / "summary.json").write_text(json.dumps(summary))
    row = [c.strip() for c in markdown_table(find_runs(tmp_path)).splitlines()[2].split("|")[1:-1]]
    assert row[4] == "—" and row[8] == "—" and row[9] == "—" and row[5] == "50.0 %"


def test_curves_read_the_per_epoch_metrics(runs):
    data = curves(runs / "mlp2" / "version_1" / "metrics.csv")
    assert data["val/acc"] == [(0, 0.31), (1, 0.38), (2, 0.4412)]
    assert data["train/loss"] == [(0, 2.0), (1, 1.9), (2, pytest.approx(1.8))]  # the epoch mean, not steps
    assert [epoch for epoch, _ in data["train/acc"]] == [0, 1, 2]


def test_curves_of_a_resumed_run_keep_the_last_value_per_epoch(tmp_path):
    metrics = tmp_path / "metrics.csv"
    metrics.write_text(f"{HEADER}\n0,,,9,,,,,,0.2,1.9\n1,,,19,,,,,,0.3,1.8\n1,,,19,,,,,,0.35,1.7\n")
    assert curves(metrics)["val/acc"] == [(0, 0.2), (1, 0.35)]


def test_main_writes_the_table_and_a_png(runs, tmp_path, capsys):
    table, plot = tmp_path / "out" / "table.md", tmp_path / "out" / "curves.png"
    returned = results.main(
        [str(runs), "--output", str(table), "--plot", str(plot), "--names", "mlp2", "linear"]
    )
    assert table.read_text() == returned and returned.splitlines()[2].startswith("| mlp2 |")
    png = plot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    results.main([str(runs)])
    assert "| twin |" in capsys.readouterr().out


def test_driver_resolves_configs_in_the_lecture_order():
    configs = run_configs.resolve_configs([], exclude=["best"])
    names = [path.stem for path in configs]
    assert "best" not in names and {"linear", "mlp2", "mlp5", "act_maxout", "mlp2_hinge"} <= set(names)
    assert names.index("linear") < names.index("mlp2") < names.index("mlp5") < names.index("act_elu")
    assert [p.stem for p in run_configs.resolve_configs(["mlp3", "linear"])] == ["mlp3", "linear"]
    with pytest.raises(FileNotFoundError, match=r"no config .*nonexistent"):
        run_configs.resolve_configs(["nonexistent"])


def test_driver_command_passes_the_overrides(tmp_path):
    config = run_configs.CONFIGS / "mlp2.yaml"
    line = run_configs.command(config, tmp_path, ["--data.dataset=imagefolder", "--data.root=somewhere"])
    assert line[1:4] == ["-m", "train", "fit"] and "--test_after_fit=true" in line
    assert Path(line[4].split("=", 1)[1]).resolve() == config
    assert f"--trainer.default_root_dir={tmp_path}" in line and line[-2:] == [
        "--data.dataset=imagefolder",
        "--data.root=somewhere",
    ]


@pytest.mark.slow
def test_driver_trains_each_config_and_writes_the_table(fake_image_folder, tmp_path, capsys):
    tiny, broken = tmp_path / "tiny.yaml", tmp_path / "broken.yaml"
    tiny.write_text("model:\n  hidden_sizes: [8]\n  activation: tanh\ntrainer:\n  max_epochs: 1\n")
    broken.write_text("model:\n  activation: no_such_activation\n")
    runs = tmp_path / "runs"
    overrides = [
        "--data.dataset=imagefolder",
        f"--data.root={fake_image_folder}",
        "--data.val_size=10",
        "--data.batch_size=16",
        "--trainer.enable_model_summary=false",
    ]
    exit_code = run_configs.main([str(tiny), str(broken), "--runs", str(runs), "--", *overrides])
    out = capsys.readouterr().out
    assert exit_code == 1 and "broken ... FAILED" in out and "failed: broken" in out
    assert "no_such_activation" in (runs / "broken.log").read_text()
    summary = json.loads((runs / "tiny" / "version_0" / "summary.json").read_text())
    assert summary["epochs"] == 1 and 0 <= summary["test/acc"] <= 1  # --test_after_fit true
    table = (runs / "results.md").read_text()
    assert table.splitlines()[2].startswith("| tiny | `W2 tanh(W1 x)` (8) |") and "broken" not in table
    assert (runs / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_seeds_are_averaged_as_mean_and_spread(tmp_path):
    relu = {"hidden_sizes": [8], "activation": "relu"}
    for version, (seed, acc) in enumerate([(0, 0.40), (1, 0.44), (2, 0.48), (0, 0.42)]):
        _make_run(tmp_path, "mlp2", version, relu, acc, [acc], seed=seed)  # version 3 reruns seed 0
    _make_run(tmp_path, "mlp2", 4, {"hidden_sizes": [16]}, 0.9, [0.9], seed=5)  # other options
    _make_run(tmp_path, "mlp2", 5, relu, 0.5, [0.5], seed=3, subcommand="test")  # an evaluation
    (run,) = find_runs(tmp_path)
    assert run.version == 4 and [r.version for r in run.seeds] == [4]  # the newest options only
    (tmp_path / "mlp2" / "version_4" / "summary.json").unlink()
    (run,) = find_runs(tmp_path)
    assert run.version == 3 and [(r.seed, r.version) for r in run.seeds] == [(0, 3), (1, 1), (2, 2)]
    row = [c.strip() for c in markdown_table([run]).splitlines()[2].split("|")[1:-1]]
    # mean and sample standard deviation of 42, 44, 48 %
    assert row[4] == "44.7 ± 3.1 %" and row[6] == "3"


def test_driver_runs_each_config_once_per_seed(capsys):
    assert run_configs.main(["linear", "mlp2", "--seeds", "3", "--dry_run", "--", "--data.root=x"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and [line.split("--seed_everything=")[1].split()[0] for line in lines] == list(
        "012012"
    )
    assert all(line.endswith("--data.root=x") for line in lines)
    with pytest.raises(SystemExit):
        run_configs.main(["linear", "--seeds", "0", "--dry_run"])
