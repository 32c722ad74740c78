"""``python -m train``: fit / validate / test / predict on a tiny fake CIFAR-10, resuming, the
run directory, bf16, DDP on CPU and torch.compile."""

from __future__ import annotations

import contextlib
import json
import os
import re
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
    predictions = torch.cat([batch["class"] for batch in predicted.trainer.predict_loop.predictions])
    assert predictions.shape == (40,) and predictions.dtype == torch.int64


def _callbacks_config(path: Path, *callbacks: tuple[str, dict]) -> Path:
    """A config file adding the ``tests.train._helpers`` callbacks ``(name, init_args)``."""
    entries = [{"class_path": f"tests.train._helpers.{name}", "init_args": args} for name, args in callbacks]
    path.write_text(yaml.safe_dump({"trainer": {"callbacks": entries}}))
    return path


@pytest.mark.parametrize(
    "loader",
    [
        [],
        ["--data.loader=dataloader", "--data.num_workers=0"],
        ["--data.loader=dataloader", "--data.num_workers=2"],
    ],
    ids=["tensor", "dataloader-main-process", "dataloader-2-workers"],
)
def test_resume_from_last_equals_the_uninterrupted_run(fake_cifar10, tmp_path, loader):
    runs = tmp_path / "runs"
    main(_args(fake_cifar10, runs, "--run_name=straight", "--trainer.max_epochs=3", *loader))
    interrupt = _callbacks_config(tmp_path / "interrupt.yaml", ("StopAfter", {"epochs": 1}))
    resumed_args = _args(fake_cifar10, runs, "--run_name=resumed", "--trainer.max_epochs=3", *loader)
    main([*resumed_args, f"--config={interrupt}"])
    interrupted = _state(runs / "resumed" / "version_0" / "checkpoints" / "last.ckpt")
    main([*resumed_args, "--ckpt_path=last"])

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


# --- checkpoints are data ----------------------------------------------------------------------


class _Payload:
    """Unpickling this creates the folder ``marker``: what a hostile checkpoint could do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.makedirs, (str(self.marker),))


def test_a_checkpoint_url_is_loaded_as_data_only(fake_cifar10, tmp_path, monkeypatch):
    import functools
    import http.server
    import pickle
    import threading

    served, marker = tmp_path / "served", tmp_path / "the-payload-ran"
    served.mkdir()
    torch.save({"state_dict": {}, "payload": _Payload(marker)}, served / "hostile.ckpt")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))  # torch.hub's download folder
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hostile.ckpt"
    try:
        with pytest.raises(pickle.UnpicklingError, match="weights_only=True"):
            main(_args(fake_cifar10, tmp_path / "runs", f"--ckpt_path={url}", subcommand="test"))
    finally:
        server.shutdown()
    assert not marker.exists()
    with pytest.raises(ValueError, match="weights_only"):
        main(
            _args(
                fake_cifar10,
                tmp_path / "runs",
                "--ckpt_path=x.ckpt",
                "--weights_only=false",
                subcommand="test",
            )
        )


# --- evaluations ---------------------------------------------------------------------------------


def test_last_and_best_evaluate_the_newest_fit_run(fake_cifar10, tmp_path):
    runs = tmp_path / "runs"
    main(_args(fake_cifar10, runs, "--run_name=tiny", "--trainer.max_epochs=1"))  # an older run
    main(_args(fake_cifar10, runs, "--run_name=tiny", "--model.lr=0.1"))
    checkpoints = runs / "tiny" / "version_1" / "checkpoints"
    (best,) = checkpoints.glob("best-*.ckpt")
    for name, checkpoint in (("last", checkpoints / "last.ckpt"), ("best", best)):
        for subcommand in ("validate", "test", "predict"):
            cli = main(
                _args(fake_cifar10, runs, "--run_name=tiny", f"--ckpt_path={name}", subcommand=subcommand)
            )
            loaded = cli.model.state_dict()
            for key, value in _state(checkpoint).items():
                assert torch.equal(loaded[key], value), (name, subcommand, key)
    with pytest.raises(FileNotFoundError, match="no fit run of 'untrained'"):
        main(_args(fake_cifar10, runs, "--run_name=untrained", "--ckpt_path=last", subcommand="test"))
    with pytest.raises(ValueError, match="needs --ckpt_path"):
        main(_args(fake_cifar10, runs, "--run_name=tiny", subcommand="validate"))


def test_evaluations_are_recorded_with_the_run_and_keep_its_record(fake_cifar10, tmp_path):
    from train.results import find_runs

    runs = tmp_path / "runs"
    main(_args(fake_cifar10, runs, "--run_name=tiny"))
    run = runs / "tiny" / "version_0"
    record = {name: (run / name).read_bytes() for name in ("summary.json", "config.yaml", "metrics.csv")}
    for subcommand in ("validate", "test", "predict"):
        main(_args(fake_cifar10, runs, "--run_name=tiny", "--ckpt_path=last", subcommand=subcommand))
    main(
        _args(
            fake_cifar10,
            runs,
            "--run_name=tiny",
            f"--ckpt_path={run / 'checkpoints' / 'last.ckpt'}",
            subcommand="test",
        )
    )
    assert sorted(p.name for p in (runs / "tiny").iterdir()) == ["version_0"]
    assert {name: (run / name).read_bytes() for name in record} == record
    evaluations = sorted(p.name for p in (run / "evaluations").iterdir())
    assert evaluations == ["predict_0", "test_0", "test_1", "validate_0"]
    tested = json.loads((run / "evaluations" / "test_0" / "summary.json").read_text())
    assert (
        tested["subcommand"] == "test" and tested["checkpoint"].endswith("last.ckpt") and "test/acc" in tested
    )
    (found,) = find_runs(runs)
    assert found.path == run and found.summary["epochs"] == 2


def test_predict_writes_its_predictions_into_the_run(fake_image_folder, tmp_path, capsys):
    import csv

    from train.data import CLASSES

    runs = tmp_path / "runs"
    folder = ["--data.dataset=imagefolder", f"--data.root={fake_image_folder}", "--data.val_size=10"]
    main([*_args(fake_image_folder, runs, "--run_name=tiny", "--trainer.max_epochs=1"), *folder])
    main(
        [
            *_args(fake_image_folder, runs, "--run_name=tiny", "--ckpt_path=last", subcommand="predict"),
            *folder,
        ]
    )
    path = runs / "tiny" / "version_0" / "evaluations" / "predict_0" / "predictions.csv"
    assert f"20 predictions written to {path}" in capsys.readouterr().out
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 20 and list(rows[0]) == ["index", "image", "label", "predicted", "score"]
    for row in rows:
        assert (fake_image_folder / row["image"]).is_file() and row["image"].startswith("test/")
        assert row["label"] == Path(row["image"]).parent.name and row["predicted"] in CLASSES
        assert 0.1 <= float(row["score"]) <= 1  # the top softmax probability of 10 classes


# --- divergence ----------------------------------------------------------------------------------


def test_a_diverging_run_stops_with_a_message_and_writes_no_broken_checkpoint(fake_cifar10, tmp_path):
    runs = tmp_path / "runs"
    with pytest.raises(FloatingPointError, match=r"at epoch \d+, step \d+: the run diverged.*--model.lr"):
        main(_args(fake_cifar10, runs, "--run_name=boom", "--model.lr=1e6", "--trainer.max_epochs=3"))
    for checkpoint in (runs / "boom" / "version_0").rglob("*.ckpt"):
        assert all(torch.isfinite(t).all() for t in _state(checkpoint).values() if t.is_floating_point())
    assert not (runs / "boom" / "version_0" / "summary.json").exists()  # no result reported


def test_a_checkpoint_with_non_finite_weights_is_refused(fake_cifar10, tmp_path):
    cli = main(_args(fake_cifar10, tmp_path / "runs", "--trainer.max_epochs=1"))
    with torch.no_grad():
        next(cli.model.parameters())[0, 0] = float("inf")
    with pytest.raises(FloatingPointError, match="non-finite values in net"):
        cli.trainer.save_checkpoint(tmp_path / "broken.ckpt")
    assert not (tmp_path / "broken.ckpt").exists()


# --- the record of a run -------------------------------------------------------------------------


def test_concurrent_fits_claim_distinct_version_directories(fake_cifar10, tmp_path):
    runs = tmp_path / "runs"
    first, second = (main(_args(fake_cifar10, runs, "--run_name=same")[1:], run=False) for _ in range(2))
    versions = {first.trainer.loggers[0].version, second.trainer.loggers[0].version}
    assert versions == {0, 1} and all((runs / "same" / f"version_{v}").is_dir() for v in versions)


def test_a_resume_keeps_the_record_and_refuses_a_changed_schedule(fake_cifar10, tmp_path):
    runs = tmp_path / "runs"
    interrupt = _callbacks_config(tmp_path / "interrupt.yaml", ("StopAfter", {"epochs": 1}))
    main([*_args(fake_cifar10, runs, "--run_name=r"), f"--config={interrupt}"])
    run = runs / "r" / "version_0"
    record = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    fit_s = json.loads(record["summary.json"])["fit_s"]
    for changed in ("--model.lr=0.1", "--trainer.max_epochs=3", "--data.batch_size=8", "--seed_everything=1"):
        with pytest.raises(ValueError, match=re.escape(changed.split("=")[0])):
            main(_args(fake_cifar10, runs, "--run_name=r", "--ckpt_path=last", changed))
        assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == record, changed
    main(_args(fake_cifar10, runs, "--run_name=r", "--ckpt_path=last", "--data.num_workers=0"))
    for name in ("config.yaml", "hparams.yaml"):
        assert (run / name).read_bytes() == record[name], name
    resumed_config = yaml.safe_load((run / "config.resume-1.yaml").read_text())  # beside the run's
    assert resumed_config["data"]["num_workers"] == 0 and resumed_config["ckpt_path"] == "last"
    summary = json.loads((run / "summary.json").read_text())
    (resume,) = summary["resumes"]
    assert (
        summary["epochs"] == 2
        and resume["from_epoch"] == 1
        and resume["command"].startswith("python -m train")
    )
    assert summary["fit_s"] == pytest.approx(fit_s + resume["fit_s"])
    assert summary["command"] == json.loads(record["summary.json"])["command"]  # the run's own stays


def test_a_resume_after_a_crash_mid_epoch_logs_each_row_once(fake_cifar10, tmp_path):
    import csv

    runs = tmp_path / "runs"
    crash = _callbacks_config(tmp_path / "crash.yaml", ("FailAt", {"epoch": 1, "batch": 3}))
    with pytest.raises(RuntimeError, match="killed"):
        main([*_args(fake_cifar10, runs, "--run_name=r", "--trainer.max_epochs=3"), f"--config={crash}"])
    metrics = runs / "r" / "version_0" / "metrics.csv"
    assert any(row["epoch"] == "1" for row in csv.DictReader(metrics.open()))  # the crashed epoch's rows
    main(_args(fake_cifar10, runs, "--run_name=r", "--trainer.max_epochs=3", "--ckpt_path=last"))
    main(_args(fake_cifar10, runs, "--run_name=straight", "--trainer.max_epochs=3"))

    def rows(path: Path) -> list[tuple]:
        return sorted(
            tuple(sorted((k, v) for k, v in row.items() if v)) for row in csv.DictReader(path.open())
        )

    resumed, straight = rows(metrics), rows(runs / "straight" / "version_0" / "metrics.csv")
    assert len(resumed) == len(set(resumed)) == len(straight)
    keys = [tuple(k for k, _ in row) for row in resumed]
    assert keys == [tuple(k for k, _ in row) for row in straight]


def test_a_checkpoint_is_written_beside_its_target_then_renamed(fake_cifar10, tmp_path, monkeypatch):
    """A move from another filesystem's TMPDIR is a copy; this one dies half way, as a kill would."""
    import shutil

    runs = tmp_path / "runs"
    interrupt = _callbacks_config(tmp_path / "interrupt.yaml", ("StopAfter", {"epochs": 1}))
    main([*_args(fake_cifar10, runs, "--run_name=r"), f"--config={interrupt}"])
    last = runs / "r" / "version_0" / "checkpoints" / "last.ckpt"

    def copy_killed_half_way(source, target, *args, **kwargs):
        data = Path(source).read_bytes()
        Path(target).write_bytes(data[: len(data) // 2])
        raise KeyboardInterrupt("killed during the move")

    monkeypatch.setattr(shutil, "move", copy_killed_half_way)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):  # Lightning exits on an interrupt
        main(_args(fake_cifar10, runs, "--run_name=r", "--ckpt_path=last"))
    checkpoint = torch.load(last, weights_only=True, map_location="cpu")  # whole, old or new
    assert checkpoint["epoch"] in (0, 1)
    assert sorted(p.name for p in last.parent.iterdir() if p.name.startswith(".")) == []


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--data.batch_size=0", "--data.batch_size must be a positive integer"),
        ("--data.batch_size=-4", "--data.batch_size must be a positive integer"),
        ("--data.eval_batch_size=0", "--data.eval_batch_size"),
        ("--data.val_size=0", "--data.val_size"),
        ("--trainer.max_epochs=-1", "--trainer.max_epochs -1"),
        ("--trainer.max_epochs=-5", "--trainer.max_epochs must be"),
        ("--model.hidden_sizes=[0]", "--model.hidden_sizes must be positive"),
        ("--model.hidden_sizes=[32, -1]", "--model.hidden_sizes must be positive"),
        ("--model.lr=-0.1", "--model.lr must be positive"),
        ("--model.dropout=1.0", "--model.dropout must be in"),
    ],
)
def test_bad_sizes_fail_when_the_config_is_read(fake_cifar10, tmp_path, option, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        main(_args(fake_cifar10, tmp_path / "runs", option)[1:], run=False)  # [1:]: no subcommand
    assert not (tmp_path / "runs").exists()  # nothing written


def test_a_misspelt_option_gets_a_suggestion_and_a_short_message(fake_cifar10, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(_args(fake_cifar10, tmp_path / "runs", "--model.hiden_sizes=[8]"))
    error = capsys.readouterr().err
    assert exit_info.value.code != 0 and "did you mean --model.hidden_sizes" in error
    assert len(error.splitlines()) < 10, error


def test_options_of_hidden_layers_on_the_linear_classifier_are_refused(fake_cifar10, tmp_path):
    linear = REPO / "train" / "configs" / "linear.yaml"
    with pytest.raises(ValueError, match=re.escape("--model.activation 'swish' has no effect")):
        main(
            [f"--config={linear}", "--model.activation=swish", f"--trainer.default_root_dir={tmp_path}"],
            run=False,
        )
    main([f"--config={linear}", f"--trainer.default_root_dir={tmp_path}"], run=False)  # the config itself
