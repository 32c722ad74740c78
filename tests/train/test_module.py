"""The LightningModule: every option trains, the kernel switch, the loss names, the regulariser."""

from __future__ import annotations

import re

import pytest
import torch

import torchlayers
from tests.train._helpers import RecordKernels
from train.cli import main
from train.module import Classifier, create_loss, l2_penalty

# Every option of Classifier and CIFAR10DataModule at a value other than its default
# (compile excepted: test_cli's slow test_compiled_model_trains covers it).
NON_DEFAULT_MODEL = [
    "--model.hidden_sizes=[16, 8]",
    "--model.activation=[maxout, tanh]",
    "--model.pieces=3",
    "--model.dropout=[0.1, 0.2]",
    "--model.input_dropout=0.1",
    "--model.in_features=3072",
    "--model.num_classes=12",
    "--model.loss=multi_margin",
    "--model.loss_kwargs={margin: 0.5}",
    "--model.l2=0.001",
    "--model.optimizer=adamw",
    "--model.lr=0.01",
    "--model.momentum=0.8",
    "--model.nesterov=false",
    "--model.weight_decay=0.01",
    "--model.scheduler=cosine",
    "--model.warmup=0.5",
    "--model.tta_flip=true",
    "--model.kernels=false",
]
NON_DEFAULT_DATA = [
    "--data.dataset=imagefolder",
    "--data.download=false",
    "--data.check_integrity=false",
    "--data.val_size=0.2",
    "--data.split_seed=3",
    "--data.batch_size=8",
    "--data.eval_batch_size=7",
    "--data.crop_padding=2",
    "--data.flip=false",
    "--data.zca_epsilon=0.5",
    "--data.loader=dataloader",
    "--data.num_workers=0",
    "--data.cache=false",
    "--data.train_subset=40",
]


def test_the_option_lists_cover_every_option():
    import inspect

    from train.data import CIFAR10DataModule

    model = {a.split("=")[0].removeprefix("--model.") for a in NON_DEFAULT_MODEL}
    data = {a.split("=")[0].removeprefix("--data.") for a in NON_DEFAULT_DATA} | {"root"}
    # norm has its own test: it refuses the maxout layer the list above trains
    assert model | {"backend", "compile", "norm"} == set(inspect.signature(Classifier).parameters)
    assert data == set(inspect.signature(CIFAR10DataModule).parameters)


@pytest.mark.parametrize("backend", ["torchlayers", "torch"])
def test_every_option_at_a_non_default_value_trains_and_evaluates(fake_image_folder, tmp_path, backend):
    runs = tmp_path / "runs"
    common = [
        f"--data.root={fake_image_folder}",
        f"--trainer.default_root_dir={runs}",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        f"--model.backend={backend}",
        *NON_DEFAULT_MODEL,
        *NON_DEFAULT_DATA,
    ]
    fit = main(
        ["fit", *common, "--trainer.max_epochs=1", "--trainer.limit_train_batches=2", "--run_name=all"]
    )
    assert torch.isfinite(fit.trainer.callback_metrics["train/loss_epoch"])
    assert "train/l2" in fit.trainer.callback_metrics and fit.model.hparams.backend == backend
    tested = main(["test", *common, "--run_name=all", "--ckpt_path=last"])
    assert 0 <= float(tested.trainer.callback_metrics["test/acc"]) <= 1


@pytest.mark.parametrize("backend", ["torchlayers", "torch"])
def test_layer_norm_trains_and_evaluates(fake_image_folder, tmp_path, backend):
    common = [
        f"--data.root={fake_image_folder}",
        "--data.dataset=imagefolder",
        "--data.download=false",
        "--data.val_size=0.2",
        "--data.batch_size=8",
        f"--trainer.default_root_dir={tmp_path / 'runs'}",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        f"--model.backend={backend}",
        "--model.hidden_sizes=[16, 8]",
        "--model.norm=layer",
    ]
    fit = main(["fit", *common, "--trainer.max_epochs=1", "--trainer.limit_train_batches=2", "--run_name=ln"])
    assert torch.isfinite(fit.trainer.callback_metrics["train/loss_epoch"])
    layer_norms = [m for m in fit.model.net if type(m).__name__ == "LayerNorm"]
    assert [m.normalized_shape for m in layer_norms] == [(16,), (8,)]
    tested = main(["test", *common, "--run_name=ln", "--ckpt_path=last"])
    assert 0 <= float(tested.trainer.callback_metrics["test/acc"]) <= 1


def test_kernels_false_trains_with_the_formulas_only(fake_cifar10, tmp_path):
    RecordKernels.seen = []
    args = [
        "fit",
        f"--data.root={fake_cifar10}",
        "--data.val_size=20",
        "--data.batch_size=16",
        f"--trainer.default_root_dir={tmp_path / 'runs'}",
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=2",
        "--trainer.enable_progress_bar=false",
        "--model.hidden_sizes=[8]",
        "--trainer.callbacks+=tests.train._helpers.RecordKernels",
        "--run_name=formulas",
    ]
    with torchlayers.use_kernels(True):  # the default mode, whatever TORCHLAYERS_KERNELS says
        main([*args, "--model.kernels=false"])
        assert RecordKernels.seen == [False, False] and torchlayers.kernels_enabled()  # restored after
    summary = (tmp_path / "runs" / "formulas" / "version_0" / "summary.json").read_text()
    assert '"kernels": false' in summary
    RecordKernels.seen = []
    main([*args, "--model.kernels=true"])
    assert RecordKernels.seen == [True, True]


def test_l2_penalty_is_the_sum_of_squares_on_both_backends():
    weights = [torch.randn(4, 3, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)]
    expected = sum(float(w.square().sum()) for w in weights)
    for backend in ("torchlayers", "torch"):
        assert float(l2_penalty(weights, backend)) == pytest.approx(expected)


def test_an_unknown_loss_lists_the_names_configs_use():
    with pytest.raises(
        ValueError, match=r"--model.loss: no loss 'softmax_hinge'.*cross_entropy.*multi_margin"
    ):
        create_loss("softmax_hinge")
    assert type(create_loss("hinge")).__name__ == "MultiMarginLoss"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lr": -1.0}, "--model.lr must be positive"),
        ({"hidden_sizes": [0]}, "--model.hidden_sizes must be positive integers"),
        ({"hidden_sizes": [], "activation": "tanh"}, "--model.activation 'tanh' has no effect"),
        ({"hidden_sizes": [], "dropout": 0.5}, "--model.dropout 0.5 has no effect"),
        ({"pieces": 0}, "--model.pieces must be at least 1"),
        ({"warmup": 1.5}, "--model.warmup must be in [0, 1)"),
        ({"l2": -1.0}, "--model.l2 must be non-negative"),
    ],
)
def test_bad_options_fail_when_the_module_is_built(options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Classifier(**options)
