"""``torchlayers.models.MLP``: the lecture's nestings, the activation registry, and the ``torch.nn``
twin (``backend="torch"``) that must match the torchlayers network parameter for parameter,
output for output and gradient for gradient."""

from __future__ import annotations

import pytest
import torch

import torchlayers
import torchlayers.nn as tnn
from torchlayers.models import ACTIVATIONS, MLP
from torchlayers.models.registry import LinearMaxout, create_activation, register_activation

ACTIVATION_NAMES = ["sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "maxout"]
# The lecture's nestings: hidden activations of the 2- to 5-layer networks.
NESTINGS = {
    "W2 max(0, W1 x)": ["relu"],
    "W3 max(0, W2 max(0, W1 x))": ["relu", "relu"],
    "W4 tanh(W3 max(0, W2 max(0, W1 x)))": ["relu", "relu", "tanh"],
    "W5 σ(W4 tanh(W3 max(0, W2 max(0, W1 x))))": ["relu", "relu", "tanh", "sigmoid"],
}
TORCHLAYERS_CLASS = {
    "sigmoid": tnn.Sigmoid,
    "tanh": tnn.Tanh,
    "relu": tnn.ReLU,
    "leaky_relu": tnn.LeakyReLU,
    "prelu": tnn.PReLU,
    "elu": tnn.ELU,
}
TORCH_CLASS = {
    "sigmoid": torch.nn.Sigmoid,
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
    "leaky_relu": torch.nn.LeakyReLU,
    "prelu": torch.nn.PReLU,
    "elu": torch.nn.ELU,
}
IN, HIDDEN, OUT = 3 * 4 * 4, [16, 12], 5  # small "images" of 3 x 4 x 4


def _twins(seed: int = 0, **kwargs) -> tuple[MLP, MLP]:
    """The torchlayers MLP and its torch.nn twin, each built right after ``manual_seed(seed)``."""
    kwargs = {"in_features": IN, "hidden_sizes": HIDDEN, "out_features": OUT, **kwargs}
    torch.manual_seed(seed)
    ours = MLP(**kwargs)
    torch.manual_seed(seed)
    native = MLP(**kwargs, backend="torch")
    return ours, native


def _kinds(model: torch.nn.Module) -> list[type]:
    return [type(layer) for layer in model]


def _graph_nodes(output: torch.Tensor) -> set[str]:
    """Names of the autograd nodes that ``output`` was computed through."""
    seen, stack = set(), [output.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack += [parent for parent, _ in node.next_functions]
    return {type(node).__name__ for node in seen}


@pytest.mark.parametrize("activation", [*ACTIVATION_NAMES, ["maxout", "prelu"], ["elu", "sigmoid"]], ids=str)
def test_same_seed_gives_identical_parameters(activation):
    ours, native = _twins(activation=activation)
    assert list(ours.state_dict()) == list(native.state_dict())
    for (name, mine), (native_name, theirs) in zip(
        ours.named_parameters(), native.named_parameters(), strict=True
    ):
        assert name == native_name and mine.shape == theirs.shape
        assert torch.equal(mine, theirs), name
    other = MLP(IN, HIDDEN, OUT, activation)  # a different draw is really different
    assert not torch.equal(other[-1].weight, ours[-1].weight)


@pytest.mark.parametrize("activation", [*ACTIVATION_NAMES, ["relu", "relu"], ["maxout", "tanh"]], ids=str)
def test_outputs_and_gradients_match_the_torch_twin_in_float64(activation):
    ours, native = _twins(activation=activation, pieces=3)
    ours.double(), native.double()
    images = torch.randn(7, 3, 4, 4, dtype=torch.float64)
    upstream = torch.randn(7, OUT, dtype=torch.float64)
    results = []
    for model in (ours, native):
        x = images.clone().requires_grad_()
        scores = model(x)
        (scores * upstream).sum().backward()
        results.append((scores, x.grad, {name: p.grad for name, p in model.named_parameters()}))
    (scores, input_grad, grads), (native_scores, native_input_grad, native_grads) = results
    assert scores.shape == (7, OUT)
    torch.testing.assert_close(scores, native_scores, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(input_grad, native_input_grad, rtol=1e-12, atol=1e-12)
    assert grads.keys() == native_grads.keys()
    for name, grad in grads.items():
        assert grad is not None and grad.abs().sum() > 0, name  # every parameter learns
        torch.testing.assert_close(grad, native_grads[name], rtol=1e-12, atol=1e-12, msg=name)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_torchlayers_backend_runs_only_torchlayers_functions(activation):
    ours, native = _twins(activation=activation, dropout=0.3, input_dropout=0.1)
    x = torch.randn(4, 3, 4, 4, requires_grad=True)
    nodes = _graph_nodes(ours(x))
    # the flatten of the images is a view; every computation is one of our Functions
    assert {node for node in nodes if not node.endswith("FunctionBackward")} <= {
        "AccumulateGrad",
        "ViewBackward0",
    }
    assert "LinearFunctionBackward" in nodes and "DropoutFunctionBackward" in nodes
    assert not any(node.endswith("FunctionBackward") for node in _graph_nodes(native(x)))


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_state_dict_loads_across_backends_strictly(activation):
    ours, _ = _twins(seed=0, activation=activation)
    _, native = _twins(seed=1, activation=activation)
    x = torch.randn(5, IN)
    assert not torch.equal(ours(x), native(x))
    native.load_state_dict(ours.state_dict(), strict=True)
    torch.testing.assert_close(native(x), ours(x), rtol=1e-6, atol=1e-6)
    _, other = _twins(seed=2, activation=activation)
    ours.load_state_dict(other.state_dict(), strict=True)  # and back, torch.nn -> torchlayers
    torch.testing.assert_close(ours(x), other(x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("formula", NESTINGS)
def test_lecture_nestings_build_the_layer_sequence(formula):
    activations = NESTINGS[formula]
    sizes = [32] * len(activations)
    for backend, linear, classes in (
        ("torchlayers", tnn.Linear, TORCHLAYERS_CLASS),
        ("torch", torch.nn.Linear, TORCH_CLASS),
    ):
        model = MLP(3072, sizes, 10, activations, backend=backend)
        expected = [kind for name in activations for kind in (linear, classes[name])] + [linear]
        assert _kinds(model) == expected
        affine = [layer for layer in model if isinstance(layer, linear)]
        assert [(layer.in_features, layer.out_features) for layer in affine] == list(
            zip([3072, *sizes], [*sizes, 10], strict=True)
        )
        assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_the_5_layer_nesting_computes_the_lecture_formula():
    """``W5 σ(W4 tanh(W3 max(0, W2 max(0, W1 x))))``, written out with native ops."""
    model = MLP(IN, [9, 8, 7, 6], OUT, NESTINGS["W5 σ(W4 tanh(W3 max(0, W2 max(0, W1 x))))"]).double()
    W = [layer for layer in model if isinstance(layer, tnn.Linear)]
    x = torch.randn(4, IN, dtype=torch.float64)

    def affine(layer, h):
        return h @ layer.weight.T + layer.bias

    by_hand = affine(
        W[4],
        torch.sigmoid(
            affine(W[3], torch.tanh(affine(W[2], torch.relu(affine(W[1], torch.relu(affine(W[0], x)))))))
        ),
    )
    torch.testing.assert_close(model(x), by_hand)


def test_linear_classifier_has_one_affine_layer():
    for backend, linear in (("torchlayers", tnn.Linear), ("torch", torch.nn.Linear)):
        model = MLP(IN, [], OUT, backend=backend)
        assert _kinds(model) == [linear] and model[0].weight.shape == (OUT, IN)


def test_per_layer_activation_list():
    model = MLP(IN, [10, 20, 30], OUT, ["leaky_relu", "prelu", "maxout"], pieces=4)
    assert _kinds(model) == [tnn.Linear, tnn.LeakyReLU, tnn.Linear, tnn.PReLU, tnn.Maxout, tnn.Linear]
    assert model[1].negative_slope == 0.1  # the lecture's max(0.1x, x), not torch.nn's 0.01 default
    assert model[3].weight.shape == (20,)  # one learned slope per unit of its layer
    maxout = model[4]
    assert (maxout.in_features, maxout.out_features, maxout.pieces) == (20, 30, 4)
    assert model(torch.randn(2, IN)).shape == (2, OUT)
    native = MLP(IN, [10, 20, 30], OUT, ["leaky_relu", "prelu", "maxout"], pieces=4, backend="torch")
    assert _kinds(native) == [
        torch.nn.Linear,
        torch.nn.LeakyReLU,
        torch.nn.Linear,
        torch.nn.PReLU,
        LinearMaxout,
        torch.nn.Linear,
    ]
    assert native[1].negative_slope == 0.1 and native[4].weight.shape == (30 * 4, 20)


def test_maxout_layer_is_the_max_of_its_pieces():
    model = MLP(IN, [6], OUT, "maxout", pieces=3).double()
    x = torch.randn(5, IN, dtype=torch.float64)
    maxout = model[0]
    pieces = (x @ maxout.weight.T + maxout.bias).unflatten(-1, (3, 6))  # piece-major rows
    torch.testing.assert_close(model[0](x), pieces.amax(dim=-2))


def test_unknown_activation():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'; registered: .*relu"):
        MLP(IN, HIDDEN, OUT, "swish")
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        MLP(IN, HIDDEN, OUT, ["relu", "gelu"], backend="torch")
    with pytest.raises(ValueError, match="replaces the linear layer"):
        create_activation("maxout", 8)


def test_unknown_backend():
    with pytest.raises(ValueError, match=r"backend must be one of \('torchlayers', 'torch'\), got 'jax'"):
        MLP(IN, HIDDEN, OUT, backend="jax")
    with pytest.raises(ValueError, match="backend must be one of"):
        create_activation("relu", 8, backend="numpy")


def test_per_layer_lists_of_the_wrong_length():
    with pytest.raises(ValueError, match="got 3 activation values for 2 hidden layers"):
        MLP(IN, [8, 8], OUT, ["relu", "tanh", "sigmoid"])
    with pytest.raises(ValueError, match="got 1 dropout values for 2 hidden layers"):
        MLP(IN, [8, 8], OUT, dropout=[0.5])


def test_a_registered_activation_is_available_by_name(monkeypatch):
    monkeypatch.delitem(ACTIVATIONS, "softsign", raising=False)
    register_activation(
        "softsign", "x / (1 + |x|)", lambda n: torch.nn.Softsign(), lambda n: torch.nn.Softsign()
    )
    try:
        assert _kinds(MLP(IN, [8], OUT, "softsign")) == [tnn.Linear, torch.nn.Softsign, tnn.Linear]
        with pytest.raises(ValueError, match="already registered"):
            register_activation("softsign", "", None, None)
    finally:
        ACTIVATIONS.pop("softsign", None)


def test_dropout_layers_are_placed_after_each_activation():
    model = MLP(IN, [8, 8, 8], OUT, "relu", dropout=[0.1, 0.0, 0.3], input_dropout=0.2)
    assert _kinds(model) == [
        tnn.Dropout,
        tnn.Linear,
        tnn.ReLU,
        tnn.Dropout,
        tnn.Linear,
        tnn.ReLU,
        tnn.Linear,
        tnn.ReLU,
        tnn.Dropout,
        tnn.Linear,
    ]
    assert [layer.p for layer in model if isinstance(layer, tnn.Dropout)] == [0.2, 0.1, 0.3]
    native = MLP(IN, [8, 8, 8], OUT, "relu", dropout=[0.1, 0.0, 0.3], input_dropout=0.2, backend="torch")
    assert [type(layer) for layer in native].count(torch.nn.Dropout) == 3
    assert tnn.Dropout not in _kinds(MLP(IN, [8], OUT, dropout=0.0))


def test_mlp_with_dropout_matches_its_twin_in_train_and_eval():
    ours, native = _twins(activation="prelu", dropout=0.4, input_dropout=0.2)
    ours.double(), native.double()
    x = torch.randn(6, 3, 4, 4, dtype=torch.float64)
    torch.manual_seed(3)
    trained = ours(x)
    torch.manual_seed(3)
    torch.testing.assert_close(trained, native(x), rtol=1e-12, atol=1e-12)
    torch.manual_seed(4)
    assert not torch.equal(ours(x), trained)  # a new mask
    ours.eval(), native.eval()
    torch.testing.assert_close(ours(x), native(x), rtol=1e-12, atol=1e-12)
    assert torch.equal(ours(x), ours(x))  # deterministic in eval mode


def test_images_are_flattened_and_vectors_pass_through():
    model = MLP(IN, HIDDEN, OUT)
    images = torch.randn(3, 3, 4, 4)
    torch.testing.assert_close(model(images), model(images.flatten(1)))
    assert model(torch.randn(1, IN)).shape == (1, OUT)
    assert (model.in_features, model.out_features, model.backend) == (IN, OUT, "torchlayers")


def test_slicing_gives_a_sequential_of_the_same_layers():
    model = MLP(12, [8, 6], 3)
    head = model[:2]
    assert type(head) is torch.nn.Sequential and list(head) == list(model)[:2]
    assert list(head.state_dict()) == ["0.weight", "0.bias"]
    assert model[-1] is list(model)[-1]
    x = torch.randn(4, 12)
    torch.testing.assert_close(model[2:](model[:2](x)), model(x))


# --- the fused node (fused=True, the default) -----------------------------------------------

FUSED_ACTIVATIONS = [
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "prelu",
    "elu",
    ["prelu", "relu"],
    ["elu", "tanh"],
]


# the last node of each fused mode's graph
FUSED_NODE = {True: "ActivationLinearFunctionBackward", "network": "MLPFunctionBackward"}


def _fused_and_per_op(fused=True, **kwargs) -> tuple[MLP, MLP]:
    """The same network (one set of parameters) fused and layer by layer."""
    fused = MLP(IN, HIDDEN, OUT, **kwargs, fused=fused)
    per_op = MLP(IN, HIDDEN, OUT, **kwargs, fused=False)
    per_op.load_state_dict(fused.state_dict())
    return fused, per_op


@pytest.mark.parametrize("kernels", [True, False], ids=["kernels", "formulas"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("activation", FUSED_ACTIVATIONS, ids=str)
@pytest.mark.parametrize("mode", [True, "network"], ids=["layer_nodes", "network_node"])
def test_fused_and_per_op_mlps_give_identical_outputs_and_gradients(mode, activation, dtype, bias, kernels):
    """The fused nodes compute what the chain of single ops computes, bit for bit: the same
    forwards and the same derivative formulas, in the same order."""
    fused, per_op = _fused_and_per_op(mode, activation=activation, bias=bias)
    fused.to(dtype), per_op.to(dtype)
    images = torch.randn(7, 3, 4, 4, dtype=dtype)
    upstream = torch.randn(7, OUT, dtype=dtype)
    results = []
    with torchlayers.use_kernels(kernels):
        for model in (fused, per_op):
            x = images.clone().requires_grad_()
            scores = model(x)
            grads = torch.autograd.grad(scores, [x, *model.parameters()], upstream)
            results.append((scores, grads))
    (scores, grads), (per_op_scores, per_op_grads) = results
    assert scores.grad_fn.name() == FUSED_NODE[mode]
    torch.testing.assert_close(scores, per_op_scores, rtol=0, atol=0)
    for grad, per_op_grad in zip(grads, per_op_grads, strict=True):
        torch.testing.assert_close(grad, per_op_grad, rtol=0, atol=0)


@pytest.mark.parametrize("activation", ["relu", "prelu"])
def test_fused_false_builds_the_per_op_graph(activation):
    fused, per_op = _fused_and_per_op(activation=activation)
    x = torch.randn(4, IN, requires_grad=True)
    # the first Linear, then one node per hidden layer: its activation and the next Linear
    assert _graph_nodes(fused(x)) == {
        "LinearFunctionBackward",
        "ActivationLinearFunctionBackward",
        "AccumulateGrad",
    }
    fused.fused = "network"
    assert _graph_nodes(fused(x)) == {"MLPFunctionBackward", "AccumulateGrad"}
    nodes = _graph_nodes(per_op(x))
    assert not {"MLPFunctionBackward", "ActivationLinearFunctionBackward"} & nodes
    assert {"LinearFunctionBackward", f"{TORCHLAYERS_CLASS[activation].__name__}FunctionBackward"} <= nodes


@pytest.mark.parametrize(
    "kwargs", [{"activation": "maxout"}, {"dropout": 0.5}, {"input_dropout": 0.2}], ids=str
)
def test_maxout_and_dropout_networks_run_layer_by_layer(kwargs):
    """The node computes Linear and elementwise activations only: a network with any other layer
    runs each layer's module (all of them, not a fused segment)."""
    model = MLP(IN, HIDDEN, OUT, **kwargs)
    assert model.fused
    nodes = _graph_nodes(model(torch.randn(4, IN, requires_grad=True)))
    assert not {"MLPFunctionBackward", "ActivationLinearFunctionBackward"} & nodes
    assert "LinearFunctionBackward" in nodes


def test_a_replaced_layer_is_computed_as_it_is_now():
    """The fused node reads the layers on every call: a layer swapped in after construction counts."""
    model = MLP(IN, [8], OUT, "relu").double()
    x = torch.randn(5, IN, dtype=torch.float64)
    model[1] = tnn.Tanh()
    assert model(x).grad_fn.name() == "ActivationLinearFunctionBackward"
    torch.testing.assert_close(model(x), model[2](torch.tanh(model[0](x))), rtol=0, atol=0)
    model[1] = torch.nn.Softsign()  # not one of the node's activations: layer by layer
    torch.testing.assert_close(model(x), model[2](torch.nn.functional.softsign(model[0](x))))


def test_a_replaced_parameter_is_used_as_it_is_now():
    model = MLP(IN, [8], OUT, "relu").double()
    x = torch.randn(5, IN, dtype=torch.float64)
    model[2].weight = torch.nn.Parameter(torch.zeros_like(model[2].weight))
    model[2].bias = None
    assert model(x).grad_fn.name() == "ActivationLinearFunctionBackward"
    torch.testing.assert_close(model(x), torch.zeros(5, OUT, dtype=torch.float64), rtol=0, atol=0)


@pytest.mark.parametrize("fused", [True, "network"])
@pytest.mark.parametrize(
    "register",
    [
        lambda layer, hook: layer.register_forward_hook(lambda module, args, output: hook()),
        lambda layer, hook: layer.register_forward_pre_hook(lambda module, args: hook()),
        lambda layer, hook: layer.register_full_backward_hook(lambda module, gi, go: hook()),
        lambda layer, hook: layer.register_full_backward_pre_hook(lambda module, go: hook()),
        lambda layer, hook: torch.nn.modules.module.register_module_forward_hook(
            lambda module, args, output: hook() if module is layer else None
        ),
    ],
    ids=["forward", "forward_pre", "backward", "backward_pre", "global_forward"],
)
def test_a_layer_with_a_hook_runs_layer_by_layer_so_the_hook_runs(register, fused):
    """A fused node never calls the layers' modules: a hooked layer makes the network run module
    by module, so every hook fires as in torch.nn's network; removing it fuses again."""
    model = MLP(IN, HIDDEN, OUT, "relu", fused=fused)
    x = torch.randn(4, IN, requires_grad=True)
    calls = []
    handle = register(model[2], lambda: calls.append(1))
    try:
        output = model(x)
        output.sum().backward()
        assert calls
        assert not {"MLPFunctionBackward", "ActivationLinearFunctionBackward"} & _graph_nodes(output)
    finally:
        handle.remove()
    assert {"MLPFunctionBackward", "ActivationLinearFunctionBackward"} & _graph_nodes(model(x))


def test_fused_leaves_state_dict_repr_and_slicing_unchanged():
    fused, per_op = _fused_and_per_op(activation=["leaky_relu", "prelu"])
    assert repr(fused) == repr(per_op)
    assert list(fused.state_dict()) == list(per_op.state_dict())
    assert [type(layer) for layer in fused[1:3]] == [type(layer) for layer in per_op[1:3]]
    assert type(fused[:2]) is torch.nn.Sequential
    assert not MLP(IN, HIDDEN, OUT, backend="torch").fused  # the twin is torch.nn's layers


def _saved(model, x) -> list[torch.Tensor]:
    packed = []

    def pack(tensor):
        packed.append(tensor)
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(x)
    return packed


def _storages(tensors) -> dict[int, int]:
    return {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in tensors}


@pytest.mark.parametrize("input_requires_grad", [False, True], ids=["data", "input_grad"])
@pytest.mark.parametrize("activation", [*ACTIVATION_NAMES[:-1], ["relu", "elu"]], ids=str)
def test_fused_node_saves_what_torch_nns_layers_save(activation, input_requires_grad):
    """Each Linear's input and weight (the weight only where the input needs a gradient), each
    activation's output (its input for leaky ReLU, ELU and PReLU, and PReLU's weight): the same
    storages as the per-op graph, the same bytes as torch.nn."""
    fused = MLP(IN, HIDDEN, OUT, activation)
    native = MLP(IN, HIDDEN, OUT, activation, backend="torch")
    native.load_state_dict(fused.state_dict())
    x = torch.randn(6, IN, requires_grad=input_requires_grad)
    leaves = {t.data_ptr() for t in [x, *fused.parameters()]}

    def summary(fuse: bool):
        """The saved leaves, and the sizes of the other (activation) storages."""
        fused.fused = fuse
        storages = _storages(_saved(fused, x))
        return {p for p in storages if p in leaves}, sorted(n for p, n in storages.items() if p not in leaves)

    assert summary(False) == summary(True) == summary("network")
    saved_leaves, _ = summary(True)
    assert x.data_ptr() in saved_leaves  # the first Linear's input, for ∂W = gᵀ x
    assert (fused[0].weight.data_ptr() in saved_leaves) == input_requires_grad  # ∂x = g W if needed
    assert sum(_storages(_saved(fused, x)).values()) == sum(_storages(_saved(native, x)).values())


def test_layer_nodes_peak_where_torch_nns_layers_peak():
    """One node per layer frees each hidden activation before the layer below makes its
    weight's gradient, as torch.nn's layers do; the one-node network holds them all until its
    backward ends, and peaks higher by about those activations (what ``fused="network"``
    documents)."""
    from benchmarks.timing import cpu_peak_bytes

    torch.manual_seed(0)
    sizes, batch = (192, 256, 256, 10), 64
    native = MLP(sizes[0], sizes[1:-1], sizes[-1], backend="torch")
    x = torch.randn(batch, sizes[0])

    def peak(model) -> int:
        model.load_state_dict(native.state_dict())
        model.zero_grad(set_to_none=True)
        return cpu_peak_bytes(lambda: model(x).square().sum().backward())

    activation_bytes = batch * sizes[1] * 4
    with torchlayers.use_kernels(True):  # torch's kernels: torch's allocations, byte for byte
        torch_peak = peak(native)
        assert peak(MLP(sizes[0], sizes[1:-1], sizes[-1])) == torch_peak
        assert peak(MLP(sizes[0], sizes[1:-1], sizes[-1], fused=False)) == torch_peak
        assert peak(MLP(sizes[0], sizes[1:-1], sizes[-1], fused="network")) >= torch_peak + activation_bytes
    with torchlayers.use_kernels(False):
        # The formulas' temporaries (relu_grad's mask) are made while the node still holds the
        # gradient of its scores, which the per-op graph has freed by then: at most that one
        # activation-sized buffer more, and below the one-node network still.
        per_op_peak = peak(MLP(sizes[0], sizes[1:-1], sizes[-1], fused=False))
        layer_peak = peak(MLP(sizes[0], sizes[1:-1], sizes[-1]))
        assert per_op_peak <= layer_peak <= per_op_peak + activation_bytes
        assert layer_peak < peak(MLP(sizes[0], sizes[1:-1], sizes[-1], fused="network"))


def test_fused_must_be_a_known_mode():
    with pytest.raises(ValueError, match="fused must be True, False or 'network'"):
        MLP(IN, HIDDEN, OUT, fused="layer")


def test_fused_mlp_compiles_with_no_graph_break():
    torch._dynamo.reset()
    model = MLP(IN, HIDDEN, OUT, ["prelu", "relu"])
    x = torch.randn(5, IN)
    explanation = torch._dynamo.explain(model)(x)
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1
    compiled = torch.compile(model, backend="aot_eager", fullgraph=True)
    scores = compiled(x)
    torch.testing.assert_close(scores, model(x))
    grads = torch.autograd.grad(scores.sum(), list(model.parameters()))
    for grad, expected in zip(
        grads, torch.autograd.grad(model(x).sum(), list(model.parameters())), strict=True
    ):
        torch.testing.assert_close(grad, expected)
    torch._dynamo.reset()


def test_layer_norm_networks_match_their_torch_twin():
    """norm="layer": a LayerNorm on each hidden layer's scores, before its activation; the same
    layers, state_dict and numbers as the torch.nn twin, layer by layer (no fused node)."""
    torch.manual_seed(0)
    ours = MLP(IN, HIDDEN, OUT, "tanh", norm="layer").double()
    torch.manual_seed(0)
    native = MLP(IN, HIDDEN, OUT, "tanh", norm="layer", backend="torch").double()
    assert [type(layer).__name__ for layer in ours] == [type(layer).__name__ for layer in native]
    assert type(ours[1]) is tnn.LayerNorm and ours[1].normalized_shape == (HIDDEN[0],)
    assert list(ours.state_dict()) == list(native.state_dict())
    x = torch.randn(6, IN, dtype=torch.float64, requires_grad=True)
    scores, native_scores = ours(x), native(x)
    assert "LayerNormFunctionBackward" in _graph_nodes(scores)
    torch.testing.assert_close(scores, native_scores)
    for grad, expected in zip(
        torch.autograd.grad(scores.sum(), [x, *ours.parameters()]),
        torch.autograd.grad(native_scores.sum(), [x, *native.parameters()]),
        strict=True,
    ):
        torch.testing.assert_close(grad, expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"norm": "batch"}, "norm must be one of"), ({"norm": "layer", "activation": "maxout"}, "maxout")],
    ids=["unknown", "maxout"],
)
def test_bad_norms_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLP(IN, HIDDEN, OUT, **kwargs)
