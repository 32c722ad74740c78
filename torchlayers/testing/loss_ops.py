"""Registry entries for the losses and the softmax (appended to ``OPS`` / ``MODULES``).

Targets follow torch's differentiability: class indices are integer tensors (never in
``SampleInput.tensors()``), while float targets (BCE, MSE, smooth L1, margin ranking, class
probabilities) are differentiable arguments in torch and here, so they are positional and
checked too. Class weights go in ``kwargs``: torch refuses gradients for them (nll_loss,
multi_margin_loss, BCE), so the generic tests must not differentiate them; so does
soft_margin_loss's target, which is an integer ±1 tensor or, in floating point, a keyword.

Each sample keeps values off the losses' kinks (the hinge at margin - x_y + x_i = 0, smooth L1
at |x - y| = β, the ranking hinge at -y (x₁ - x₂) + margin = 0) and inside BCE's open interval
(0, 1), so finite differences are valid.
"""

from __future__ import annotations

import torch
import torch.nn.functional as TF

import torchlayers.autograd as A
import torchlayers.functional as F
import torchlayers.nn as tnn
from torchlayers.testing.registry import FLOAT_DTYPES, ModuleInfo, OpInfo, SampleInput, make_tensor

REDUCTIONS = ("none", "mean", "sum")
FULL_PRECISION = (torch.float64, torch.float32)


def _scores(shape, device, dtype, requires_grad, low=-3.0, high=3.0):
    x = torch.empty(shape, dtype=torch.float64, device=device).uniform_(low, high).to(dtype)
    return x.requires_grad_(requires_grad)


def _classes(shape, n_classes, device):
    return torch.randint(0, n_classes, shape, device=device)


def _class_weight(n_classes, device, dtype):
    return torch.empty(n_classes, dtype=torch.float64, device=device).uniform_(0.2, 2.0).to(dtype)


def _probabilities(shape, device, dtype, requires_grad, class_dim=1):
    p = torch.rand(shape, dtype=torch.float64, device=device).add_(0.1)
    p = (p / p.sum(class_dim, keepdim=True)).to(dtype)
    return p.requires_grad_(requires_grad)


# --- softmax --------------------------------------------------------------------------------


def softmax_samples(device, dtype, requires_grad):
    cases = [((4, 5), 1), ((4, 5), 0), ((2, 3, 4), -1), ((6,), 0), ((), 0), ((0, 3), 1)]
    samples = [SampleInput((_scores(shape, device, dtype, requires_grad), dim)) for shape, dim in cases]
    big = _scores((3, 4), device, dtype, requires_grad, -1e4, 1e4)  # log-sum-exp at huge logits
    samples.append(SampleInput((big, 1), name="large_logits"))
    x = _scores((4, 10), device, dtype, False)[:, ::2].detach().requires_grad_(requires_grad)
    samples.append(SampleInput((x, 1), name="noncontiguous"))
    return samples


def _softmax_function_args(args, kwargs):
    return (args[0], args[1] if len(args) > 1 else kwargs["dim"])


# --- cross entropy and nll ------------------------------------------------------------------


def _class_index_cases(device, dtype, requires_grad):
    """(input, target) pairs: a batch with an ignored target, unbatched, K-dimensional, empty."""
    batch = _scores((6, 4), device, dtype, requires_grad)
    target = _classes((6,), 4, device)
    target[2] = -100
    return [
        ("batch", batch, target),
        ("unbatched", _scores((4,), device, dtype, requires_grad), torch.tensor(2, device=device)),
        ("k1", _scores((2, 4, 3), device, dtype, requires_grad), _classes((2, 3), 4, device)),
        ("k2", _scores((2, 4, 3, 2), device, dtype, requires_grad), _classes((2, 3, 2), 4, device)),
    ]


def class_index_samples(label_smoothing=0.0):
    def samples(device, dtype, requires_grad):
        out = []
        smoothing = {"label_smoothing": label_smoothing} if label_smoothing else {}
        for name, input, target in _class_index_cases(device, dtype, requires_grad):
            for reduction in REDUCTIONS:
                out.append(SampleInput((input, target), {"reduction": reduction, **smoothing}, name))
            weight = _class_weight(input.shape[0 if input.dim() == 1 else 1], device, dtype)
            out.append(SampleInput((input, target), {"weight": weight, **smoothing}, f"{name}_weight"))
            out.append(
                SampleInput(
                    (input, target.masked_fill(target == -100, 1)),
                    {"weight": weight, "reduction": "sum", "ignore_index": 1, **smoothing},
                    f"{name}_weight_ignore_1",
                )
            )
        empty = _scores((0, 4), device, dtype, requires_grad)
        out.append(
            SampleInput((empty, _classes((0,), 4, device)), {"reduction": "sum", **smoothing}, "empty")
        )
        return out

    return samples


def probability_samples(device, dtype, requires_grad):
    out = []
    for shape in [(5, 4), (4,), (2, 4, 3)]:
        class_dim = 0 if len(shape) == 1 else 1
        input = _scores(shape, device, dtype, requires_grad)
        target = _probabilities(shape, device, dtype, requires_grad, class_dim)
        weight = _class_weight(shape[class_dim], device, dtype)
        for reduction in REDUCTIONS:
            out.append(SampleInput((input, target), {"reduction": reduction}, f"{shape}"))
        out.append(
            SampleInput((input, target), {"weight": weight, "label_smoothing": 0.2}, f"{shape}_weight_ls")
        )
        out.append(SampleInput((input, target), {"reduction": "sum", "label_smoothing": 0.05}, f"{shape}_ls"))
    return out


def _nll_args(args, kwargs):
    return (
        args[0],
        args[1],
        kwargs.get("weight"),
        kwargs.get("reduction", "mean"),
        kwargs.get("ignore_index", -100),
    )


def _cross_entropy_args(args, kwargs):
    return (*_nll_args(args, kwargs), kwargs.get("label_smoothing", 0.0))


def _cross_entropy_probability_args(args, kwargs):
    input, target = args
    log_probs = F.log_softmax(input, A.class_dim_of(input))
    smoothing = kwargs.get("label_smoothing", 0.0)
    return (log_probs, target, kwargs.get("weight"), smoothing, kwargs.get("reduction", "mean"))


def nll_samples(device, dtype, requires_grad):
    """nll_loss takes log-probabilities: the class-index samples with log_softmax applied."""
    out = []
    for sample in class_index_samples()(device, dtype, requires_grad):
        input, target = sample.args
        dim = 0 if input.dim() == 1 else 1
        log_probs = torch.log_softmax(input.detach(), dim).requires_grad_(requires_grad)
        out.append(SampleInput((log_probs, target), sample.kwargs, sample.name))
    return out


# --- regression, binary classification, hinge -----------------------------------------------


def mse_samples(device, dtype, requires_grad):
    out = []
    for shape in [(4, 3), (7,), (), (0, 2)]:
        input = _scores(shape, device, dtype, requires_grad)
        target = _scores(shape, device, dtype, requires_grad)
        for reduction in REDUCTIONS:
            if shape == (0, 2) and reduction == "mean":
                continue  # 0/0: NaN in torch too, and no finite difference to check
            out.append(SampleInput((input, target), {"reduction": reduction}, f"{shape}"))
    input, target = (
        _scores((4, 3), device, dtype, requires_grad),
        _scores((4, 3), device, dtype, requires_grad),
    )
    weight = _scores((4, 3), device, dtype, False, 0.2, 2.0)
    for reduction in REDUCTIONS:
        out.append(SampleInput((input, target), {"reduction": reduction, "weight": weight}, "weighted"))
    return out


def bce_samples(device, dtype, requires_grad):
    out = []
    for shape in [(4, 3), (7,), ()]:
        input = _scores(shape, device, dtype, requires_grad, 0.05, 0.95)
        target = _scores(shape, device, dtype, requires_grad, 0.05, 0.95)  # gradcheck steps stay in [0, 1]
        for reduction in REDUCTIONS:
            out.append(SampleInput((input, target), {"reduction": reduction}, f"{shape}"))
    input = _scores((4, 3), device, dtype, requires_grad, 0.05, 0.95)
    target = _scores((4, 3), device, dtype, requires_grad, 0.05, 0.95)
    out.append(SampleInput((input, target), {"weight": _class_weight(3, device, dtype)}, "broadcast_weight"))
    weight = _scores((4, 3), device, dtype, False, 0.2, 2.0)
    out.append(SampleInput((input, target), {"weight": weight, "reduction": "sum"}, "weight"))
    return out


def _bce_args(args, kwargs):
    input, target = args
    weight = kwargs.get("weight")
    return (
        input,
        target,
        None if weight is None else weight.expand(input.shape),
        kwargs.get("reduction", "mean"),
    )


def _off_hinge_scores(shape, device, dtype, requires_grad):
    """Scores 0.31 apart (plus noise ≤ 0.02): margin - x_y + x_i stays ≥ 0.03 from 0 for the
    margins used below (1.0 and 0.5), so the hinge is differentiable at every sample."""
    n_classes = shape[-1] if shape else 1
    rows = max(1, int(torch.Size(shape[:-1]).numel())) if shape else 1
    ranks = torch.stack([torch.randperm(n_classes) for _ in range(rows)]).to(torch.float64)
    noise = torch.empty(rows, n_classes, dtype=torch.float64).uniform_(-0.02, 0.02)
    x = (0.31 * ranks + noise).reshape(shape).to(device=device, dtype=dtype)
    return x.requires_grad_(requires_grad)


def multi_margin_samples(device, dtype, requires_grad):
    out = []
    batch = _off_hinge_scores((6, 5), device, dtype, requires_grad)
    target = _classes((6,), 5, device)
    weight = _class_weight(5, device, dtype)
    for p in (1, 2):
        for margin in (1.0, 0.5):
            for reduction in REDUCTIONS:
                kwargs = {"p": p, "margin": margin, "reduction": reduction}
                out.append(SampleInput((batch, target), kwargs, f"p{p}"))
            out.append(
                SampleInput((batch, target), {"p": p, "margin": margin, "weight": weight}, f"p{p}_weight")
            )
        unbatched = _off_hinge_scores((5,), device, dtype, requires_grad)
        out.append(SampleInput((unbatched, torch.tensor(3, device=device)), {"p": p}, "unbatched"))
    return out


def _multi_margin_args(args, kwargs):
    return (
        args[0],
        args[1],
        kwargs.get("p", 1),
        kwargs.get("margin", 1.0),
        kwargs.get("weight"),
        kwargs.get("reduction", "mean"),
    )


def _off_kink_pair(shape, device, dtype, requires_grad, kinks):
    """(input, target) whose difference x - y stays 0.1 away from ``kinks`` (drawn in float64,
    so rounding to bfloat16 moves it by far less)."""
    target = make_tensor(shape, device, torch.float64, False)
    diff = make_tensor(shape, device, torch.float64, False, -2.5, 2.5, kinks)
    input = (target + diff).to(dtype).requires_grad_(requires_grad)
    return input, target.to(dtype).requires_grad_(requires_grad)


def smooth_l1_samples(device, dtype, requires_grad):
    out = []
    cases = [((4, 3), 1.0, REDUCTIONS), ((7,), 0.5, ("mean",)), ((4, 3), 0.0, ("none", "sum"))]
    cases += [((), 2.0, ("sum",)), ((0, 2), 1.0, ("sum",))]
    for shape, beta, reductions in cases:
        input, target = _off_kink_pair(shape, device, dtype, requires_grad, (-beta, beta))
        for reduction in reductions:
            name = f"{shape}_l1" if beta == 0 else f"{shape}"
            out.append(SampleInput((input, target), {"reduction": reduction, "beta": beta}, name))
    return out


def _signs(shape, device, dtype=torch.int64):
    return (torch.randint(0, 2, shape, device=device) * 2 - 1).to(dtype)


def soft_margin_samples(device, dtype, requires_grad):
    out = []
    input = _scores((4, 3), device, dtype, requires_grad)
    for reduction in REDUCTIONS:
        out.append(SampleInput((input, _signs((4, 3), device)), {"reduction": reduction}, "(4, 3)"))
    out.append(SampleInput((input, _signs((3,), device)), {}, "broadcast_target"))
    vector = _scores((7,), device, dtype, requires_grad)
    # a floating target may not require grad (torch refuses it): a keyword, never differentiated
    out.append(
        SampleInput((vector,), {"target": _signs((7,), device, dtype), "reduction": "sum"}, "float_target")
    )
    out.append(SampleInput((_scores((), device, dtype, requires_grad), _signs((), device)), {}, "()"))
    return out


def _soft_margin_args(args, kwargs):
    target = args[1] if len(args) > 1 else kwargs["target"]
    return (args[0], target, kwargs.get("reduction", "mean"))


def _ranked_triple(shapes, margin, device, dtype, requires_grad):
    """(x₁, x₂, y) with y = ±1 and u = -y (x₁ - x₂) + margin at least 0.15 from the kink u = 0
    (x₁ is moved along -y sign(u) where it is closer), in the broadcast shape of x₁."""
    shape1, shape2, target_shape = shapes
    x2 = make_tensor(shape2, device, torch.float64, False)
    y = _signs(target_shape, device, torch.float64)
    x1 = make_tensor(shape1, device, torch.float64, False)
    u = -y * (x1 - x2) + margin
    x1 = torch.where(u.abs() < 0.15, x1 - y * 0.3 * torch.where(u >= 0, 1.0, -1.0), x1)
    return tuple(t.to(dtype).requires_grad_(requires_grad) for t in (x1, x2, y))


def margin_ranking_samples(device, dtype, requires_grad):
    out = []
    cases = [
        (((6,), (6,), (6,)), 0.0, REDUCTIONS),
        (((6,), (6,), (6,)), 0.5, ("sum",)),
        (((4, 3), (1, 3), (4, 1)), 0.2, ("mean",)),  # the three broadcast
        (((), (), ()), 0.5, ("none",)),
        (((0,), (0,), (0,)), 0.0, ("sum",)),
    ]
    for shapes, margin, reductions in cases:
        x1, x2, y = _ranked_triple(shapes, margin, device, dtype, requires_grad)
        for reduction in reductions:
            out.append(SampleInput((x1, x2, y), {"margin": margin, "reduction": reduction}, f"{shapes[0]}"))
    return out


def l2_samples(device, dtype, requires_grad):
    def t(*shape):
        return _scores(shape, device, dtype, requires_grad)

    return [
        SampleInput((t(4, 3),), {"weight": 0.1}),
        SampleInput((t(4, 3), t(3), t(2, 2, 2)), {"weight": 1e-3}, "three_tensors"),
        SampleInput((t(),), {"weight": 2.0}, "scalar"),
    ]


def l2_reference(*tensors, weight):
    return weight * sum((t * t).sum() for t in tensors)


# --- the registry ---------------------------------------------------------------------------

LOSS_OPS: list[OpInfo] = [
    OpInfo(
        "softmax",
        F.softmax,
        TF.softmax,
        A.SoftmaxFunction,
        softmax_samples,
        function_args=_softmax_function_args,
    ),
    OpInfo(
        "log_softmax",
        F.log_softmax,
        TF.log_softmax,
        A.LogSoftmaxFunction,
        softmax_samples,
        function_args=_softmax_function_args,
    ),
    OpInfo(
        "softmin",
        F.softmin,
        TF.softmin,
        A.SoftminFunction,
        softmax_samples,
        function_args=_softmax_function_args,
    ),
    OpInfo(
        "nll_loss",
        F.nll_loss,
        TF.nll_loss,
        A.NLLLossFunction,
        nll_samples,
        autocast_output="float32",
        function_args=_nll_args,
    ),
    OpInfo(
        "cross_entropy",
        F.cross_entropy,
        TF.cross_entropy,
        A.CrossEntropyFunction,
        class_index_samples(),
        autocast_output="float32",
        function_args=_cross_entropy_args,
    ),
    OpInfo(
        "cross_entropy_label_smoothing",
        F.cross_entropy,
        TF.cross_entropy,
        A.CrossEntropyFunction,
        class_index_samples(label_smoothing=0.2),
        autocast_output="float32",
        function_args=_cross_entropy_args,
    ),
    OpInfo(
        "cross_entropy_probabilities",
        F.cross_entropy,
        TF.cross_entropy,
        A.SoftTargetNLLLossFunction,
        probability_samples,
        autocast_output="float32",
        function_args=_cross_entropy_probability_args,
    ),
    OpInfo(
        "mse_loss",
        F.mse_loss,
        TF.mse_loss,
        A.MSELossFunction,
        mse_samples,
        autocast_output="float32",
        function_args=lambda args, kwargs: (*args, kwargs.get("weight"), kwargs.get("reduction", "mean")),
    ),
    OpInfo(
        "binary_cross_entropy",
        F.binary_cross_entropy,
        TF.binary_cross_entropy,
        A.BCELossFunction,
        bce_samples,
        autocast_output="float32",
        function_args=_bce_args,
        # CPU autocast: float32 (checked in test_losses.py); CUDA autocast refuses BCE, in
        # torch and here, so the autocast check has nothing to compare.
        skips={"autocast": "torch refuses BCE under CUDA autocast; test_losses.py covers both devices"},
    ),
    OpInfo(
        "multi_margin_loss",
        F.multi_margin_loss,
        TF.multi_margin_loss,
        A.MultiMarginLossFunction,
        multi_margin_samples,
        autocast_output="float32",
        # torch's CPU kernel has no float16/bfloat16; ours is checked against float32 in test_hinge.py
        dtypes=FULL_PRECISION,
        function_args=_multi_margin_args,
    ),
    OpInfo(
        "smooth_l1_loss",
        F.smooth_l1_loss,
        TF.smooth_l1_loss,
        A.SmoothL1LossFunction,
        smooth_l1_samples,
        autocast_output="float32",
        function_args=lambda args, kwargs: (*args, kwargs.get("reduction", "mean"), kwargs.get("beta", 1.0)),
    ),
    OpInfo(
        "soft_margin_loss",
        F.soft_margin_loss,
        TF.soft_margin_loss,
        A.SoftMarginLossFunction,
        soft_margin_samples,
        autocast_output="float32",
        function_args=_soft_margin_args,
    ),
    OpInfo(
        "margin_ranking_loss",
        F.margin_ranking_loss,
        TF.margin_ranking_loss,
        A.MarginRankingLossFunction,
        margin_ranking_samples,
        autocast_output="float32",
        function_args=lambda args, kwargs: (
            *args,
            kwargs.get("margin", 0.0),
            kwargs.get("reduction", "mean"),
        ),
    ),
    OpInfo(
        "l2_regularization",
        F.l2_regularization,
        l2_reference,
        A.L2RegularizationFunction,
        l2_samples,
        dtypes=FLOAT_DTYPES,
        function_args=lambda args, kwargs: (kwargs["weight"], *args),
    ),
]


# --- modules --------------------------------------------------------------------------------


def _classification_input(n_classes=5):
    def make(device, dtype):
        scores = torch.randn(4, n_classes, device=device, dtype=dtype)
        return scores, torch.randint(0, n_classes, (4,), device=device)

    return make


def _kdim_classification_input(device, dtype):
    return torch.randn(2, 5, 3, device=device, dtype=dtype), torch.randint(0, 5, (2, 3), device=device)


def _log_probability_input(device, dtype):
    scores, target = _classification_input()(device, dtype)
    return torch.log_softmax(scores, 1), target


def _margin_input(device, dtype):
    return _off_hinge_scores((4, 5), device, dtype, False), torch.randint(0, 5, (4,), device=device)


def _regression_input(device, dtype):
    return torch.randn(4, 3, device=device, dtype=dtype), torch.randn(4, 3, device=device, dtype=dtype)


def _binary_input(device, dtype):
    input = torch.empty(4, 3, device=device, dtype=dtype).uniform_(0.05, 0.95)
    return input, torch.randint(0, 2, (4, 3), device=device).to(dtype)


def _smooth_l1_input(device, dtype):
    return _off_kink_pair((4, 3), device, dtype, False, (-1.0, -0.5, 0.0, 0.5, 1.0))


def _soft_margin_input(device, dtype):
    return torch.randn(4, 3, device=device, dtype=dtype), _signs((4, 3), device, dtype)


def _ranking_input(device, dtype):
    return _ranked_triple(((5,), (5,), (5,)), 0.5, device, dtype, False)


def _scores_input(device, dtype):
    return (torch.randn(4, 5, device=device, dtype=dtype),)


_CLASS_WEIGHT = torch.tensor([0.5, 1.0, 2.0, 1.5, 0.25])

LOSS_MODULES: list[ModuleInfo] = [
    ModuleInfo(
        tnn.Softmax,
        torch.nn.Softmax,
        [{"dim": 1}, {"dim": -1}, {"dim": 0}],
        _scores_input,
        functional=lambda m, x: F.softmax(x, m.dim),
    ),
    ModuleInfo(
        tnn.Softmin,
        torch.nn.Softmin,
        [{"dim": 1}, {"dim": 0}],
        _scores_input,
        functional=lambda m, x: F.softmin(x, m.dim),
    ),
    ModuleInfo(
        tnn.LogSoftmax,
        torch.nn.LogSoftmax,
        [{"dim": 1}, {"dim": 0}],
        _scores_input,
        functional=lambda m, x: F.log_softmax(x, m.dim),
    ),
    ModuleInfo(
        tnn.CrossEntropyLoss,
        torch.nn.CrossEntropyLoss,
        [
            {},
            {"reduction": "sum"},
            {"reduction": "none"},
            {"weight": _CLASS_WEIGHT},
            {"ignore_index": 1, "label_smoothing": 0.1},
            {"weight": _CLASS_WEIGHT, "label_smoothing": 0.2, "reduction": "sum"},
        ],
        _classification_input(),
        functional=lambda m, x, y: F.cross_entropy(
            x,
            y,
            m.weight,
            ignore_index=m.ignore_index,
            reduction=m.reduction,
            label_smoothing=m.label_smoothing,
        ),
    ),
    ModuleInfo(
        tnn.CrossEntropyLoss,
        torch.nn.CrossEntropyLoss,
        [{}, {"reduction": "none", "label_smoothing": 0.3}],
        _kdim_classification_input,
        functional=lambda m, x, y: F.cross_entropy(
            x, y, ignore_index=m.ignore_index, reduction=m.reduction, label_smoothing=m.label_smoothing
        ),
    ),
    ModuleInfo(
        tnn.NLLLoss,
        torch.nn.NLLLoss,
        [{}, {"weight": _CLASS_WEIGHT, "reduction": "sum"}, {"ignore_index": 0, "reduction": "none"}],
        _log_probability_input,
        functional=lambda m, x, y: F.nll_loss(
            x, y, m.weight, ignore_index=m.ignore_index, reduction=m.reduction
        ),
    ),
    ModuleInfo(
        tnn.MSELoss,
        torch.nn.MSELoss,
        [{}, {"reduction": "sum"}, {"reduction": "none"}],
        _regression_input,
        functional=lambda m, x, y: F.mse_loss(x, y, reduction=m.reduction),
    ),
    ModuleInfo(
        tnn.BCELoss,
        torch.nn.BCELoss,
        [{}, {"reduction": "sum"}, {"weight": torch.tensor([0.5, 1.0, 2.0]), "reduction": "none"}],
        _binary_input,
        functional=lambda m, x, y: F.binary_cross_entropy(x, y, m.weight, reduction=m.reduction),
    ),
    ModuleInfo(
        tnn.MultiMarginLoss,
        torch.nn.MultiMarginLoss,
        [{}, {"p": 2, "margin": 0.5}, {"weight": _CLASS_WEIGHT, "reduction": "none"}],
        _margin_input,
        functional=lambda m, x, y: F.multi_margin_loss(
            x, y, p=m.p, margin=m.margin, weight=m.weight, reduction=m.reduction
        ),
    ),
    ModuleInfo(
        tnn.SmoothL1Loss,
        torch.nn.SmoothL1Loss,
        [{}, {"beta": 0.5, "reduction": "sum"}, {"beta": 0.0, "reduction": "none"}],
        _smooth_l1_input,
        functional=lambda m, x, y: F.smooth_l1_loss(x, y, reduction=m.reduction, beta=m.beta),
    ),
    ModuleInfo(
        tnn.SoftMarginLoss,
        torch.nn.SoftMarginLoss,
        [{}, {"reduction": "sum"}, {"reduction": "none"}],
        _soft_margin_input,
        functional=lambda m, x, y: F.soft_margin_loss(x, y, reduction=m.reduction),
    ),
    ModuleInfo(
        tnn.MarginRankingLoss,
        torch.nn.MarginRankingLoss,
        [{}, {"margin": 0.5, "reduction": "sum"}, {"margin": 0.5, "reduction": "none"}],
        _ranking_input,
        functional=lambda m, x1, x2, y: F.margin_ranking_loss(
            x1, x2, y, margin=m.margin, reduction=m.reduction
        ),
    ),
    ModuleInfo(
        tnn.L2Regularization,
        None,
        [{"weight": 0.1}, {"weight": 1e-3}],
        lambda device, dtype: (
            torch.randn(4, 3, device=device, dtype=dtype),
            torch.randn(3, device=device, dtype=dtype),
        ),
        reference=lambda m, *tensors: l2_reference(*tensors, weight=m.weight),
        functional=lambda m, *tensors: F.l2_regularization(*tensors, weight=m.weight),
    ),
]
