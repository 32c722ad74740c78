"""Linear vs logistic regression (the lecture's recap).

1. Gradient descent θ ← θ - ε ∇C(θ) on the squared error reaches the closed-form least-squares
   solution. Shown on synthetic data (float64, n samples of d Gaussian features, y = Xθ + b +
   noise), because the claim needs a problem with one well-conditioned minimum: two CIFAR classes
   give about 1,000 images of 3,072 pixels, fewer equations than unknowns, so least squares has
   infinitely many exact solutions, and correlated pixels make gradient descent converge far too
   slowly to show agreement in seconds.
2. On a binary CIFAR-10 task (two classes, labels 0/1), linear regression's predictions leave
   [0, 1] while logistic regression's, σ(xθ + b), stay inside (the slide "Linear vs Logistic
   Regression"). Both are trained by minibatch gradient descent; 0.5 is the decision threshold.

    python examples/linear_vs_logistic.py [--data-root ../shared/data/cifar10-5k]
"""

from __future__ import annotations

import argparse

import torch
from _common import Data, Result, Timer, accuracy, check_data_root, load_data, make_parser, markdown_table

from torchlayers.models.classic import LinearRegression, LogisticRegression


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(__doc__)
    parser.add_argument("--samples", type=int, default=1000, help="synthetic samples n (default: 1000)")
    parser.add_argument("--features", type=int, default=20, help="synthetic features d (default: 20)")
    parser.add_argument("--gd-steps", type=int, default=200, help="full-batch steps on synthetic data")
    parser.add_argument("--gd-lr", type=float, default=0.5, help="learning rate on synthetic data")
    parser.add_argument(
        "--classes", nargs=2, default=["airplane", "automobile"], help="the binary task's two classes (0, 1)"
    )
    parser.add_argument("--epochs", type=int, default=10, help="epochs on the binary task (default: 10)")
    parser.add_argument("--batch-size", type=int, default=64, help="minibatch size on the binary task")
    parser.add_argument("--linear-lr", type=float, default=3e-4, help="linear regression's learning rate")
    parser.add_argument("--logistic-lr", type=float, default=3e-3, help="logistic regression's learning rate")
    return parser


def gradient_descent_vs_closed_form(args: argparse.Namespace) -> list[Result]:
    generator = torch.Generator().manual_seed(args.seed)
    n, d = args.samples, args.features
    X = torch.randn(n, d, generator=generator, dtype=torch.float64)
    theta = torch.randn(d, generator=generator, dtype=torch.float64)
    y = X @ theta + 0.5 + 0.1 * torch.randn(n, generator=generator, dtype=torch.float64)
    torch.manual_seed(args.seed)
    with Timer() as timer:
        descended = LinearRegression(d, dtype=torch.float64).fit(X, y, lr=args.gd_lr, epochs=args.gd_steps)
        exact = LinearRegression(d, dtype=torch.float64).fit_closed_form(X, y)
    parameters = torch.cat([descended.linear.weight.flatten(), descended.linear.bias])
    exact_parameters = torch.cat([exact.linear.weight.flatten(), exact.linear.bias])
    setting = f"synthetic n={n}, d={d}, float64: {args.gd_steps} GD steps vs lstsq"
    return [
        Result(
            "LinearRegression",
            setting,
            "max abs Δθ",
            f"{(parameters - exact_parameters).abs().max().item():.1e}",
            timer.seconds,
        ),
        Result(
            "LinearRegression",
            setting,
            "max abs Δŷ",
            f"{(descended.predict(X) - exact.predict(X)).abs().max().item():.1e}",
        ),
    ]


def binary_task(args: argparse.Namespace, data: Data) -> list[Result]:
    unknown = [name for name in args.classes if name not in data.classes]
    if unknown:
        raise ValueError(f"--classes {' '.join(unknown)}: not among the data's classes {data.classes}")
    negative, positive = (data.classes.index(name) for name in args.classes)

    def two_classes(X, y):
        keep = (y == negative) | (y == positive)
        return X[keep], (y[keep] == positive).long()

    X_train, y_train = two_classes(data.X_train, data.y_train)
    X_test, y_test = two_classes(data.X_test, data.y_test)
    setting = f"{args.classes[0]} (0) vs {args.classes[1]} (1), {len(y_test)} test images"
    fit = {"epochs": args.epochs, "batch_size": args.batch_size}
    results = []
    for model_class, lr in ((LinearRegression, args.linear_lr), (LogisticRegression, args.logistic_lr)):
        torch.manual_seed(args.seed)  # the same initial θ and minibatch order for both
        model = model_class(X_train.shape[1], device=X_train.device)
        with Timer() as timer:
            model.fit(X_train, y_train, lr=lr, **fit)
            with torch.no_grad():
                predictions = model(X_test)
        name = model_class.__name__
        low, high = predictions.min().item(), predictions.max().item()
        inside = "inside" if low >= 0 and high <= 1 else "leaves"
        results += [
            Result(
                name, setting, "test ŷ range", f"[{low:.3f}, {high:.3f}] ({inside} [0, 1])", timer.seconds
            ),
            Result(name, setting, "test accuracy", accuracy((predictions >= 0.5).long(), y_test)),
        ]
    return results


def run(args: argparse.Namespace, data: Data) -> list[Result]:
    return gradient_descent_vs_closed_form(args) + binary_task(args, data)


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_data_root(parser, args.data_root)
    print(markdown_table(run(args, load_data(args.data_root, args.device))))


if __name__ == "__main__":
    main()
