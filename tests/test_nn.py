"""``torchlayers.nn`` modules as drop-in replacements for their ``torch.nn`` twins: same outputs
and gradients, ``state_dict``, initialisation, ``repr``, serialisation and constructor checks."""

from __future__ import annotations

import copy
import inspect
import pickle

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck
from torch.func import functional_call

import torchlayers.nn as tnn
from tests._helpers import DEVICES, assert_same_grads, detached_copy, first_output, grads, skip_if_listed
from torchlayers.testing.ops import MODULES


def _config_params(with_twin_only=False):
    """One ``pytest.param((info, kwargs))`` per constructor configuration in the registry."""
    params = []
    for info in MODULES:
        if with_twin_only and info.ref is None:
            continue
        for kwargs in info.constructor_kwargs:
            config = ",".join(f"{k}={v}" for k, v in kwargs.items())
            params.append(pytest.param(info, kwargs, id=f"{info.module.__name__}({config})"))
    return params


def _pair(info, kwargs, **factory):
    """Ours and the torch.nn twin, each constructed right after the same seed."""
    torch.manual_seed(1234)
    ours = info.module(**kwargs, **factory)
    torch.manual_seed(1234)
    theirs = info.ref(**kwargs, **factory)
    return ours, theirs


def _inputs(info, dtype=torch.float64, device="cpu"):
    """The module's inputs; the first (floating) one requires grad."""
    first, *rest = info.make_input(device, dtype)
    return (first.requires_grad_(first.is_floating_point()), *rest)


def _seed(info) -> None:
    """A random module's entry names a seed: every call draws the same numbers after it."""
    if info.seed is not None:
        torch.manual_seed(info.seed)


def _run(module, inputs, info=None):
    """Module output on copies of the inputs (in-place modules must not write into a leaf)."""
    if info is not None:
        _seed(info)
    first, *rest = inputs
    return module(first * 1 if first.requires_grad else first.clone(), *rest)


def _accepts_factory_kwargs(info) -> bool:
    return "device" in inspect.signature(info.module).parameters


# --- outputs and gradients ------------------------------------------------------------------


@pytest.mark.parametrize(("info", "kwargs"), _config_params())
def test_matches_reference(info, kwargs):
    """Output, input gradient and parameter gradients equal the twin's (or the native-ops
    reference's), for the same parameters."""
    skip_if_listed(info, "test_matches_reference")
    ours = info.module(**kwargs).double()
    inputs = _inputs(info)
    if info.ref is not None:
        theirs = info.ref(**kwargs).double()
        theirs.load_state_dict(ours.state_dict())
        expected = _run(theirs, inputs, info)
        reference_parameters = list(theirs.parameters())
    else:
        _seed(info)
        expected = info.reference(ours, inputs[0] * 1, *inputs[1:])
        reference_parameters = list(ours.parameters())
    output = _run(ours, inputs, info)
    torch.testing.assert_close(output, expected)
    grad_output = torch.randn_like(output)
    differentiable = [inputs[0]] if inputs[0].requires_grad else []
    assert_same_grads(
        grads(output, [*differentiable, *ours.parameters()], grad_output),
        grads(expected, [*differentiable, *reference_parameters], grad_output),
    )


@pytest.mark.parametrize(("info", "kwargs"), _config_params())
def test_module_functional_and_function_agree(info, kwargs):
    """Module == functional == Function.apply (the last through the module's grad_fn)."""
    skip_if_listed(info, "test_module_functional_and_function_agree")
    if info.functional is None:
        pytest.skip(f"the registry gives no functional for {info.module.__name__}")
    module = info.module(**kwargs).double()
    inputs = _inputs(info)
    output = _run(module, inputs, info)
    _seed(info)
    via_functional = info.functional(module, inputs[0] * 1, *inputs[1:])
    torch.testing.assert_close(output, via_functional, rtol=0, atol=0)
    used = _functions_in_graph(output)
    assert used, "the module's output was not computed by a torchlayers Function"
    assert used == _functions_in_graph(via_functional)


def _functions_in_graph(output):
    """The torchlayers ``*Function`` classes whose nodes are in ``output``'s autograd graph."""
    found, stack, seen = set(), [output.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        function = getattr(node, "_forward_cls", None)
        if function is not None and function.__module__.startswith("torchlayers."):
            found.add(function)
        stack.extend(next_node for next_node, _ in node.next_functions)
    return found


@pytest.mark.parametrize(("info", "kwargs"), _config_params())
def test_gradcheck_parameters(info, kwargs):
    """First and second derivatives with respect to the input and every parameter, through
    ``torch.func.functional_call``."""
    skip_if_listed(info, "test_gradcheck_parameters")
    module = info.module(**kwargs).double()
    names = [name for name, _ in module.named_parameters()]
    first, *rest = _inputs(info)
    parameters = [p.detach().requires_grad_() for p in module.parameters()]

    def call(input, *values):
        _seed(info)
        return first_output(
            functional_call(module, dict(zip(names, values, strict=True)), (input * 1, *rest))
        )

    tensors = (first, *parameters) if first.is_floating_point() else tuple(parameters)
    if not tensors:
        pytest.skip(f"{info.module.__name__} has no differentiable input")
    fn = call if first.is_floating_point() else lambda *values: call(first, *values)
    assert gradcheck(fn, tensors, check_forward_ad=True, check_batched_grad=True)
    assert gradgradcheck(fn, tensors, check_batched_grad=True)


# --- drop-in: state_dict, initialisation, repr ----------------------------------------------


@pytest.mark.parametrize(("info", "kwargs"), _config_params(with_twin_only=True))
def test_same_initialisation_for_same_seed(info, kwargs):
    ours, theirs = _pair(info, kwargs)
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in theirs.named_parameters()]
    for mine, twin in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(mine, twin, rtol=0, atol=0)


@pytest.mark.parametrize(("info", "kwargs"), _config_params(with_twin_only=True))
def test_state_dict_round_trip_with_twin(info, kwargs):
    """Same keys and shapes; each loads the other's state_dict with strict=True."""
    ours, theirs = _pair(info, kwargs)
    for p in theirs.parameters():
        torch.nn.init.normal_(p)  # differ from ours, so a load that did nothing would show
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert {k: v.shape for k, v in ours_state.items()} == {k: v.shape for k, v in theirs_state.items()}

    fresh_ours, fresh_theirs = info.module(**kwargs), info.ref(**kwargs)
    fresh_ours.load_state_dict(theirs_state, strict=True)
    fresh_theirs.load_state_dict(ours_state, strict=True)
    for key, value in theirs_state.items():
        torch.testing.assert_close(fresh_ours.state_dict()[key], value, rtol=0, atol=0)
    for key, value in ours_state.items():
        torch.testing.assert_close(fresh_theirs.state_dict()[key], value, rtol=0, atol=0)


@pytest.mark.parametrize(("info", "kwargs"), _config_params(with_twin_only=True))
def test_repr_matches_twin(info, kwargs):
    ours, theirs = _pair(info, kwargs)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(("info", "kwargs"), [p for p in _config_params() if p.values[0].ref is None])
def test_repr_names_the_configuration(info, kwargs):
    """Modules without a twin show every constructor argument given, as torch.nn's do."""
    module = info.module(**kwargs)
    text = repr(module)
    assert text.startswith(f"{info.module.__name__}(")
    for key, value in kwargs.items():
        assert f"{value}" in text, f"{key}={value} missing from {text}"


# --- serialisation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "round_trip", [lambda m: pickle.loads(pickle.dumps(m)), copy.deepcopy], ids=["pickle", "deepcopy"]
)
@pytest.mark.parametrize(("info", "kwargs"), _config_params())
def test_serialisation_round_trip(info, kwargs, round_trip):
    module = info.module(**kwargs).double()
    restored = round_trip(module)
    assert type(restored) is type(module)
    assert repr(restored) == repr(module)
    state, restored_state = module.state_dict(), restored.state_dict()
    assert state.keys() == restored_state.keys()
    for key in state:
        torch.testing.assert_close(restored_state[key], state[key], rtol=0, atol=0)
        assert restored_state[key].data_ptr() != state[key].data_ptr() or state[key].numel() == 0
    inputs = _inputs(info)
    torch.testing.assert_close(_run(restored, inputs, info), _run(module, inputs, info), rtol=0, atol=0)


# --- constructor ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "device", [pytest.param("meta", id="meta"), *DEVICES]
)  # meta proves device= is honoured without a GPU
@pytest.mark.parametrize(("info", "kwargs"), _config_params())
def test_factory_kwargs_are_honoured(info, kwargs, device):
    if not _accepts_factory_kwargs(info):
        pytest.skip(f"{info.module.__name__} has no parameters, hence no device=/dtype=")
    module = info.module(**kwargs, device=device, dtype=torch.float64)
    for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
        if tensor.is_floating_point():
            assert tensor.dtype == torch.float64, name
        assert tensor.device.type == device, name
    if device != "meta":
        inputs = _inputs(info, dtype=torch.float64, device=device)
        assert _run(module, inputs).device.type == device


@pytest.mark.parametrize(
    ("module", "args", "kwargs", "error"),
    [
        (tnn.Maxout, (3.0, 4), {}, TypeError),
        (tnn.Maxout, (3, 4), {"pieces": 2.5}, TypeError),
        (tnn.Maxout, (3, 4), {"pieces": True}, TypeError),
        (tnn.Maxout, (3, 4), {"pieces": 0}, ValueError),
        (tnn.Maxout, (-1, 4), {}, ValueError),
        (tnn.MulConstant, ("2",), {}, TypeError),
        (tnn.MulConstant, (True,), {}, TypeError),
        (tnn.MulConstant, (None,), {}, TypeError),
        (tnn.AddConstant, ("1",), {}, TypeError),
        (tnn.AddConstant, (torch.ones(1),), {}, TypeError),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_bad_constructor_arguments_raise(module, args, kwargs, error):
    with pytest.raises(error, match=module.__name__):
        module(*args, **kwargs)


@pytest.mark.parametrize(("info", "kwargs"), _config_params())
def test_inplace_module_returns_its_input(info, kwargs):
    if not kwargs.get("inplace"):
        pytest.skip("not an in-place configuration")
    module = info.module(**kwargs)
    input = detached_copy(_inputs(info, torch.float32)[0], requires_grad=False)
    assert module(input) is input
