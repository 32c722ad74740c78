"""The LightningModule: an :class:`~torchlayers.models.MLP`, its loss, regulariser, optimiser,
learning-rate schedule and accuracy. Its typed ``__init__`` is the ``model:`` section of a config."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, Literal

import lightning.pytorch as pl
import torch
import torchmetrics
from torch import Tensor

import torchlayers
from torchlayers.models import MLP
from train.data import epoch_seed, run_seed

__all__ = ["LOSS_ALIASES", "Classifier", "create_loss", "l2_penalty"]

# The lecture's names for the two losses it derives.
LOSS_ALIASES = {"hinge": "multi_margin", "softmax": "cross_entropy"}


def create_loss(name: str, backend: str = "torchlayers", **kwargs: Any) -> torch.nn.Module:
    """The loss module called ``name`` (``cross_entropy`` → ``CrossEntropyLoss``, ``multi_margin``
    or ``hinge`` → ``MultiMarginLoss``, ``nll`` → ``NLLLoss``, …) from ``torchlayers.nn``, or from
    ``torch.nn`` for ``backend="torch"``. Looked up by name when called, so any loss added to
    ``torchlayers.nn`` later is available without a change here."""
    namespace = torch.nn if backend == "torch" else torchlayers.nn
    wanted = LOSS_ALIASES.get(name, name).replace("_", "").lower() + "loss"
    for attribute in dir(namespace):
        if attribute.lower() == wanted:
            return getattr(namespace, attribute)(**kwargs)
    known = sorted(
        [*LOSS_ALIASES, *(_snake_case(a[: -len("Loss")]) for a in dir(namespace) if a.endswith("Loss"))]
    )
    raise ValueError(f"--model.loss: no loss {name!r}; the names are {', '.join(known)}")


def _snake_case(name: str) -> str:
    """``CrossEntropyLoss``'s stem ``CrossEntropy`` → ``cross_entropy``, as configs write it."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def l2_penalty(weights: Sequence[Tensor], backend: str = "torchlayers") -> Tensor:
    """``R(W) = Σ_l Σ_ij W_l[i, j]²`` over the weight matrices, with torchlayers'
    ``l2_regularization`` (or native ops for ``backend="torch"``)."""
    if backend == "torch":
        return sum(weight.square().sum() for weight in weights)
    return torchlayers.functional.l2_regularization(*weights, weight=1.0)


class Classifier(pl.LightningModule):
    """Trains an :class:`~torchlayers.models.MLP` image classifier.

    Args:
        hidden_sizes: hidden layer widths; ``[]`` is the linear classifier ``Wx + b``.
        activation: a registered activation name, or one per hidden layer (see ``MLP``).
        pieces: affine pieces per maxout unit.
        dropout: dropout after each hidden activation (one value or one per layer).
        input_dropout: dropout on the input pixels.
        norm: ``layer`` for a LayerNorm on each hidden layer's scores, before its activation.
        backend: ``torchlayers`` (our operations) or ``torch`` (the native twin of every layer and
            of the loss, for side-by-side runs).
        in_features: input size (3 × 32 × 32 for CIFAR-10).
        num_classes: number of classes.
        loss: loss name: ``cross_entropy`` (softmax), ``multi_margin`` (``hinge``), or any other
            ``*Loss`` of ``torchlayers.nn``.
        loss_kwargs: keyword arguments of the loss module, e.g. ``{label_smoothing: 0.1}`` or
            ``{margin: 1.0}``.
        l2: λ of the regulariser ``λ Σ W²`` added to the loss (weight matrices only), computed
            with torchlayers' ``l2_regularization``.
        optimizer: ``sgd`` (with ``momentum`` and ``nesterov``) or ``adamw``.
        lr: peak learning rate.
        momentum: SGD momentum (AdamW's β₁).
        nesterov: Nesterov momentum for SGD.
        weight_decay: decoupled weight decay of the weight matrices (biases and PReLU slopes are
            not decayed).
        scheduler: ``onecycle`` (warm-up then cosine annealing to ~0), ``cosine`` (linear
            warm-up then cosine to 0, per step) or ``constant``.
        warmup: fraction of the steps spent warming up.
        tta_flip: at validation/test/predict time average the scores of each image and its mirror.
        compile: ``torch.compile`` the network (the torchlayers Functions compile through their
            jvp-free twins).
        kernels: let ATen's fused kernels stand in for torchlayers' formulas (``False``: the
            formulas only, see :func:`torchlayers.use_kernels`), from ``setup`` to ``teardown``.
    """

    def __init__(
        self,
        hidden_sizes: Sequence[int] = (512, 512),
        activation: str | Sequence[str] = "relu",
        pieces: int = 2,
        dropout: float | Sequence[float] = 0.0,
        input_dropout: float = 0.0,
        norm: Literal["layer"] | None = None,
        backend: Literal["torchlayers", "torch"] = "torchlayers",
        in_features: int = 3 * 32 * 32,
        num_classes: int = 10,
        loss: str = "cross_entropy",
        loss_kwargs: dict[str, Any] | None = None,
        l2: float = 0.0,
        optimizer: Literal["sgd", "adamw"] = "sgd",
        lr: float = 0.05,
        momentum: float = 0.9,
        nesterov: bool = True,
        weight_decay: float = 0.0,
        scheduler: Literal["onecycle", "cosine", "constant"] = "onecycle",
        warmup: float = 0.2,
        tta_flip: bool = False,
        compile: bool = False,
        kernels: bool = True,
    ) -> None:
        super().__init__()
        _check_options(
            hidden_sizes=hidden_sizes,
            activation=activation,
            pieces=pieces,
            dropout=dropout,
            input_dropout=input_dropout,
            in_features=in_features,
            num_classes=num_classes,
            l2=l2,
            lr=lr,
            momentum=momentum,
            weight_decay=weight_decay,
            warmup=warmup,
        )
        self.save_hyperparameters()
        self._kernels_mode: torchlayers.use_kernels | None = None
        self.net = MLP(
            in_features,
            hidden_sizes,
            num_classes,
            activation,
            pieces=pieces,
            dropout=dropout,
            input_dropout=input_dropout,
            backend=backend,
            norm=norm,
        )
        self.criterion = create_loss(loss, backend, **(loss_kwargs or {}))
        self.accuracy = torch.nn.ModuleDict(
            {
                f"{split}_acc": torchmetrics.classification.MulticlassAccuracy(num_classes, average="micro")
                for split in ("val", "test")
            }
        )
        # The training accuracy's (correct, seen) of the epoch so far, summed on the device: a
        # comparison and a sum per step, where torchmetrics' forward (state update plus the
        # batch's own accuracy, which nothing reads) costs about 1 ms on a CPU. Read once, at
        # the epoch's end.
        self._train_correct: Tensor | None = None
        self._train_seen = 0

    def setup(self, stage: str) -> None:
        if self._kernels_mode is None:  # restored in teardown, whatever the mode was before
            self._kernels_mode = torchlayers.use_kernels(self.hparams.kernels)

    def teardown(self, stage: str) -> None:
        if self._kernels_mode is not None:
            self._kernels_mode.__exit__(None, None, None)
            self._kernels_mode = None

    def configure_model(self) -> None:
        if self.hparams.compile and not getattr(self, "_compiled", False):
            self.net.compile()  # in place: state_dict keys stay those of the eager network
            self._compiled = True

    def forward(self, images: Tensor) -> Tensor:
        return self.net(images)

    def _eval_scores(self, images: Tensor) -> Tensor:
        scores = self.net(images)
        if self.hparams.tta_flip:  # the label of a mirrored image is the same: average both views
            scores = (scores + self.net(images.flip(-1))) / 2
        return scores

    def _weights(self) -> list[Tensor]:
        return [p for name, p in self.net.named_parameters() if p.dim() >= 2 and name.endswith("weight")]

    def on_train_epoch_start(self) -> None:
        # Dropout draws from the global generator: seeding it per epoch (and rank) makes a run
        # resumed from an epoch-end checkpoint draw exactly what the uninterrupted run drew.
        torch.manual_seed(epoch_seed(run_seed(), self.current_epoch, stream=self.global_rank))

    def training_step(self, batch: tuple[Tensor, Tensor], batch_index: int) -> Tensor:
        images, labels = batch
        scores = self.net(images)
        loss = self.criterion(scores, labels)
        _check_finite(loss, self.current_epoch, self.global_step, self.hparams.lr)
        if self._train_correct is None:
            self._train_correct = torch.zeros((), dtype=torch.long, device=labels.device)
        self._train_correct += (scores.detach().argmax(-1) == labels).sum()
        self._train_seen += len(labels)
        self.log("train/loss", loss, prog_bar=True, on_step=True, on_epoch=True)
        if self.hparams.l2 > 0:
            penalty = self.hparams.l2 * l2_penalty(self._weights(), self.hparams.backend)
            self.log("train/l2", penalty, on_step=False, on_epoch=True)
            loss = loss + penalty
        return loss

    def on_train_epoch_end(self) -> None:
        if self._train_correct is None:  # no training step in this epoch
            return
        counts = torch.stack([self._train_correct, torch.tensor(self._train_seen, device=self.device)])
        # summed over the processes under DDP, as torchmetrics' compute does
        correct, seen = self.trainer.strategy.reduce(counts, reduce_op="sum")
        self.log("train/acc", correct / seen, prog_bar=True)
        self._train_correct, self._train_seen = None, 0

    def _evaluate(self, batch: tuple[Tensor, Tensor], split: str) -> None:
        images, labels = batch
        scores = self._eval_scores(images)
        self.accuracy[f"{split}_acc"](scores, labels)
        loss = self.criterion(scores, labels)
        self.log(f"{split}/loss", loss, prog_bar=split == "val", sync_dist=True)
        self.log(f"{split}/acc", self.accuracy[f"{split}_acc"], prog_bar=split == "val")

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_index: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: tuple[Tensor, Tensor], batch_index: int) -> None:
        self._evaluate(batch, "test")

    def predict_step(self, batch: tuple[Tensor, Tensor], batch_index: int) -> dict[str, Tensor]:
        """The predicted class of each image and its softmax probability (the score)."""
        probabilities = self._eval_scores(batch[0]).softmax(-1)
        score, predicted = probabilities.max(-1)
        return {"class": predicted, "score": score, "label": batch[1]}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # Every checkpoint passes through here: one with non-finite weights is never written.
        broken = [
            name
            for name, t in checkpoint["state_dict"].items()
            if t.is_floating_point() and not bool(torch.isfinite(t).all())
        ]
        if broken:
            raise FloatingPointError(
                f"refusing to save a checkpoint at epoch {self.current_epoch}, step {self.global_step}: "
                f"non-finite values in {', '.join(broken)}; the training diverged "
                f"(try a smaller --model.lr than {self.hparams.lr})"
            )

    def configure_optimizers(self):
        decayed = {id(p) for p in self._weights()}
        groups = [
            {
                "params": [p for p in self.parameters() if id(p) in decayed],
                "weight_decay": self.hparams.weight_decay,
            },
            {"params": [p for p in self.parameters() if id(p) not in decayed], "weight_decay": 0.0},
        ]
        hp = self.hparams
        if hp.optimizer == "sgd":
            optimizer = torch.optim.SGD(groups, lr=hp.lr, momentum=hp.momentum, nesterov=hp.nesterov)
        else:
            optimizer = torch.optim.AdamW(groups, lr=hp.lr, betas=(hp.momentum, 0.999))
        if hp.scheduler == "constant":
            return optimizer
        total = int(self.trainer.estimated_stepping_batches)
        if hp.scheduler == "onecycle":
            schedule = torch.optim.lr_scheduler.OneCycleLR(
                optimizer, max_lr=hp.lr, total_steps=total, pct_start=hp.warmup, cycle_momentum=False
            )
        else:
            warmup = max(1, round(hp.warmup * total))

            def factor(step: int) -> float:
                if step < warmup:
                    return (step + 1) / warmup
                return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))

            schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


def _check_finite(loss: Tensor, epoch: int, step: int, lr: float) -> None:
    """Stops a diverged run before its backward: one host sync per step (the progress bar and
    the step logging read the loss on the host each step anyway)."""
    if not bool(torch.isfinite(loss.detach())):
        raise FloatingPointError(
            f"the training loss is {float(loss)} at epoch {epoch}, step {step}: the run diverged. "
            f"Try a smaller --model.lr (now {lr}), a longer --model.warmup, or --model.loss_kwargs "
            f"that keep the loss finite; no checkpoint of this state was written."
        )


def _check_options(**options: Any) -> None:
    """Bad sizes and rates fail here, when the config is instantiated, before any data loads."""
    problems = []
    hidden = options["hidden_sizes"]
    if any(isinstance(size, bool) or not isinstance(size, int) or size < 1 for size in hidden):
        problems.append(f"--model.hidden_sizes must be positive integers, got {list(hidden)}")
    if not hidden:  # the linear classifier: options of hidden layers would be ignored silently
        activation, dropout = options["activation"], options["dropout"]
        if activation not in ("relu", [], ()):
            problems.append(
                f"--model.activation {activation!r} has no effect: --model.hidden_sizes is [] "
                f"(the linear classifier Wx + b has no hidden layer)"
            )
        if dropout not in (0, 0.0, (), []):
            problems.append(f"--model.dropout {dropout} has no effect: --model.hidden_sizes is []")
    dropouts = [options["dropout"]] if isinstance(options["dropout"], (int, float)) else options["dropout"]
    for name, values in (("dropout", dropouts), ("input_dropout", [options["input_dropout"]])):
        if any(not 0 <= value < 1 for value in values):
            problems.append(f"--model.{name} must be in [0, 1), got {options[name]}")
    for name, low in (("pieces", 1), ("in_features", 1), ("num_classes", 2)):
        if options[name] < low:
            problems.append(f"--model.{name} must be at least {low}, got {options[name]}")
    if not options["lr"] > 0:
        problems.append(f"--model.lr must be positive, got {options['lr']}")
    for name in ("l2", "weight_decay"):
        if not options[name] >= 0:
            problems.append(f"--model.{name} must be non-negative, got {options[name]}")
    if not 0 <= options["momentum"] < 1:
        problems.append(f"--model.momentum must be in [0, 1), got {options['momentum']}")
    if not 0 <= options["warmup"] < 1:
        problems.append(f"--model.warmup must be in [0, 1), got {options['warmup']}")
    if problems:
        raise ValueError("; ".join(problems))
