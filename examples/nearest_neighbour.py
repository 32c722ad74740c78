"""Nearest-neighbour classification of CIFAR-10 pixels (the lecture's recap).

Test accuracy of the 1-NN and 5-NN classifiers with the L1 and the L2 distance, and the slide's
question "what is the performance on training data for the NN classifier?": every training image
is its own nearest neighbour (distance 0), so 1-NN is 100 % right on its training data unless two
identical images carry different labels.

One neighbour search per distance serves both k: the 5 ranked neighbours of every test image are
computed once, and the 1-NN prediction is the vote of the first of them (exactly what
``KNNClassifier(k=1).predict`` returns). The training-data check uses L2 (a matrix product,
seconds for 5170 x 5170 images; L1 would take about a minute here); its claim holds for any metric.

    python examples/nearest_neighbour.py [--data-root ../shared/data/cifar10-5k]
"""

from __future__ import annotations

import argparse

from _common import (
    Data,
    Result,
    Timer,
    accuracy,
    check_data_root,
    load_data,
    make_parser,
    markdown_table,
)

from torchlayers.models.classic import KNNClassifier


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(__doc__)
    parser.add_argument("--k", type=int, default=5, help="the larger k (the other is 1; default: 5)")
    parser.add_argument("--batch-size", type=int, default=256, help="test images per distance batch")
    return parser


def run(args: argparse.Namespace, data: Data) -> list[Result]:
    results = []
    for p, name in ((1, "L1"), (2, "L2")):
        with Timer() as timer:
            knn = KNNClassifier(k=args.k, p=p, batch_size=args.batch_size).fit(data.X_train, data.y_train)
            _, neighbours = knn.kneighbors(data.X_test)
            one_nn, k_nn = knn.vote(neighbours[:, :1]), knn.vote(neighbours)
        setting = f"{name}, {len(data.y_train)} train / {len(data.y_test)} test images"
        results.append(Result("1-NN", setting, "test accuracy", accuracy(one_nn, data.y_test), timer.seconds))
        results.append(Result(f"{args.k}-NN", setting, "test accuracy", accuracy(k_nn, data.y_test)))
    with Timer() as timer:
        knn = KNNClassifier(k=1, p=2, batch_size=args.batch_size).fit(data.X_train, data.y_train)
        on_training_data = knn.predict(data.X_train)
    setting = f"L2, its own {len(data.y_train)} training images"
    results.append(
        Result("1-NN", setting, "train accuracy", accuracy(on_training_data, data.y_train), timer.seconds)
    )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_data_root(parser, args.data_root)
    print(markdown_table(run(args, load_data(args.data_root, args.device))))


if __name__ == "__main__":
    main()
