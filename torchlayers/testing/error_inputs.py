"""Calls torch rejects, per op and per module, for the ``errors`` check: each registry entry with a
torch twin names a few bad calls (wrong types, shapes, dtypes, values, reductions), and the op
must raise torch's exception type with torch's message for each.

A maker returns :class:`~torchlayers.testing.registry.ErrorInput`\\ s; the exception type is the
one torch raises, so an entry goes stale (and fails) when a torch release stops raising it.
Tensors are made fresh per call, as in-place ops may be among the calls.
"""

from __future__ import annotations

import torch

from torchlayers.testing.registry import ErrorInput, SampleInput

__all__ = ["BAD_INIT", "ERROR_INPUTS"]


def _errors(*cases) -> list[ErrorInput]:
    """``(args, kwargs, error)`` triples as :class:`ErrorInput`\\ s."""
    return [ErrorInput(SampleInput(tuple(args), kwargs), error) for args, kwargs, error in cases]


def _t(device, *shape, dtype=torch.float32, requires_grad=False):
    return torch.randn(shape, device=device, dtype=dtype).requires_grad_(requires_grad)


def _long(device, *values):
    return torch.tensor(values, device=device, dtype=torch.int64)


def binary_errors(device):
    return _errors(
        (([1.0], _t(device, 3)), {}, TypeError),
        ((_t(device, 3), "2"), {}, TypeError),
        ((_t(device, 3, 4), _t(device, 5)), {}, RuntimeError),
    )


def unary_errors(device):
    return _errors((([1.0],), {}, TypeError), ((2.0,), {}, TypeError))


def linear_errors(device):
    x = _t(device, 4, 3)
    return _errors(
        (([1.0], _t(device, 5, 3)), {}, TypeError),
        ((x, [[1.0, 1.0, 1.0]]), {}, TypeError),
        ((x, _t(device, 5, 3), [1.0]), {}, TypeError),
        ((x, _t(device, 5, 2)), {}, RuntimeError),
        ((x, _t(device, 5, 3), _t(device, 4)), {}, RuntimeError),
        ((x, _t(device, 5, 3, dtype=torch.float64)), {}, RuntimeError),
        ((_t(device), _t(device, 5, 3)), {}, RuntimeError),
    )


def integer_unary_errors(device):
    """A unary op whose ATen kernel is compiled for floating point only (and complex)."""
    long = torch.ones(3, device=device, dtype=torch.int64)
    return unary_errors(device) + _errors(
        ((long,), {}, NotImplementedError),
        ((long.bool(),), {}, NotImplementedError),
        ((_t(device, 3).to(torch.complex64),), {}, NotImplementedError),
    )


def softsign_errors(device):
    # torch's softsign is input / (input.abs() + 1): a non-tensor has no abs, a bool tensor no abs kernel
    bool_input = torch.ones(3, device=device, dtype=torch.bool)
    return _errors(
        (([1.0],), {}, AttributeError),
        ((2.0,), {}, AttributeError),
        ((bool_input,), {}, NotImplementedError),
    )


def softplus_errors(device):
    x = _t(device, 3)
    return _errors(
        (([1.0],), {}, TypeError),
        ((x, "1"), {}, TypeError),
        ((x, None), {}, TypeError),
        ((x, 1.0, "20"), {}, TypeError),
        ((x, torch.ones(2, device=device)), {}, TypeError),
        ((x, 1j), {}, RuntimeError),
        ((torch.ones(3, device=device, dtype=torch.int64),), {}, NotImplementedError),
        ((torch.ones(0, device=device, dtype=torch.bool),), {}, NotImplementedError),
    )


def softshrink_errors(device):
    x = _t(device, 3)
    return _errors(
        (([1.0],), {}, TypeError),
        ((x, "0.5"), {}, TypeError),
        ((x, None), {}, TypeError),
        ((x, 1j), {}, RuntimeError),
        ((x, -0.5), {}, RuntimeError),
        ((x, float("nan")), {}, RuntimeError),
        ((_t(device, 0), -1.0), {}, RuntimeError),
        ((_t(device, 3, dtype=torch.float16), 1e6), {}, RuntimeError),
        ((torch.ones(3, device=device, dtype=torch.int64),), {}, NotImplementedError),
        ((torch.ones(3, device=device, dtype=torch.int64), -1.0), {}, NotImplementedError),
    )


def softmin_errors(device):
    x = _t(device, 4, 5)
    long = torch.ones(3, 4, device=device, dtype=torch.int64)
    return _errors(
        (([1.0], 0), {}, TypeError),
        (([1.0],), {}, AttributeError),
        ((long.bool(), 1), {}, NotImplementedError),
        ((x, True), {}, TypeError),
        ((x, 1.0), {}, TypeError),
        ((x, "1"), {}, TypeError),
        ((x, 2), {}, IndexError),
        ((x, -3), {}, IndexError),
        ((x, 1), {"dtype": "float"}, TypeError),
        ((long, 1), {}, NotImplementedError),
        ((long, 0), {}, NotImplementedError),
        ((x, 1), {"dtype": torch.int64}, NotImplementedError),
    )


def extremum_all_errors(device):
    """Bad calls of torch.max / torch.min: its overloads' parser message, a dim out of range, an
    empty tensor or slice."""
    x = _t(device, 3, 4)
    return _errors(
        (([1.0],), {}, TypeError),
        ((x, "0"), {}, TypeError),
        ((x, 1.0), {}, TypeError),
        ((x, True), {}, TypeError),
        ((x,), {"keepdim": True}, TypeError),
        ((x, 0), {"keepdim": "yes"}, TypeError),
        ((x, 0), {"keepdim": 1}, TypeError),
        ((x, 2), {}, IndexError),
        ((_t(device, 0),), {}, RuntimeError),
        ((_t(device, 0, 3), 0), {}, IndexError),
    )


def mean_errors(device):
    x = _t(device, 3, 4)
    long = torch.ones(3, device=device, dtype=torch.int64)
    return _errors(
        (([1.0],), {}, TypeError),
        ((long,), {}, RuntimeError),
        ((long, 0), {}, RuntimeError),
        ((x,), {"dtype": torch.int64}, RuntimeError),
        ((x,), {"dtype": "float"}, TypeError),
        ((x, "0"), {}, TypeError),
        ((x, 1.5), {}, TypeError),
        ((x, True), {}, TypeError),
        ((x, (True,)), {}, TypeError),
        ((x, [0, 1.0]), {}, TypeError),
        ((x, 0), {"keepdim": "yes"}, TypeError),
        ((x, 2), {}, IndexError),
        ((x, (0, 0)), {}, RuntimeError),
    )


def mm_errors(device):
    x = _t(device, 3, 3)
    return _errors(
        (([1.0], x), {}, TypeError),
        ((x, [1.0]), {}, TypeError),
        ((_t(device, 3, 4), _t(device, 5, 2)), {}, RuntimeError),
        ((_t(device, 3), x), {}, RuntimeError),
        ((x, _t(device, 3)), {}, RuntimeError),
        ((_t(device, 2, 3, 3), x), {}, RuntimeError),
        ((x, x.double()), {}, RuntimeError),
        ((x, x.long()), {}, RuntimeError),
        ((x.bool(), x.bool()), {}, NotImplementedError),
    )


def mv_errors(device):
    x, v = _t(device, 3, 3), _t(device, 3)
    return _errors(
        (([1.0], v), {}, TypeError),
        ((x, [1.0]), {}, TypeError),
        ((_t(device, 3, 4), _t(device, 5)), {}, RuntimeError),
        ((v, v), {}, RuntimeError),
        ((x, _t(device, 3, 1)), {}, RuntimeError),
        ((_t(device, 2, 3, 3), v), {}, RuntimeError),
        ((x, v.double()), {}, RuntimeError),
        ((x.bool(), v.bool()), {}, NotImplementedError),
    )


def _inplace_leaf(device):
    return _t(device, 3, requires_grad=True)


def relu_errors(device):
    return _errors(
        (([1.0],), {}, TypeError),
        (([1.0],), {"inplace": True}, TypeError),
        ((_inplace_leaf(device),), {"inplace": True}, RuntimeError),
    )


def parametric_activation_errors(argument):
    def errors(device):
        return _errors(
            (([1.0],), {}, TypeError),
            ((_t(device, 3),), {argument: "0.1"}, TypeError),
            ((_t(device, 3),), {argument: None}, TypeError),
            ((_t(device, 3),), {argument: torch.ones(2)}, TypeError),
            ((_t(device, 3),), {argument: 1j}, RuntimeError),
            ((_t(device, 3),), {argument: "0.1", "inplace": True}, TypeError),
            ((_inplace_leaf(device),), {"inplace": True}, RuntimeError),
        )

    return errors


def prelu_errors(device):
    return _errors(
        (([1.0], _t(device, 3)), {}, TypeError),
        ((_t(device, 4, 3), [0.25]), {}, TypeError),
        ((_t(device, 4, 5), _t(device, 3)), {}, RuntimeError),
        ((_t(device, 4, 3), _t(device, 3, 1)), {}, RuntimeError),
        ((_t(device, 4, 3), _t(device, 1, 1)), {}, RuntimeError),
        ((_t(device), _t(device, 3)), {}, RuntimeError),
        ((_t(device, 4, 3), _t(device, 3, dtype=torch.float64)), {}, RuntimeError),
    )


def softmax_errors(device):
    x = _t(device, 4, 5)
    long = torch.ones(3, 4, device=device, dtype=torch.int64)
    return _errors(
        (([1.0], 0), {}, AttributeError),
        (([1.0],), {}, AttributeError),
        ((x, True), {}, TypeError),
        ((x, 1.0), {}, TypeError),
        ((x, "1"), {}, TypeError),
        ((x, 2), {}, IndexError),
        ((x, -3), {}, IndexError),
        ((x, 1), {"dtype": "float"}, TypeError),
        ((long, 1), {}, NotImplementedError),
        ((long, 0), {}, NotImplementedError),
        ((x, 1), {"dtype": torch.int64}, NotImplementedError),
    )


def _class_index_errors(device, log_probs: bool):
    """Bad (input, target, weight, ...) calls of nll_loss and cross_entropy: both reach
    ATen's nll_loss_nd, so they share its checks."""
    x = _t(device, 4, 5)
    if log_probs:
        x = torch.log_softmax(x, 1)
    y = _long(device, 0, 1, 4, 2)
    k1 = _t(device, 2, 5, 3)
    k2 = _t(device, 2, 5, 3, 2)
    return _errors(
        ((x, y), {"reduction": "avg"}, ValueError),
        ((x, [0, 1, 4, 2]), {}, TypeError),
        (([1.0], y), {}, TypeError),
        ((x, y), {"weight": [1.0] * 5}, TypeError),
        ((x, y), {"ignore_index": 1.5}, TypeError),
        ((x, y), {"ignore_index": True}, TypeError),
        ((x, y.float()), {}, RuntimeError),
        ((x, y.int()), {}, RuntimeError),
        ((x, y.bool()), {}, RuntimeError),
        ((x, y), {"weight": torch.ones(4, device=device)}, RuntimeError),
        ((x, y), {"weight": torch.ones(5, 1, device=device)}, RuntimeError),
        ((x, y), {"weight": torch.ones(5, device=device, dtype=torch.float16)}, RuntimeError),
        ((x, y), {"weight": torch.ones(5, device=device, requires_grad=True)}, RuntimeError),
        ((x, y.int()), {"weight": torch.ones(5, device=device, requires_grad=True)}, RuntimeError),
        ((x, y[:3]), {}, ValueError),
        ((x, torch.tensor(1, device=device)), {}, ValueError),
        ((x, torch.zeros(4, 2, device=device, dtype=torch.int64)), {}, RuntimeError),
        ((x, _long(device, 0, 1, 7, 2)), {}, IndexError),
        ((x, _long(device, 0, 1, -3, 2)), {}, IndexError),
        ((_t(device, 5), _long(device, 1, 2)), {}, ValueError),
        ((_t(device, 5), torch.zeros(1, 1, device=device, dtype=torch.int64)), {}, RuntimeError),
        ((k1, torch.zeros(2, 4, device=device, dtype=torch.int64)), {}, RuntimeError),
        ((k1, torch.zeros(2, device=device, dtype=torch.int64)), {}, RuntimeError),
        ((k1, _long(device, 0, 1, 2).expand(2, 3)), {"weight": torch.ones(3, device=device)}, RuntimeError),
        ((k1, torch.zeros(2, 3, device=device)), {}, RuntimeError),
        ((k2, torch.zeros(2, 3, device=device, dtype=torch.int64)), {}, RuntimeError),
        ((k2, torch.zeros(2, 3, 3, device=device, dtype=torch.int64)), {}, RuntimeError),
        ((k2, torch.zeros(2, 3, 2, device=device, dtype=torch.int32)), {}, RuntimeError),
        (
            (k2, torch.zeros(2, 3, 2, device=device, dtype=torch.int64)),
            {"weight": torch.ones(5, device=device, requires_grad=True)},
            RuntimeError,
        ),
        ((k2, torch.full((2, 3, 2), 7, device=device)), {}, IndexError),
    )


def nll_errors(device):
    long_input = torch.zeros(4, 5, device=device, dtype=torch.int64)
    return _class_index_errors(device, log_probs=True) + _errors(
        ((_t(device), torch.tensor(0, device=device)), {}, ValueError),
        ((long_input, _long(device, 0, 1, 2, 3)), {}, NotImplementedError),
    )


def cross_entropy_errors(device):
    x, y = _t(device, 4, 5), _long(device, 0, 1, 4, 2)
    return _class_index_errors(device, log_probs=False) + _errors(
        ((_t(device), _long(device, 0)), {}, IndexError),
        ((x, y), {"label_smoothing": "0.1"}, TypeError),
        ((x, y), {"label_smoothing": None}, TypeError),
        ((x, y), {"label_smoothing": 1.5}, RuntimeError),
        ((x, y), {"label_smoothing": 2}, RuntimeError),
        ((_t(device), _long(device, 0)), {"label_smoothing": 0.1}, IndexError),
    )


def cross_entropy_probability_errors(device):
    x = _t(device, 4, 5)
    p = torch.softmax(_t(device, 4, 5), 1)
    return _errors(
        ((x, p.long()), {}, RuntimeError),
        ((_t(device), torch.tensor(1, device=device)), {}, RuntimeError),
        ((x, p), {"ignore_index": 1}, RuntimeError),
        ((x, p), {"weight": torch.ones(4, device=device)}, RuntimeError),
        ((x, p), {"weight": torch.ones(5, 1, device=device)}, RuntimeError),
        ((x, p), {"label_smoothing": 2.0}, RuntimeError),
        ((x, p), {"weight": torch.ones(3, device=device), "label_smoothing": 2.0}, RuntimeError),
        ((_t(device), _t(device)), {}, IndexError),
        ((_t(device, 2, 5), _t(device, 2, 4)), {}, RuntimeError),
    )


def mse_errors(device):
    x = _t(device, 3)
    long = torch.ones(3, device=device, dtype=torch.int64)
    return _errors(
        ((x, x), {"reduction": "avg"}, ValueError),
        ((x, x), {"reduction": "avg", "weight": torch.ones(3, device=device)}, ValueError),
        ((x, [1.0, 2.0, 3.0]), {}, AttributeError),
        (([1.0, 2.0, 3.0], x), {}, AttributeError),
        ((x, x), {"weight": [1.0] * 3}, AttributeError),
        ((x, _t(device, 4)), {}, RuntimeError),
        ((x, x), {"weight": _t(device, 2)}, ValueError),
        ((long, long), {}, NotImplementedError),
        ((long.bool(), long.bool()), {}, NotImplementedError),
    )


def bce_errors(device):
    p = torch.rand(4, 3, device=device)
    return _errors(
        ((p, p), {"reduction": "avg"}, ValueError),
        ((p, [0.5] * 3), {}, AttributeError),
        (([0.5] * 3, p), {}, AttributeError),
        ((p, p), {"weight": [1.0] * 3}, AttributeError),
        ((p, p[:2]), {}, ValueError),
        ((p + 1, p), {}, RuntimeError),
        ((p, p + 1), {}, RuntimeError),
        ((p, p.double()), {}, RuntimeError),
        ((p, p.long()), {}, RuntimeError),
        ((p.long(), p.long()), {}, NotImplementedError),
        ((p, p), {"weight": torch.ones(2, device=device)}, RuntimeError),
        ((p, p), {"weight": torch.ones(3, device=device, requires_grad=True)}, RuntimeError),
    )


def multi_margin_errors(device):
    x, y = _t(device, 4, 5), _long(device, 0, 1, 4, 2)
    return _errors(
        ((x, y), {"reduction": "avg"}, ValueError),
        ((x, y), {"p": 3}, ValueError),
        ((x, y), {"p": "1"}, ValueError),
        ((x, y), {"weight": torch.ones(5, 1, device=device)}, ValueError),
        ((x, y), {"weight": [1.0] * 5}, AttributeError),
        (([1.0], y), {}, TypeError),
        ((x, [0, 1, 4, 2]), {}, TypeError),
        ((x, y), {"margin": "1"}, TypeError),
        ((x, y), {"margin": None}, TypeError),
        ((x, y), {"weight": torch.ones(4, device=device)}, RuntimeError),
        ((x, y), {"weight": torch.ones(5, device=device, dtype=torch.float64)}, RuntimeError),
        ((x, y), {"weight": torch.ones(5, device=device, requires_grad=True)}, RuntimeError),
        ((_t(device, 2, 3, 4), y), {}, RuntimeError),
        ((_t(device, 4, 0), y), {}, RuntimeError),
        ((_t(device, 0), torch.tensor(0, device=device)), {}, RuntimeError),
        ((x, y[:3]), {}, RuntimeError),
        ((x, y.view(2, 2)), {}, RuntimeError),
        ((_t(device, 5), _long(device, 1, 2)), {}, RuntimeError),
        ((x, y.float()), {}, RuntimeError),
        ((x, y.int()), {"weight": torch.ones(3, device=device)}, RuntimeError),
        ((x, y.float()), {"weight": torch.ones(5, device=device, dtype=torch.float64)}, RuntimeError),
        ((x, _long(device, 0, 1, 7, 2)), {}, RuntimeError),
        ((x, _long(device, 0, 1, -1, 2)), {}, RuntimeError),
        ((torch.zeros(4, 5, device=device, dtype=torch.int64), y), {}, NotImplementedError),
    )


def smooth_l1_errors(device):
    x = _t(device, 3)
    long = torch.ones(3, device=device, dtype=torch.int64)
    return _errors(
        ((x, x), {"reduction": "avg"}, ValueError),
        ((x, x), {"reduction": None}, ValueError),
        ((x, [1.0, 2.0, 3.0]), {}, AttributeError),
        (([1.0, 2.0, 3.0], x), {}, AttributeError),
        ((x, _t(device, 4)), {}, RuntimeError),
        ((x, _t(device, 4)), {"reduction": "avg"}, RuntimeError),
        ((x, x), {"beta": "1"}, TypeError),
        ((x, x), {"beta": None}, TypeError),
        ((x, x), {"beta": 1j}, TypeError),
        ((x, x), {"beta": "1", "reduction": "avg"}, ValueError),
        ((x, x), {"beta": -1.0}, RuntimeError),
        ((x, x), {"beta": float("nan")}, RuntimeError),
        ((long, long), {}, NotImplementedError),
        ((long, long.int()), {}, NotImplementedError),
        ((long.bool(), long.bool()), {}, NotImplementedError),
        ((long, long), {"beta": 0.0}, RuntimeError),
    )


def soft_margin_errors(device):
    x = _t(device, 3)
    long = torch.ones(3, device=device, dtype=torch.int64)
    return _errors(
        ((x, x), {"reduction": "avg"}, ValueError),
        ((x, [1.0]), {"reduction": "avg"}, ValueError),
        ((x, [1.0, 2.0, 3.0]), {}, TypeError),
        (([1.0, 2.0, 3.0], x), {}, TypeError),
        ((x, _t(device, 4)), {}, RuntimeError),
        ((x, _t(device, 2, 3)), {}, RuntimeError),
        ((_t(device, 1), x), {}, RuntimeError),
        ((x, _t(device, 3, requires_grad=True)), {}, RuntimeError),
        ((long.bool(), x), {}, NotImplementedError),
        ((long, long), {}, RuntimeError),
        ((long, x.double()), {}, RuntimeError),
        ((long.int(), long), {}, RuntimeError),
        ((long, _t(device, 2, 3)), {}, RuntimeError),
    )


def margin_ranking_errors(device):
    x = _t(device, 3)
    flags = torch.ones(3, device=device, dtype=torch.bool)
    return _errors(
        ((x, x, x), {"reduction": "avg"}, ValueError),
        (([1.0], x, x), {"reduction": "avg"}, ValueError),
        (([1.0], x, x), {}, AttributeError),
        ((x, [1.0], x), {}, AttributeError),
        ((x, x, [1.0]), {}, AttributeError),
        ((x, x, x), {"margin": "1"}, TypeError),
        ((x, x, x), {"margin": None}, TypeError),
        ((x, x, x), {"margin": 1j}, TypeError),
        ((x, _t(device, 4), x), {}, RuntimeError),
        ((x, _t(device, 3, 1), x), {}, RuntimeError),
        ((x, x, _t(device, 2, 3)), {}, RuntimeError),
        ((flags, flags, flags), {}, NotImplementedError),
        ((flags, x, x), {}, NotImplementedError),
        ((x, x, flags), {}, NotImplementedError),
    )


def layer_norm_errors(device):
    x = _t(device, 4, 5)
    w = _t(device, 5)
    long = torch.ones(4, 5, device=device, dtype=torch.int64)
    return _errors(
        (([1.0], (5,)), {}, TypeError),
        ((x, 5), {}, TypeError),
        ((x, (5.0,)), {}, TypeError),
        ((x, (True,)), {}, TypeError),
        ((x, (5, 5.0)), {}, TypeError),
        ((x, (5,), [1.0] * 5), {}, TypeError),
        ((x, (5,), None, [0.0] * 5), {}, TypeError),
        ((x, (5,), _t(device, 4), [0.0] * 5), {}, TypeError),
        ((x, (5,)), {"eps": "1e-5"}, TypeError),
        ((x, (5,)), {"eps": 1j}, TypeError),
        ((x, ()), {}, RuntimeError),
        ((x, (), [1.0]), {}, TypeError),
        ((x, (4,)), {}, RuntimeError),
        ((x, (4, 5, 6)), {}, RuntimeError),
        ((x, (5,), _t(device, 4)), {}, RuntimeError),
        ((x, (5,), w, _t(device, 5, 1)), {}, RuntimeError),
        ((x, (5,), w.double()), {}, RuntimeError),
        ((x.double(), (5,), w), {}, RuntimeError),
        ((x.half(), (4,), w.double()), {}, RuntimeError),
        ((x, (5,), w, w.double()), {}, RuntimeError),
        ((x.half(), (5,), w.half(), w), {}, RuntimeError),
        ((long, (5,)), {}, NotImplementedError),
        ((long, (5,), w), {}, RuntimeError),
        ((long, (5,), w.long(), w), {}, NotImplementedError),
        ((long[:0].bool(), (5,)), {}, NotImplementedError),
        ((x.to(torch.complex64), (5,)), {}, NotImplementedError),
    )


def dropout_errors(device):
    x = _t(device, 4, 5)
    long = torch.ones(4, 5, device=device, dtype=torch.int64)
    return _errors(
        (([1.0],), {}, TypeError),
        (([1.0], 2.0), {}, ValueError),
        ((x, -0.1), {}, ValueError),
        ((x, 1.5), {}, ValueError),
        ((x, float("nan")), {}, RuntimeError),
        ((x, float("nan"), False), {}, RuntimeError),
        ((x, "0.5"), {}, TypeError),
        ((x, None), {}, TypeError),
        ((x, 1j), {}, TypeError),
        ((x, 0.5, "yes"), {}, TypeError),
        ((x, 0.5, 1), {}, TypeError),
        ((long, 0.5), {}, RuntimeError),
        ((long.bool(), 0.5), {}, RuntimeError),
        ((long.int(), 0.5, True, True), {}, RuntimeError),
        ((x.to(torch.complex64), 0.5), {}, NotImplementedError),
        ((_inplace_leaf(device), 0.5, True, True), {}, RuntimeError),
        ((_inplace_leaf(device), 1.0, True, True), {}, RuntimeError),
    )


def embedding_errors(device):
    """Bad calls of embedding, sparse=True excepted (torchlayers refuses it on purpose)."""
    weight = _t(device, 5, 3)
    indices = _long(device, 0, 2, 4)
    table = [[1.0] * 3] * 5
    return _errors(
        (([0, 1], weight), {}, TypeError),
        ((indices, table), {}, TypeError),
        ((indices, table), {"padding_idx": 0}, TypeError),
        ((indices, table), {"padding_idx": 1}, AttributeError),
        (([0, 1], weight), {"max_norm": 1.0}, AttributeError),
        ((indices, table), {"max_norm": 1.0}, AttributeError),
        ((indices, weight), {"padding_idx": 5}, AssertionError),
        ((indices, weight), {"padding_idx": -6}, AssertionError),
        ((indices, weight), {"padding_idx": "1"}, TypeError),
        ((indices, weight), {"padding_idx": 1.5}, TypeError),
        ((indices, weight), {"padding_idx": True}, TypeError),
        ((indices, weight), {"scale_grad_by_freq": "yes"}, TypeError),
        ((indices, weight), {"scale_grad_by_freq": 1}, TypeError),
        ((indices, weight), {"sparse": "no"}, TypeError),
        ((indices, weight), {"max_norm": "1"}, TypeError),
        ((indices, weight), {"max_norm": 1j}, TypeError),
        ((indices, weight), {"max_norm": 1.0, "norm_type": "2"}, TypeError),
        ((indices, _t(device, 5)), {}, RuntimeError),
        ((indices, _t(device, 5, 3, 2)), {}, RuntimeError),
        ((indices, _t(device, 5)), {"max_norm": 1.0}, RuntimeError),
        ((indices.float(), weight), {}, RuntimeError),
        ((indices.short(), weight), {}, RuntimeError),
        ((indices.bool(), weight), {}, RuntimeError),
        ((indices.float(), weight), {"max_norm": 1.0}, RuntimeError),
        ((_long(device, 0, 5), weight), {}, IndexError),
        ((_long(device, 0, -1), weight), {}, IndexError),
        ((_long(device, 0, 5), weight), {"max_norm": 1.0}, IndexError),
        ((_long(device, 7, -9, 5), weight), {"max_norm": 1.0}, IndexError),
        ((_long(device, 0, -1), weight), {"max_norm": 1.0}, IndexError),
        ((indices, _t(device, 0, 3)), {}, RuntimeError),
    )


def adaptive_pool_errors(device):
    """Bad calls of adaptive_avg_pool2d and adaptive_max_pool2d (the two check sizes and
    shapes in different orders, with different messages)."""
    x = _t(device, 1, 2, 5, 4)
    return _errors(
        (([1.0], 2), {}, AttributeError),
        ((x, 2.0), {}, TypeError),
        ((x, None), {}, TypeError),
        ((x, True), {}, TypeError),
        ((x, "2"), {}, TypeError),
        ((x, (2.0, 2)), {}, TypeError),
        ((x, (2, "2")), {}, TypeError),
        ((x, (2, 2, 2)), {}, RuntimeError),
        ((x, (2,)), {}, RuntimeError),
        ((x, (-1, 2)), {}, RuntimeError),
        ((x, -2), {}, RuntimeError),
        ((x, (None, -1)), {}, RuntimeError),
        ((_t(device, 5, 4), (2, 2)), {}, ValueError),
        ((_t(device, 5, 4), 2), {}, RuntimeError),
        ((_t(device, 1, 1, 2, 5, 4), 2), {}, RuntimeError),
        ((_t(device, 1, 1, 2, 5, 4), -1), {}, RuntimeError),
        ((_t(device, 1, 2, 0, 4), 2), {}, RuntimeError),
        ((_t(device, 1, 2, 0, 4), -1), {}, RuntimeError),
        ((_t(device, 2, 0, 4), 2), {}, RuntimeError),
        ((x.long(), 2), {}, NotImplementedError),
        ((x.bool(), (2, 3)), {}, NotImplementedError),
        ((x.to(torch.complex64), 2), {}, NotImplementedError),
        ((x.long(), -1), {}, RuntimeError),
    )


def adaptive_avg_pool_errors(device):
    """Also the (1, 1) output, which torch computes as the mean over the last two dimensions."""
    x = _t(device, 1, 2, 5, 4)
    return adaptive_pool_errors(device) + _errors(
        ((x.long(), 1), {}, RuntimeError),
        ((x.bool(), (1, 1)), {}, RuntimeError),
        ((_t(device, 4), 1), {}, IndexError),
    )


def adaptive_max_pool_errors(device):
    return adaptive_pool_errors(device) + _errors(
        ((_t(device, 1, 0, 5, 4), 2), {}, RuntimeError),
        ((_t(device, 1, 0, 5, 4), (2, 2, 2)), {}, RuntimeError),
    )


#: OpInfo name -> maker of its error inputs.
ERROR_INPUTS = {
    "add": binary_errors,
    "mul": binary_errors,
    "exp": unary_errors,
    "reciprocal": unary_errors,
    "linear": linear_errors,
    "sigmoid": unary_errors,
    "tanh": unary_errors,
    "relu": relu_errors,
    "leaky_relu": parametric_activation_errors("negative_slope"),
    "elu": parametric_activation_errors("alpha"),
    "prelu": prelu_errors,
    "softmax": softmax_errors,
    "log_softmax": softmax_errors,
    "nll_loss": nll_errors,
    "cross_entropy": cross_entropy_errors,
    "cross_entropy_label_smoothing": cross_entropy_errors,
    "cross_entropy_probabilities": cross_entropy_probability_errors,
    "mse_loss": mse_errors,
    "binary_cross_entropy": bce_errors,
    "multi_margin_loss": multi_margin_errors,
    "log": unary_errors,
    "max_all": extremum_all_errors,
    "min_all": extremum_all_errors,
    "mean": mean_errors,
    "mm": mm_errors,
    "mv": mv_errors,
    "logsigmoid": integer_unary_errors,
    "softplus": softplus_errors,
    "softsign": softsign_errors,
    "softshrink": softshrink_errors,
    "softmin": softmin_errors,
    "smooth_l1_loss": smooth_l1_errors,
    "soft_margin_loss": soft_margin_errors,
    "margin_ranking_loss": margin_ranking_errors,
    "layer_norm": layer_norm_errors,
    "dropout": dropout_errors,
    "embedding": embedding_errors,
    "adaptive_avg_pool2d": adaptive_avg_pool_errors,
    "adaptive_max_pool2d": adaptive_max_pool_errors,
}

_WEIGHT_LIST = {"weight": [1.0] * 5}

#: torch.nn module name -> constructor kwargs torch rejects, at construction or at the first call.
BAD_INIT = {
    "Linear": ({"in_features": 3.5, "out_features": 5}, {"in_features": -1, "out_features": 5}),
    "Sigmoid": ({"inplace": True},),
    "Tanh": ({"inplace": True},),
    "ReLU": ({"extra": 1},),
    "LeakyReLU": ({"negative_slope": "0.1"}, {"negative_slope": None}),
    "ELU": ({"alpha": "x"}, {"alpha": None, "inplace": True}),
    "PReLU": ({"num_parameters": 2.5}, {"num_parameters": 5}, {"num_parameters": -1}, {"init": "0.1"}),
    "Softmax": ({"dim": True}, {"dim": 1.0}, {"dim": "1"}, {"dim": 2}),
    "LogSoftmax": ({"dim": True}, {"dim": 1.0}, {"dim": "1"}, {"dim": -3}),
    "CrossEntropyLoss": (
        _WEIGHT_LIST,
        {"reduction": "avg"},
        {"label_smoothing": 1.5},
        {"label_smoothing": "0.1"},
        {"ignore_index": 1.5},
        {"weight": torch.ones(4)},
    ),
    "NLLLoss": (_WEIGHT_LIST, {"reduction": "avg"}, {"ignore_index": "1"}, {"weight": torch.ones(4)}),
    "MSELoss": ({"reduction": "avg"}, {"reduction": None}),
    "BCELoss": (_WEIGHT_LIST, {"reduction": "avg"}, {"weight": torch.ones(2)}),
    "LogSigmoid": ({"inplace": True},),
    "Softplus": ({"beta": "2"}, {"threshold": None}, {"beta": 1j}),
    "Softsign": ({"inplace": True},),
    "Softshrink": ({"lambd": -0.5}, {"lambd": "0.5"}, {"lambd": float("nan")}),
    "Softmin": ({"dim": 2}, {"dim": 1.0}, {"dim": True}, {"dim": "1"}),
    "SmoothL1Loss": ({"reduction": "avg"}, {"beta": -1.0}, {"beta": "1"}, {"reduction": None}),
    "SoftMarginLoss": ({"reduction": "avg"}, {"reduction": None}),
    "MarginRankingLoss": ({"reduction": "avg"}, {"margin": "1"}, {"margin": None}),
    "LayerNorm": (
        {"normalized_shape": 4},
        {"normalized_shape": [3, 4]},
        {"normalized_shape": "3"},
        {"normalized_shape": 3.0},
        {"normalized_shape": -1},
        {"normalized_shape": ()},
        {"normalized_shape": 3, "eps": "1e-5"},
        {"normalized_shape": (3.0,), "elementwise_affine": False},
        {"normalized_shape": 3, "dtype": torch.float64},
    ),
    "Dropout": ({"p": 1.5}, {"p": -0.1}, {"p": "0.5"}, {"p": None}, {"p": float("nan")}),
    "Embedding": (
        {"num_embeddings": 5, "embedding_dim": 3, "padding_idx": 5},
        {"num_embeddings": 5, "embedding_dim": 3, "padding_idx": -6},
        {"num_embeddings": 5, "embedding_dim": 3, "padding_idx": "1"},
        {"num_embeddings": 5, "embedding_dim": 3, "padding_idx": 1.5},
        {"num_embeddings": -1, "embedding_dim": 3},
        {"num_embeddings": 2.5, "embedding_dim": 3},
        {"num_embeddings": 5, "embedding_dim": 3, "_weight": torch.ones(4, 3)},
        {"num_embeddings": 4, "embedding_dim": 3},
        {"num_embeddings": 4, "embedding_dim": 3, "max_norm": 1.0},
        {"num_embeddings": 5, "embedding_dim": 3, "max_norm": "1"},
        {"num_embeddings": 5, "embedding_dim": 3, "scale_grad_by_freq": "yes"},
    ),
    "AdaptiveAvgPool2d": (
        {"output_size": -1},
        {"output_size": (2, 2, 2)},
        {"output_size": 2.0},
        {"output_size": (2.0, 2)},
        {"output_size": (2, "2")},
        {"output_size": True},
    ),
    "AdaptiveMaxPool2d": (
        {"output_size": -1},
        {"output_size": (-1, 2)},
        {"output_size": (2, 2, 2)},
        {"output_size": 2.0},
        {"output_size": (2, "2")},
        {"output_size": True},
    ),
    "MultiMarginLoss": (
        {"p": 3},
        {"weight": torch.ones(5, 1)},
        _WEIGHT_LIST,
        {"margin": "1"},
        {"reduction": "avg"},
        {"weight": torch.ones(4)},
    ),
}
