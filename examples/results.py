"""Every example with its default settings, on images decoded once, as one markdown table.

    python examples/results.py [--data-root ../shared/data/cifar10-5k]

The table in examples/README.md is this script's output. Seconds are wall-clock time of the
fit and prediction behind each row ("〃": measured together with the row above).
"""

from __future__ import annotations

import time

import linear_classifiers
import linear_vs_logistic
import nearest_neighbour
from _common import Timer, check_data_root, environment, load_data, make_parser, markdown_table

EXAMPLES = (nearest_neighbour, linear_vs_logistic, linear_classifiers)


def main(argv: list[str] | None = None) -> None:
    parser = make_parser(__doc__)
    args = parser.parse_args(argv)
    check_data_root(parser, args.data_root)
    start = time.perf_counter()
    with Timer() as loading:
        data = load_data(args.data_root, args.device)
    results = []
    for example in EXAMPLES:
        # each example's own defaults, with the shared arguments given here
        example_args = example.build_parser().parse_args(
            ["--data-root", str(args.data_root), "--device", args.device, "--seed", str(args.seed)]
        )
        results += example.run(example_args, data)
    print(markdown_table(results))
    print()
    print(
        f"Loading and normalising {len(data.y_train)} + {len(data.y_test)} images: {loading.seconds:.1f} s; "
        f"total {time.perf_counter() - start:.1f} s on {environment(args.device)}."
    )


if __name__ == "__main__":
    main()
