"""The classic models (torchlayers.models.classic) and their examples (examples/).

KNN is checked against a brute-force reference written with Python loops; the linear models'
losses and gradient-descent steps against torch.nn's losses and autograd; linear regression's
gradient descent against the normal equations. The examples run end to end on a tiny fake image
folder, and (marked slow, skipped without it) on ../shared/data/cifar10-5k.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from PIL import Image

from torchlayers.models.classic import (
    KNNClassifier,
    LinearRegression,
    LinearSVM,
    LogisticRegression,
    SoftmaxClassifier,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"
SUBSET = REPO_ROOT / ".." / "shared" / "data" / "cifar10-5k"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


# --- KNN -------------------------------------------------------------------------------------


def brute_force_knn(X_train, y_train, X_test, k, p):
    """Per test row: distances by explicit sums, neighbours sorted by (distance, training index),
    majority vote with ties to the tied class whose member ranks first. Also returns whether any
    vote was tied, so a test can make sure its data exercised the tie rule."""
    predictions, neighbours, tied = [], [], False
    for x in X_test.tolist():
        distances = []
        for index, x_train in enumerate(X_train.tolist()):
            if p == 1:
                distance = sum(abs(a - b) for a, b in zip(x, x_train, strict=True))
            else:
                distance = math.sqrt(sum((a - b) ** 2 for a, b in zip(x, x_train, strict=True)))
            distances.append((distance, index))
        ranked = [index for _, index in sorted(distances)[:k]]
        labels = [int(y_train[index]) for index in ranked]
        counts = {label: labels.count(label) for label in labels}
        best = max(counts.values())
        tied |= sum(count == best for count in counts.values()) > 1
        predictions.append(next(label for label in labels if counts[label] == best))
        neighbours.append(ranked)
    return torch.tensor(predictions), torch.tensor(neighbours), tied


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 6])
def test_knn_equals_brute_force_reference(p, k):
    # small integer coordinates: many exactly equal distances and tied votes, all computed exactly
    X_train = torch.randint(0, 3, (40, 3)).double()
    y_train = torch.tensor([3, 7, 10, 12])[torch.randint(0, 4, (40,))]  # labels need not be 0..C-1
    X_test = torch.randint(0, 3, (30, 3)).double()
    expected, expected_neighbours, tied = brute_force_knn(X_train, y_train, X_test, k, p)
    knn = KNNClassifier(k=k, p=p, batch_size=7).fit(X_train, y_train)
    assert torch.equal(knn.predict(X_test), expected)
    assert torch.equal(knn.kneighbors(X_test)[1], expected_neighbours)
    if k > 1:
        assert tied, "the data should contain tied votes"


def test_knn_tie_rules():
    X_train, y_train = torch.tensor([[0.0], [2.0]]), torch.tensor([1, 0])
    knn = KNNClassifier(k=2).fit(X_train, y_train)
    # one vote each: the class of the nearer neighbour wins (not the smaller label)
    assert knn.predict(torch.tensor([[0.9], [1.1]])).tolist() == [1, 0]
    # equal distances: the neighbour that comes first in the training data ranks first
    assert knn.predict(torch.tensor([[1.0]])).tolist() == [1]
    assert KNNClassifier(k=2).fit(X_train.flip(0), y_train.flip(0)).predict(
        torch.tensor([[1.0]])
    ).tolist() == [0]
    # a majority beats a nearer single vote
    X_train, y_train = torch.tensor([[0.0], [1.0], [1.5]]), torch.tensor([0, 1, 1])
    assert KNNClassifier(k=3).fit(X_train, y_train).predict(torch.tensor([[0.0]])).tolist() == [1]


@pytest.mark.parametrize("p", [1, 2])
def test_knn_batching_invariance(p):
    X_train, y_train = torch.randn(50, 8), torch.randint(0, 4, (50,))
    X_test = torch.randn(23, 8)
    reference = KNNClassifier(k=5, p=p, batch_size=1000).fit(X_train, y_train)
    distances, indices = reference.kneighbors(X_test)
    for batch_size in (1, 4, 23):
        knn = KNNClassifier(k=5, p=p, batch_size=batch_size).fit(X_train, y_train)
        assert torch.equal(knn.predict(X_test), reference.predict(X_test))
        batch_distances, batch_indices = knn.kneighbors(X_test)
        assert torch.equal(batch_indices, indices)
        torch.testing.assert_close(batch_distances, distances)


def test_knn_predict_is_the_vote_of_its_neighbours():
    X_train, y_train = torch.randn(60, 5), torch.randint(0, 3, (60,))
    X_test = torch.randn(17, 5)
    five = KNNClassifier(k=5).fit(X_train, y_train)
    _, indices = five.kneighbors(X_test)
    assert torch.equal(five.vote(indices), five.predict(X_test))
    one = KNNClassifier(k=1).fit(X_train, y_train).predict(X_test)
    assert torch.equal(five.vote(indices[:, :1]), one)
    assert torch.equal(one, y_train[indices[:, 0]])


@pytest.mark.parametrize("p", [1, 2])
def test_one_nn_is_perfect_on_its_distinct_training_points(p):
    X_train, y_train = torch.randn(300, 10), torch.randint(0, 10, (300,))
    knn = KNNClassifier(k=1, p=p, batch_size=64).fit(X_train, y_train)
    assert torch.equal(knn.predict(X_train), y_train)
    _, indices = knn.kneighbors(X_train)
    assert torch.equal(indices[:, 0], torch.arange(300))
    # a duplicate image with another label: the earlier copy answers for both
    X_dup, y_dup = torch.cat([X_train, X_train[:1]]), torch.cat([y_train, (y_train[:1] + 1) % 10])
    predictions = KNNClassifier(k=1, p=p).fit(X_dup, y_dup).predict(X_dup)
    assert (predictions != y_dup).nonzero().flatten().tolist() == [300]


def test_knn_empty_query_and_integer_features():
    knn = KNNClassifier(k=2).fit(torch.tensor([[0, 0], [5, 5], [6, 6]]), torch.tensor([0, 1, 1]))
    assert knn.predict(torch.tensor([[1, 1], [7, 7]])).tolist() == [0, 1]
    assert knn.predict(torch.empty(0, 2)).shape == (0,)
    distances, indices = knn.kneighbors(torch.empty(0, 2))
    assert distances.shape == indices.shape == (0, 2)


def test_knn_argument_errors():
    with pytest.raises(ValueError, match="k must be at least 1"):
        KNNClassifier(k=0)
    for bad_k in (1.5, True, "3"):
        with pytest.raises(TypeError, match="k must be an int"):
            KNNClassifier(k=bad_k)
    with pytest.raises(ValueError, match="p must be 1"):
        KNNClassifier(p=3)
    with pytest.raises(TypeError, match="p must be 1 or 2"):
        KNNClassifier(p="1")
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        KNNClassifier(batch_size=0)
    X, y = torch.randn(4, 3), torch.tensor([0, 1, 0, 1])
    with pytest.raises(RuntimeError, match=r"not fitted yet\. Call 'fit'"):
        KNNClassifier().predict(X)
    with pytest.raises(RuntimeError, match="not fitted yet"):
        KNNClassifier().vote(torch.zeros(1, 1, dtype=torch.long))
    with pytest.raises(ValueError, match="n_neighbors <= n_samples_fit"):
        KNNClassifier(k=5).fit(X, y)
    with pytest.raises(ValueError, match="integer class labels"):
        KNNClassifier().fit(X, y.float())
    with pytest.raises(ValueError, match="one target per row"):
        KNNClassifier().fit(X, y[:3])
    with pytest.raises(ValueError, match="n_samples, n_features"):
        KNNClassifier().fit(X.flatten(), y)
    with pytest.raises(ValueError, match="X has 2 features, but KNNClassifier is expected 3"):
        KNNClassifier().fit(X, y).predict(torch.randn(2, 2))


# --- linear models -----------------------------------------------------------------------------


def test_gradient_descent_linear_regression_agrees_with_closed_form():
    X = torch.randn(200, 5, dtype=torch.float64)
    y = X @ torch.randn(5, dtype=torch.float64) - 0.7 + 0.3 * torch.randn(200, dtype=torch.float64)
    descended = LinearRegression(5, dtype=torch.float64).fit(X, y, lr=0.4, epochs=300)
    exact = LinearRegression(5, dtype=torch.float64).fit_closed_form(X, y)
    # the normal equations (Aᵀ A) θ = Aᵀ y, with a column of ones for the bias
    A = torch.cat([X, torch.ones(200, 1, dtype=torch.float64)], dim=1)
    normal = torch.linalg.solve(A.T @ A, A.T @ y)
    for model in (descended, exact):
        torch.testing.assert_close(model.linear.weight.detach().flatten(), normal[:5], atol=1e-12, rtol=0)
        torch.testing.assert_close(model.linear.bias.detach(), normal[5:], atol=1e-12, rtol=0)
    torch.testing.assert_close(descended.predict(X), exact.predict(X), atol=1e-12, rtol=0)
    assert descended.losses_[-1] < descended.losses_[0]


def test_minibatch_gradient_descent_finds_an_exact_linear_relation():
    X = torch.randn(96, 4, dtype=torch.float64)
    theta = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64)
    model = LinearRegression(4, bias=False, dtype=torch.float64)
    model.fit(X, X @ theta, lr=0.1, epochs=200, batch_size=16, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(model.linear.weight.detach().flatten(), theta, atol=1e-10, rtol=0)
    exact = LinearRegression(4, bias=False, dtype=torch.float64).fit_closed_form(X, X @ theta)
    torch.testing.assert_close(exact.linear.weight.detach().flatten(), theta, atol=1e-12, rtol=0)


def test_linear_regression_leaves_unit_interval_logistic_stays_inside():
    # the slide's picture: 0/1 labels along one feature, overlapping classes, a far sample of class 1
    x = torch.cat([torch.linspace(-3, 1, 20), torch.linspace(-1, 3, 20), torch.tensor([12.0])])
    X, y = x.double().unsqueeze(1), (torch.arange(41) >= 20).double()
    linear = LinearRegression(1, dtype=torch.float64).fit_closed_form(X, y)
    logistic = LogisticRegression(1, dtype=torch.float64).fit(X, y, lr=0.5, epochs=500)
    grid = torch.linspace(-5, 15, 101, dtype=torch.float64).unsqueeze(1)
    linear_predictions, logistic_predictions = linear.predict(grid), logistic(grid).detach()
    assert linear_predictions.min() < 0 and linear_predictions.max() > 1
    assert linear.predict(X).max() > 1  # already on a training sample
    assert logistic_predictions.min() > 0 and logistic_predictions.max() < 1
    assert (logistic.predict(X) == y.long()).double().mean() > 0.7


def _reference_linear(model) -> torch.nn.Linear:
    reference = torch.nn.Linear(model.linear.in_features, model.linear.out_features, dtype=torch.float64)
    reference.load_state_dict(model.linear.state_dict())
    return reference


@pytest.mark.parametrize(
    ("model_class", "regularization", "reference_loss"),
    [
        (LinearSVM, 0.05, lambda scores, y: TF.multi_margin_loss(scores, y, margin=1.0)),
        (LinearSVM, 0.0, lambda scores, y: TF.multi_margin_loss(scores, y)),
        (SoftmaxClassifier, 0.0, TF.cross_entropy),
        (SoftmaxClassifier, 0.05, TF.cross_entropy),
    ],
)
def test_classifier_loss_is_torch_loss_plus_l2(model_class, regularization, reference_loss):
    X, y = torch.randn(12, 6, dtype=torch.float64), torch.randint(0, 4, (12,))
    model = model_class(6, 4, regularization=regularization, dtype=torch.float64)
    reference = _reference_linear(model)
    loss = model.loss(X, y)
    expected = reference_loss(reference(X), y) + regularization * reference.weight.pow(2).sum()
    loss.backward()
    expected.backward()
    torch.testing.assert_close(loss, expected)
    torch.testing.assert_close(model.linear.weight.grad, reference.weight.grad)
    torch.testing.assert_close(model.linear.bias.grad, reference.bias.grad)


@pytest.mark.parametrize(
    ("model_class", "reference_loss", "targets"),
    [
        (LinearRegression, lambda out, y: TF.mse_loss(out.squeeze(1), y), lambda n: torch.randn(n).double()),
        (
            LogisticRegression,
            lambda out, y: TF.binary_cross_entropy(torch.sigmoid(out.squeeze(1)), y),
            lambda n: torch.randint(0, 2, (n,)).double(),
        ),
    ],
)
def test_regression_loss_is_torch_loss(model_class, reference_loss, targets):
    X, y = torch.randn(12, 6, dtype=torch.float64), targets(12)
    model = model_class(6, dtype=torch.float64)
    reference = _reference_linear(model)
    torch.testing.assert_close(model.loss(X, y), reference_loss(reference(X), y))


@pytest.mark.parametrize(
    "make_model",
    [
        lambda: LinearRegression(6, dtype=torch.float64),
        lambda: LogisticRegression(6, dtype=torch.float64),
        lambda: LinearSVM(6, 3, regularization=0.1, dtype=torch.float64),
        lambda: SoftmaxClassifier(6, 3, regularization=0.1, dtype=torch.float64),
    ],
)
def test_fit_step_goes_down_the_gradient(make_model):
    """One full-batch epoch is exactly θ - ε ∇C(θ), with ∇C from torch's autograd."""
    model = make_model()
    X, y = torch.randn(10, 6, dtype=torch.float64), torch.randint(0, 2, (10,))
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    gradients = dict(
        zip(before, torch.autograd.grad(model.loss(X, y), list(model.parameters())), strict=True)
    )
    cost_before = model.loss(X, y).item()
    model.fit(X, y, lr=0.05, epochs=1)
    for name, parameter in model.named_parameters():
        torch.testing.assert_close(parameter.detach(), before[name] - 0.05 * gradients[name])
        assert parameter.grad is None
    assert model.losses_ == [pytest.approx(cost_before)]
    assert model.loss(X, y).item() < cost_before


@pytest.mark.parametrize("model_class", [LinearSVM, SoftmaxClassifier])
def test_linear_classifiers_learn_a_separable_problem(model_class):
    centres = torch.tensor([[4.0, 0.0], [-4.0, 0.0], [0.0, 4.0], [0.0, -4.0]])
    y = torch.arange(4).repeat_interleave(30)
    X = centres[y] + 0.5 * torch.randn(120, 2)
    model = model_class(2, 4, regularization=1e-3).fit(X, y, lr=0.1, epochs=30, batch_size=16)
    assert torch.equal(model.predict(X), y)
    assert model.losses_[-1] < model.losses_[0]
    X_new = centres[y] + 0.5 * torch.randn(120, 2)
    assert (model.predict(X_new) == y).float().mean() > 0.95


def test_minibatch_order_follows_the_generator():
    X, y = torch.randn(50, 3), torch.randint(0, 3, (50,))
    fitted = []
    for _ in range(2):
        torch.manual_seed(1)
        model = SoftmaxClassifier(3, 3)
        model.fit(X, y, lr=0.1, epochs=2, batch_size=8, generator=torch.Generator().manual_seed(5))
        fitted.append(model.linear.weight.detach())
    torch.testing.assert_close(fitted[0], fitted[1], atol=0, rtol=0)


def test_fit_works_under_no_grad():
    X, y = torch.randn(20, 3), torch.randint(0, 2, (20,))
    model = LogisticRegression(3)
    with torch.no_grad():
        model.fit(X, y, lr=0.5, epochs=5)
    assert model.losses_[-1] < model.losses_[0]


def test_linear_model_argument_errors():
    X, y = torch.randn(8, 3), torch.randint(0, 2, (8,))
    model = SoftmaxClassifier(3, 2)
    with pytest.raises(ValueError, match="lr must be positive"):
        model.fit(X, y, lr=0.0)
    with pytest.raises(TypeError, match="lr must be a real number"):
        model.fit(X, y, lr="0.1")
    with pytest.raises(ValueError, match="epochs must be at least 0"):
        model.fit(X, y, epochs=-1)
    with pytest.raises(TypeError, match="epochs must be an int"):
        model.fit(X, y, epochs=2.0)
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        model.fit(X, y, batch_size=0)
    with pytest.raises(ValueError, match="one target per row"):
        model.fit(X, y[:5])
    with pytest.raises(ValueError, match="regularization must be non-negative"):
        LinearSVM(3, 2, regularization=-1.0)
    with pytest.raises(IndexError, match="out of bounds"):  # the loss's own target check
        model.fit(X, torch.full((8,), 5))


# --- examples ----------------------------------------------------------------------------------


@pytest.fixture
def examples(monkeypatch):
    """The example scripts as modules (they import their helper as a sibling, as when run)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return {
        name: importlib.import_module(name)
        for name in ("nearest_neighbour", "linear_vs_logistic", "linear_classifiers", "results")
    }


def _fake_image_folder(root: Path, per_class: dict[str, int]) -> None:
    """``root/{train,test}/<class>/<n>.png``: noisy images whose mean colour gives the class."""
    rng = np.random.default_rng(0)
    for split, count in per_class.items():
        for label, name in enumerate(CLASSES):
            (root / split / name).mkdir(parents=True)
            for index in range(count):
                pixels = np.clip(label * 25 + rng.integers(0, 40, (32, 32, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(root / split / name / f"{index}.png")


def _table(text: str) -> dict[tuple[str, str], str]:
    """{(model, metric): value} of the markdown rows (the first row of each pair)."""
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 5 and cells[0] not in ("model", "---"):
            rows.setdefault((cells[0], cells[2]), cells[3])
    return rows


@pytest.mark.parametrize("name", ["nearest_neighbour", "linear_vs_logistic", "linear_classifiers", "results"])
def test_example_help(examples, name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        examples[name].main(["--help"])
    assert exit_info.value.code == 0
    assert "--data-root" in capsys.readouterr().out


def test_example_without_data_suggests_data_root(examples, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        examples["results"].main(["--data-root", str(tmp_path / "missing")])
    assert exit_info.value.code == 2
    assert "pass --data-root PATH" in capsys.readouterr().err


def test_default_data_root_is_beside_the_repository(examples):
    assert examples["results"].make_parser("").get_default("data_root").resolve() == SUBSET.resolve()


def test_results_table_on_a_fake_image_folder(examples, tmp_path, capsys):
    _fake_image_folder(tmp_path, {"train": 6, "test": 2})
    examples["results"].main(["--data-root", str(tmp_path)])
    output = capsys.readouterr().out
    table = _table(output)
    assert len([line for line in output.splitlines() if line.startswith("| ")]) == 14  # header + 13 rows
    assert table[("1-NN", "train accuracy")] == "100.0 %"
    assert "inside [0, 1]" in table[("LogisticRegression", "test ŷ range")]
    assert float(table[("LinearRegression", "max abs Δθ")]) < 1e-10
    assert "total" in output


@pytest.mark.slow
@pytest.mark.skipif(not SUBSET.is_dir(), reason="../shared/data/cifar10-5k is not present")
def test_results_table_on_cifar10_subset(examples, capsys):
    """The README's claims on the real subset (about 40-70 s on 2 CPU cores)."""
    examples["results"].main([])
    table = _table(capsys.readouterr().out)

    def percent(model, metric):
        return float(table[(model, metric)].rstrip(" %"))

    assert 27 <= percent("1-NN", "test accuracy") <= 33  # L1, the first 1-NN row
    assert 28 <= percent("5-NN", "test accuracy") <= 35
    assert percent("1-NN", "train accuracy") == 100.0
    assert "leaves [0, 1]" in table[("LinearRegression", "test ŷ range")]
    assert "inside [0, 1]" in table[("LogisticRegression", "test ŷ range")]
    assert float(table[("LinearRegression", "max abs Δθ")]) < 1e-10
    assert percent("SoftmaxClassifier", "test accuracy") >= 33
    assert percent("LinearSVM", "test accuracy") >= 30
