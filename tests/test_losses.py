"""The losses' argument and target checks: each bad call raises what torch.nn raises, where the
user called, with a message that names the problem; and BCELoss refuses autocast as torch's does."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF

import torchlayers.functional as F
import torchlayers.nn as tnn

SCORES = torch.randn(4, 3)
CLASSES = torch.tensor([0, 2, 1, 2])
PROBABILITIES = torch.rand(4, 3).softmax(-1)

# (id, call with our functional / module, the same call with torch's, words the message must hold)
BAD_CALLS = [
    ("ce_class_out_of_range", "cross_entropy", (SCORES, torch.tensor([0, 3, 1, 2])), {}, "out of bounds"),
    ("ce_negative_class", "cross_entropy", (SCORES, torch.tensor([0, -2, 1, 2])), {}, "out of bounds"),
    ("ce_float_target_wrong_shape", "cross_entropy", (SCORES, torch.rand(4, 2)), {}, None),
    ("ce_target_batch_mismatch", "cross_entropy", (SCORES, torch.tensor([0, 1])), {}, None),
    ("ce_int_target_wrong_dtype", "cross_entropy", (SCORES, CLASSES.int()), {}, None),
    ("ce_weight_wrong_size", "cross_entropy", (SCORES, CLASSES), {"weight": torch.ones(4)}, None),
    ("ce_bad_reduction", "cross_entropy", (SCORES, CLASSES), {"reduction": "avg"}, "reduction"),
    ("ce_smoothing_above_one", "cross_entropy", (SCORES, CLASSES), {"label_smoothing": 1.5}, None),
    ("nll_class_out_of_range", "nll_loss", (SCORES.log_softmax(1), torch.tensor([0, 5, 1, 2])), {}, None),
    ("nll_1d_target_for_3d_input", "nll_loss", (torch.randn(2, 3, 4), torch.tensor([0, 1])), {}, None),
    (
        "bce_input_above_one",
        "binary_cross_entropy",
        (torch.tensor([0.5, 1.5]), torch.tensor([1.0, 0.0])),
        {},
        "between 0 and 1",
    ),
    (
        "bce_input_negative",
        "binary_cross_entropy",
        (torch.tensor([-0.1, 0.5]), torch.tensor([1.0, 0.0])),
        {},
        "between 0 and 1",
    ),
    ("bce_shape_mismatch", "binary_cross_entropy", (torch.rand(3), torch.rand(4)), {}, None),
    ("mm_p_three", "multi_margin_loss", (SCORES, CLASSES), {"p": 3}, "p"),
    ("mm_class_out_of_range", "multi_margin_loss", (SCORES, torch.tensor([0, 3, 1, 2])), {}, None),
    ("mm_weight_2d", "multi_margin_loss", (SCORES, CLASSES), {"weight": torch.ones(3, 1)}, None),
    ("mse_shapes_do_not_broadcast", "mse_loss", (torch.rand(3), torch.rand(4)), {}, None),
    ("mse_bad_reduction", "mse_loss", (torch.rand(3), torch.rand(3)), {"reduction": "avg"}, "reduction"),
    (
        "smooth_l1_negative_beta",
        "smooth_l1_loss",
        (SCORES, SCORES),
        {"beta": -1.0},
        "negative values for beta",
    ),
    ("smooth_l1_shapes_do_not_broadcast", "smooth_l1_loss", (torch.rand(3), torch.rand(4)), {}, None),
    ("smooth_l1_bad_reduction", "smooth_l1_loss", (SCORES, SCORES), {"reduction": "avg"}, "reduction"),
    ("smooth_l1_integer", "smooth_l1_loss", (CLASSES, CLASSES), {}, None),
    ("soft_margin_target_grad", "soft_margin_loss", (SCORES, SCORES.sign().requires_grad_()), {}, "'target'"),
    ("soft_margin_target_wider", "soft_margin_loss", (torch.rand(3), SCORES.sign()), {}, "broadcast shape"),
    ("soft_margin_bad_reduction", "soft_margin_loss", (SCORES, SCORES), {"reduction": "avg"}, "reduction"),
    (
        "margin_ranking_dims_differ",
        "margin_ranking_loss",
        (SCORES, torch.rand(3), SCORES),
        {},
        "All input tensors should have same dimension",
    ),
    ("margin_ranking_no_broadcast", "margin_ranking_loss", (SCORES, torch.rand(4, 2), SCORES), {}, None),
    (
        "margin_ranking_bad_reduction",
        "margin_ranking_loss",
        (SCORES, SCORES, SCORES),
        {"reduction": "x"},
        None,
    ),
    ("softmax_dim_out_of_range", "softmax", (SCORES,), {"dim": 2}, None),
    ("log_softmax_dim_out_of_range", "log_softmax", (SCORES,), {"dim": -3}, None),
]


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch warns about broadcasting mismatched sizes
@pytest.mark.parametrize(
    ("name", "args", "kwargs", "words"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS]
)
def test_bad_calls_raise_like_torch(name, args, kwargs, words):
    with pytest.raises(Exception) as theirs:
        getattr(TF, name)(*args, **kwargs)
    with pytest.raises(Exception) as ours:
        getattr(F, name)(*args, **kwargs)
    assert ours.type is theirs.type, (ours.value, theirs.value)
    assert str(ours.value), "the error must say what is wrong"
    if words is not None:
        assert words in str(ours.value)
    # raised where the user called: in our wrapper, not inside autograd's backward
    assert any("torchlayers/functional/" in entry.path.as_posix() for entry in ours.traceback)


@pytest.mark.parametrize(
    ("module", "kwargs"),
    [
        ("MultiMarginLoss", {"p": 3}),
        ("MultiMarginLoss", {"weight": torch.ones(2, 2)}),
        ("CrossEntropyLoss", {"reduction": "avg"}),
        ("NLLLoss", {"reduction": "avg"}),
        ("MSELoss", {"reduction": "avg"}),
        ("BCELoss", {"reduction": "avg"}),
        ("SmoothL1Loss", {"reduction": "avg"}),
        ("SmoothL1Loss", {"beta": -0.5}),
        ("SoftMarginLoss", {"reduction": "avg"}),
        ("MarginRankingLoss", {"reduction": "avg"}),
    ],
    ids=lambda value: value if isinstance(value, str) else "-".join(value),
)
def test_bad_loss_arguments_raise_like_torch(module, kwargs):
    """At construction where torch checks there, else at the first call."""

    def build_and_call(namespace):
        loss = getattr(namespace, module)(**kwargs)
        if module == "BCELoss":
            return loss(PROBABILITIES, PROBABILITIES)
        if module in ("MSELoss", "SmoothL1Loss", "SoftMarginLoss"):
            return loss(SCORES, SCORES)
        if module == "MarginRankingLoss":
            return loss(SCORES, SCORES, SCORES.sign())
        return loss(SCORES.log_softmax(1) if module == "NLLLoss" else SCORES, CLASSES)

    with pytest.raises(Exception) as theirs:
        build_and_call(torch.nn)
    with pytest.raises(theirs.type):
        build_and_call(tnn)


@pytest.mark.parametrize("device", [pytest.param("cpu"), pytest.param("cuda", marks=pytest.mark.cuda)])
def test_bce_under_autocast_behaves_like_torch(device):
    """CUDA autocast refuses binary_cross_entropy (it is unsafe in float16); CPU autocast runs it
    in float32. Ours does the same in each case."""
    x = torch.rand(4, device=device, dtype=torch.bfloat16)
    y = torch.rand(4, device=device, dtype=torch.bfloat16)
    with torch.autocast(device, dtype=torch.bfloat16):
        try:
            expected = TF.binary_cross_entropy(x, y)
        except Exception as error:
            with pytest.raises(type(error), match="unsafe to autocast"):
                F.binary_cross_entropy(x, y)
            with pytest.raises(type(error), match="unsafe to autocast"):
                tnn.BCELoss()(x, y)
            return
        ours = F.binary_cross_entropy(x, y)
    assert ours.dtype == expected.dtype
    torch.testing.assert_close(ours, expected)


def test_bce_log_is_clamped_at_minus_100_like_torch():
    x = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=torch.float64)
    ours = F.binary_cross_entropy(x, y, reduction="none")
    torch.testing.assert_close(ours, TF.binary_cross_entropy(x, y, reduction="none"))
    torch.testing.assert_close(ours, torch.tensor([100.0, 100.0, 0.0, 0.0], dtype=torch.float64))
    assert torch.isfinite(torch.autograd.grad(ours.sum(), x)[0]).all()


def test_cross_entropy_is_stable_for_huge_logits():
    """log-sum-exp, not log(softmax): 1e4-sized scores give finite losses and gradients."""
    x = torch.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, 1e4]], requires_grad=True)
    target = torch.tensor([1, 2])
    loss = F.cross_entropy(x, target, reduction="none")
    torch.testing.assert_close(loss, TF.cross_entropy(x, target, reduction="none"))
    assert torch.isfinite(loss).all() and loss[0] == 1e4
    assert torch.isfinite(torch.autograd.grad(loss.sum(), x)[0]).all()
