"""The linear classifiers of the lecture, f = Wx + b, on all ten CIFAR-10 classes.

* LinearSVM: multi-class hinge loss + λ Σ W² (the lecture's combined node).
* SoftmaxClassifier: softmax cross entropy (+ λ Σ W² when --softmax-regularization > 0).

Both are trained by minibatch gradient descent θ ← θ - ε ∇C(θ) from the same initial W and in the
same minibatch order, on flattened pixels normalised per channel.

    python examples/linear_classifiers.py [--data-root ../shared/data/cifar10-5k]
"""

from __future__ import annotations

import argparse

import torch
from _common import Data, Result, Timer, accuracy, check_data_root, load_data, make_parser, markdown_table

from torchlayers.models.classic import LinearSVM, SoftmaxClassifier


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(__doc__)
    parser.add_argument(
        "--epochs", type=int, default=10, help="passes over the training images (default: 10)"
    )
    parser.add_argument("--batch-size", type=int, default=128, help="minibatch size (default: 128)")
    parser.add_argument("--lr", type=float, default=3e-3, help="learning rate ε (default: 3e-3)")
    parser.add_argument("--svm-regularization", type=float, default=1e-3, help="the SVM's λ (default: 1e-3)")
    parser.add_argument(
        "--softmax-regularization", type=float, default=0.0, help="the softmax's λ (default: 0)"
    )
    return parser


def run(args: argparse.Namespace, data: Data) -> list[Result]:
    in_features, num_classes = data.X_train.shape[1], len(data.classes)
    results = []
    for model_class, regularization in (
        (LinearSVM, args.svm_regularization),
        (SoftmaxClassifier, args.softmax_regularization),
    ):
        torch.manual_seed(args.seed)
        model = model_class(
            in_features, num_classes, regularization=regularization, device=data.X_train.device
        )
        with Timer() as timer:
            model.fit(data.X_train, data.y_train, lr=args.lr, epochs=args.epochs, batch_size=args.batch_size)
            predictions = model.predict(data.X_test)
        setting = (
            f"{num_classes} classes, λ={regularization:g}, {args.epochs} epochs of batch "
            f"{args.batch_size}, ε={args.lr:g}"
        )
        results.append(
            Result(
                model_class.__name__,
                setting,
                "test accuracy",
                accuracy(predictions, data.y_test),
                timer.seconds,
            )
        )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_data_root(parser, args.data_root)
    print(markdown_table(run(args, load_data(args.data_root, args.device))))


if __name__ == "__main__":
    main()
