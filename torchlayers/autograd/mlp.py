"""The whole MLP ``W_L a(… a(W_2 a(W_1 x + b_1) + b_2) …) + b_L`` as one node.

One Python ``Function`` per operation costs a Python call forward and backward per layer and
activation; at small sizes (and on a fast GPU) that, not the arithmetic, sets the speed of a
training step. :class:`MLPFunction` computes the same network as one node, with nothing new in
it: its forward calls the single ops' forwards (``LinearFunction.forward``,
``ReLUFunction.forward``, ...) layer after layer, and its backward is the lecture's chain rule
written out, walking the layers in reverse with the single ops' derivative formulas::

    g = ∂L/∂y
    for each layer, last first:      (z = h Wᵀ + b, then h' = a(z) for a hidden layer)
        g = a'(z) · g                 relu_grad, sigmoid_grad, ... (hidden layers)
        ∂W = gᵀ h,  ∂b = Σ g         linear_grad_weight, linear_grad_bias
        g = g W                       linear_grad_input: ∂L/∂h, the next layer's g

It keeps for backward exactly what the single ops keep (each Linear's input and weight, each
activation's output, or its input for leaky ReLU, ELU and PReLU), so the same bytes as
``torch.nn``'s layers. Double backward needs those intermediate tensors connected to the graph,
so the node returns them too (the functional returns only the scores): a gradient that
double backward sends into a hidden ``h`` or ``z`` comes back into this backward, which adds
it where the chain rule passes that tensor.

Unlike a chain of single ops, one node frees what it saved only when its whole backward has
run (a chain frees each activation when the layer that needs it is done).
"""

from __future__ import annotations

import torch
from torch.autograd import Function

from torchlayers.autograd._function import sum_tangents
from torchlayers.autograd.activation import (
    ELUFunction,
    LeakyReLUFunction,
    PReLUFunction,
    ReLUFunction,
    SigmoidFunction,
    TanhFunction,
    elu_grad,
    leaky_relu_grad,
    prelu_grad,
    prelu_tangent,
    prelu_weight_view,
    relu_grad,
    sigmoid_grad,
    tanh_grad,
)
from torchlayers.autograd.linear import (
    LinearFunction,
    linear_grad_bias,
    linear_grad_input,
    linear_grad_weight,
    linear_tangent,
)

__all__ = ["MLP_ACTIVATIONS", "ActivationLinearFunction", "MLPFunction"]

# The activations the node computes: name -> whether the single op caches its input (its
# output otherwise), the tensor its derivative is evaluated from.
MLP_ACTIVATIONS = {
    "sigmoid": False,
    "tanh": False,
    "relu": False,
    "leaky_relu": True,
    "elu": True,
    "prelu": True,
}


_PLANS: dict[tuple, tuple] = {}  # one per network shape: the plan is read four times a step


def layer_plan(activations: tuple) -> tuple:
    """Where each layer's tensors are, for ``activations`` (one ``(name, argument)`` per hidden
    layer): per layer, ``(weight, bias, slope)`` positions in the parameters (``slope``: PReLU's
    weight, else ``None``), the activation's name and argument (``None`` for the last layer),
    and the positions among the hidden outputs of its ``h`` and, for an activation that caches
    its input, its ``z`` (else ``None``)."""
    plan = _PLANS.get(activations)
    if plan is None:
        plan = _PLANS[activations] = _layer_plan(activations)
    return plan


def _layer_plan(activations: tuple) -> tuple:
    plan, position, hidden = [], 0, 0
    for name, argument in activations:
        slope = position + 2 if name == "prelu" else None
        z = hidden + 1 if MLP_ACTIVATIONS[name] else None
        plan.append((position, position + 1, slope, name, argument, hidden, z))
        position += 3 if slope is not None else 2
        hidden += 2 if z is not None else 1
    plan.append((position, position + 1, None, None, None, None, None))
    return tuple(plan)


def _activation(name: str, argument, z, slope):
    """The hidden layer's h = a(z), computed by the single op's forward."""
    if name == "relu":
        return ReLUFunction.forward(z, False)
    if name == "sigmoid":
        return SigmoidFunction.forward(z)
    if name == "tanh":
        return TanhFunction.forward(z)
    if name == "leaky_relu":
        return LeakyReLUFunction.forward(z, argument, False)
    if name == "elu":
        return ELUFunction.forward(z, argument, False)
    return PReLUFunction.forward(z, slope)


def _activation_grad(name: str, argument, grad, saved, slope):
    """(∂L/∂z, ∂L/∂slope) from g = ∂L/∂h: the single op's formula, evaluated from what it
    caches (``saved``: h, or z for leaky ReLU, ELU and PReLU). Also the tangent dh from dz."""
    if name == "relu":
        return relu_grad(grad, saved), None
    if name == "sigmoid":
        return sigmoid_grad(grad, saved), None
    if name == "tanh":
        return tanh_grad(grad, saved), None
    if name == "leaky_relu":
        return leaky_relu_grad(grad, saved, argument, False), None
    if name == "elu":
        return elu_grad(grad, saved, argument, False), None
    grad_input, grad_slope = prelu_grad(grad, saved, prelu_weight_view(slope, saved))
    return grad_input, grad_slope.reshape(slope.shape)


def _hidden_layer_grad(name: str, argument, grad_h, grad_z, cached, slope):
    """(∂L/∂z, ∂L/∂slope) of a hidden layer h = a(z), from the gradients reaching h (from the
    layer above and from h itself as an output) and z (as an output); ``None`` where nothing
    reaches."""
    grad_slope = None
    g = grad_h
    if g is not None:
        g, grad_slope = _activation_grad(name, argument, g, cached, slope)  # ∂L/∂z = a'(z) · ∂L/∂h
    return sum_tangents(g, grad_z), grad_slope


def _layer_input_grad(g, weight, needed: bool):
    """∂L/∂h of the layer's input h from g = ∂L/∂z: g W (``None`` unless ``needed``)."""
    return linear_grad_input(g, weight) if needed else None  # ∂h = g W


def _score_tangent(layer_input, weight, input_tangent, weight_tangent, bias_tangent):
    """dz of z = h Wᵀ + b, with the batch's shape even when only the bias moved."""
    tangent = linear_tangent(layer_input, weight, input_tangent, weight_tangent, bias_tangent)
    if tangent is not None and tangent.shape[:-1] != layer_input.shape[:-1]:
        tangent = tangent.expand(*layer_input.shape[:-1], weight.shape[0]).clone()  # only db moved
    return tangent


def _hidden_tangent(name: str, argument, z_tangent, cached, slope, slope_tangent):
    """dh of h = a(z) from dz (and PReLU's d slope): the backward's formula, a'(z) dz."""
    if name == "prelu" and (z_tangent is not None or slope_tangent is not None):
        return prelu_tangent(cached, slope, z_tangent, slope_tangent)
    if z_tangent is None:
        return None
    return _activation_grad(name, argument, z_tangent, cached, slope)[0]


class MLPFunction(Function):
    """f(x) = W_L a(… a(W_1 x + b_1) …) + b_L in one node.

    ``forward(input, activations, *parameters)``: ``activations`` holds one ``(name, argument)``
    per hidden layer (names in :data:`MLP_ACTIVATIONS`; the argument is leaky ReLU's slope or
    ELU's α, else ``None``); ``parameters`` are each layer's weight and bias (``None`` for no
    bias), then PReLU's weight for a PReLU layer. Returns the scores, then each hidden layer's
    ``h`` (and ``z`` where the activation caches its input).
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, activations, *parameters):
        outputs = [None]
        h = input
        for weight, bias, slope, name, argument, _, keeps_z in layer_plan(activations):
            z = LinearFunction.forward(h, parameters[weight], parameters[bias])
            if name is None:
                outputs[0] = z
                break
            h = _activation(name, argument, z, None if slope is None else parameters[slope])
            outputs += (h, z) if keeps_z is not None else (h,)
        return tuple(outputs)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, activations, *parameters = inputs
        hidden = output[1:]
        needs = ctx.needs_input_grad[2:]
        plan = layer_plan(activations)
        ctx.activations = activations
        ctx.set_materialize_grads(False)  # the hidden outputs' gradients are None unless used
        # needs_layer_input[l]: whether ∂L/∂(layer l's input) is needed, i.e. whether the input
        # or any parameter before layer l requires a gradient
        needs_layer_input, needed = [], ctx.needs_input_grad[0]
        to_save, for_forward = [], []
        layer_input = input
        for weight, bias, slope, name, _, h, z in plan:
            needs_layer_input.append(needed)
            w = parameters[weight]
            a = None if slope is None else parameters[slope]
            # what the single ops cache: Linear its input (for ∂W) and weight (for ∂h), each
            # only if that gradient is needed; the activation its output h, or its input z
            cached = None if name is None else hidden[z] if z is not None else hidden[h]
            to_save += (layer_input if needs[weight] else None, w if needed else None, cached, a)
            for_forward += (layer_input, w, cached, a)
            needed = needed or needs[weight] or needs[bias] or (slope is not None and needs[slope])
            layer_input = None if name is None else hidden[h]
        ctx.needs_layer_input = needs_layer_input
        ctx.save_for_backward(*to_save)
        ctx.save_for_forward(*for_forward)

    @staticmethod
    def backward(ctx, grad_output, *grad_hidden):
        saved = ctx.saved_tensors
        needs = ctx.needs_input_grad[2:]
        grads = [None] * len(needs)
        g = grad_output  # ∂L/∂(the layer's output)
        plan = layer_plan(ctx.activations)
        for layer in reversed(range(len(plan))):
            weight, bias, slope, name, argument, h, z = plan[layer]
            layer_input, w, cached, a = saved[4 * layer : 4 * layer + 4]
            if name is not None:  # h = a(z): ∂L/∂h (from above and from h itself), then ∂L/∂z
                g, grad_slope = _hidden_layer_grad(
                    name,
                    argument,
                    sum_tangents(g, grad_hidden[h]),
                    None if z is None else grad_hidden[z],
                    cached,
                    a,
                )
                if slope is not None and needs[slope]:
                    grads[slope] = grad_slope
            if g is None:  # nothing reaches this layer's output
                continue
            if needs[weight]:
                grads[weight] = linear_grad_weight(g, layer_input)  # ∂W = gᵀ h
            if needs[bias]:
                grads[bias] = linear_grad_bias(g)  # ∂b = Σ g
            g = _layer_input_grad(g, w, ctx.needs_layer_input[layer])
        return (g, None, *grads)

    @staticmethod
    def jvp(ctx, input_tangent, _activations, *parameter_tangents):
        saved = ctx.saved_tensors
        plan = layer_plan(ctx.activations)
        tangent, hidden_tangents = input_tangent, []  # dh of the layer's input
        for layer, (weight, bias, slope, name, argument, _, z) in enumerate(plan):
            layer_input, w, cached, a = saved[4 * layer : 4 * layer + 4]
            tangent = _score_tangent(
                layer_input, w, tangent, parameter_tangents[weight], parameter_tangents[bias]
            )
            if name is None:
                break
            z_tangent = tangent
            slope_tangent = None if slope is None else parameter_tangents[slope]
            tangent = _hidden_tangent(name, argument, z_tangent, cached, a, slope_tangent)
            # an output of a Function takes a tangent, zeros where nothing before it moved
            h_output = saved[4 * layer + 4]  # the next layer's input
            h_tangent = torch.zeros_like(h_output) if tangent is None else tangent
            if z is None:
                hidden_tangents.append(h_tangent)
            else:
                hidden_tangents += (h_tangent, torch.zeros_like(cached) if z_tangent is None else z_tangent)
        return (tangent, *hidden_tangents)


class ActivationLinearFunction(Function):
    """A hidden layer's activation and the next layer's scores, y = a(z) Wᵀ + b, in one node.

    The MLP builder's default nodes: the first ``Linear``, then one of these per hidden layer.
    Cut there (not at ``Linear`` + activation), each node holds the activation h = a(z) only
    until its backward has made ∂W = gᵀ h and ∂z = a'(z) · g W, and frees it before the layer
    below computes its weight's gradient: a network of these nodes peaks where ``torch.nn``'s
    layers do, with one Python node per layer instead of two.

    ``forward(input, weight, bias, slope, name, argument)``: ``input`` is z, ``slope`` PReLU's
    weight (else ``None``), ``name`` and ``argument`` as in :class:`MLPFunction`'s
    ``activations``. Returns y and h: double backward needs what backward reads connected to
    the graph, as for :class:`MLPFunction`. It saves what the activation and ``Linear`` save
    (h, or z for leaky ReLU, ELU and PReLU; h and the weight for the scores).
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, weight, bias, slope, name, argument):
        h = _activation(name, argument, input, slope)
        return LinearFunction.forward(h, weight, bias), h

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight, _bias, slope, name, argument = inputs
        h = output[1]
        ctx.activation, ctx.argument = name, argument
        ctx.set_materialize_grads(False)  # h's gradient is None unless h is used
        cached = input if MLP_ACTIVATIONS[name] else h  # what the activation's derivative reads
        needs_h = ctx.needs_input_grad[0] or ctx.needs_input_grad[3]
        ctx.needs_h = needs_h
        ctx.save_for_backward(
            h if ctx.needs_input_grad[1] else None, weight if needs_h else None, cached, slope
        )
        ctx.save_for_forward(h, weight, cached, slope)

    @staticmethod
    def backward(ctx, grad_output, grad_h):
        h, weight, cached, slope = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_weight = grad_bias = grad_h_from_scores = None
        if grad_output is not None:
            if needs[1]:
                grad_weight = linear_grad_weight(grad_output, h)  # ∂W = gᵀ h
            if needs[2]:
                grad_bias = linear_grad_bias(grad_output)  # ∂b = Σ g
            grad_h_from_scores = _layer_input_grad(grad_output, weight, ctx.needs_h)
        grad_input = grad_slope = None
        if ctx.needs_h:
            grad_input, grad_slope = _hidden_layer_grad(
                ctx.activation, ctx.argument, sum_tangents(grad_h_from_scores, grad_h), None, cached, slope
            )
        return (
            grad_input if needs[0] else None,
            grad_weight,
            grad_bias,
            grad_slope if needs[3] else None,
            None,
            None,
        )

    @staticmethod
    def jvp(ctx, input_tangent, weight_tangent, bias_tangent, slope_tangent, _name, _argument):
        h, weight, cached, slope = ctx.saved_tensors
        h_tangent = _hidden_tangent(ctx.activation, ctx.argument, input_tangent, cached, slope, slope_tangent)
        output_tangent = _score_tangent(h, weight, h_tangent, weight_tangent, bias_tangent)
        # an output of a Function takes a tangent, zeros where nothing before it moved
        return (
            h.new_zeros((*h.shape[:-1], weight.shape[0])) if output_tangent is None else output_tangent,
            torch.zeros_like(h) if h_tangent is None else h_tangent,
        )
