# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The lecture's computational graphs, in code
#
# The introductory lecture builds neural networks out of *computational graphs*: nodes that compute,
# directed edges that carry values forward and gradients back. This tutorial walks its slides with
# real tensors. Every operation below is a `torch.autograd.Function` of torchlayers whose backward is
# the derivative the slide writes next to it; `torchlayers.graph.record()` makes each call a node
# whose value and gradient we can read, explain and draw.
#
# (This notebook is built from `docs/tutorial.py` with jupytext; the test suite runs that script.)

# %%
import torch

import torchlayers.functional as F
import torchlayers.graph as graph
import torchlayers.nn as tnn


def leaves(**values):
    """Named scalar inputs that ask for their gradient, in float64."""
    return {name: torch.tensor(v, dtype=torch.float64, requires_grad=True) for name, v in values.items()}


# %% [markdown]
# ## A first graph: f(x, y, z) = (x + y) z
#
# Two nodes: the add gate q = x + y and the multiply gate f = q z. With x = -2, y = 5, z = -4 the
# forward pass gives q = 3 and f = -12.

# %%
t = leaves(x=-2.0, y=5.0, z=-4.0)
with graph.record(**t) as g:
    q = F.add(t["x"], t["y"])
    f = F.mul(q, t["z"])
print(g)
assert (q.item(), f.item()) == (3.0, -12.0)

# %% [markdown]
# ## The backward pass, node by node
#
# The slides' `ComputationalGraph.backward` visits the nodes in reverse topological order and applies
# the chain rule at each: ∂f/∂q = z = -4, then the add gate hands that gradient unchanged to both
# of its inputs, ∂f/∂x = ∂f/∂y = -4, while ∂f/∂z = q = 3. `g.backward()` is that loop: each node's
# own `Function.backward` (the formula), in reverse order.

# %%
g.backward()
print(g.explain())
assert [t[name].grad.item() for name in "xyz"] == [-4.0, -4.0, 3.0]

# %% [markdown]
# torch's own engine runs the same formulas and gives the same numbers (here after clearing them):

# %%
g.zero_grad()
f.backward()
print({name: tensor.grad.item() for name, tensor in t.items()}, "∂f/∂q =", g.nodes[0].grad.item())

# %% [markdown]
# The slides draw the graph with the values above each edge and the gradients below it:

# %%
g

# %% [markdown]
# ## The sigmoid neuron, gate by gate
#
# f(w, x) = 1 / (1 + e^-(w0 x0 + w1 x1 + w2)) with w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3,
# built from the lecture's gates: `*`, `+`, `*-1`, `exp`, `+1` and `1/x`, each with its local
# derivative (eˣ → eˣ, 1/x → -1/x², a x → a, c + x → 1).

# %%
n = leaves(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0)
with graph.record(**n) as neuron:
    score = F.add(F.add(F.mul(n["w0"], n["x0"]), F.mul(n["w1"], n["x1"])), n["w2"])
    out = F.reciprocal(F.add_constant(F.exp(F.mul_constant(score, -1.0)), 1.0))
neuron.backward()
print(f"f = {out.item():.2f}")
print(neuron.explain())

# %% [markdown]
# Right to left, as on the slides: -1/1.37² = -0.53 at the input of `1/x`, unchanged through `+1`,
# times e⁻¹ through `exp` gives -0.20, times -1 gives 0.20, which the add gates distribute, and the
# multiply gates swap their inputs: ∂f/∂w0 = x0 · 0.20 = -0.20, ∂f/∂x0 = w0 · 0.20 = 0.39.

# %%
printed = {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}
assert {name: round(tensor.grad.item(), 2) for name, tensor in n.items()} == printed
neuron

# %% [markdown]
# ## The sigmoid gate is the composed graph
#
# The four gates after the score are σ(s) = 1/(1 + e⁻ˢ), whose derivative is σ(s)(1 - σ(s)): one
# `sigmoid` node gives the same value and the same gradient as the composed graph.

# %%
s = score.detach().clone().requires_grad_()
with graph.record(s=s) as gate:
    sigma = F.sigmoid(s)
gate.backward()
print(gate.explain())
torch.testing.assert_close(sigma, out.detach())
torch.testing.assert_close(s.grad, neuron.nodes[3].grad)  # ∂f/∂score of the composed graph

# %% [markdown]
# ## The MulNode caches its inputs
#
# The slides' `MulNode` keeps `self.x` and `self.y` from its forward, because its backward needs
# them: dx = y dz, dy = x dz. The multiply gate of torchlayers caches the same two tensors (and only
# the one a gradient needs, when just one input asks for a gradient):

# %%
mul = g.nodes[1]  # f = q z
print(mul.name, "saved:", [v.item() for v in mul.saved])
a, b = torch.tensor(2.0, requires_grad=True), torch.tensor(3.0)  # b needs no gradient
with graph.record() as only_a:
    F.mul(a, b)
print("only a needs a gradient, saved:", only_a.nodes[0].saved)

# %% [markdown]
# ## Gradients add at branches
#
# "What if a node has several outputs?" When one value feeds several nodes, the gradients flowing
# back along its edges add up. Here e = eˣ feeds both the multiply gate and the sigmoid:

# %%
x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
with graph.record(x=x) as branch:
    e = F.exp(x)
    F.mul(e, F.sigmoid(e))
branch.backward()
print(branch.explain())
branch

# %% [markdown]
# ## Linear node + hinge loss + regularisation
#
# The lecture combines nodes into a classifier's loss: scores from a linear node, the multi-class
# hinge loss, and λ Σ W². Recording the `torchlayers.nn` modules shows the same graph at tensor
# shapes; large values are summarised by shape and norm.

# %%
torch.manual_seed(0)
model = torch.nn.Sequential(tnn.Linear(3072, 100), tnn.ReLU(), tnn.Linear(100, 10))
images, labels = torch.randn(16, 3072), torch.randint(0, 10, (16,))
with graph.record(x=images, net=model) as classifier:
    data_loss = tnn.MultiMarginLoss()(model(images), labels)
    loss = F.add(data_loss, F.l2_regularization(model[0].weight, model[2].weight, weight=1e-3))
classifier.backward()
print(classifier)
print(classifier.explain())
classifier

# %% [markdown]
# ## Vectorised backward: never a Jacobian
#
# For an elementwise layer z = σ(y) on ℝ⁴⁰⁹⁶ the Jacobian ∂z/∂y is 4096 × 4096: 16.8 million floats,
# 64 MiB in float32, and for a batch of 16 it is (16 · 4096)², 16 GiB. Yet it is diagonal, so the
# backward pass only multiplies elementwise: g ⊙ σ(1 - σ), 4096 numbers per sample.

# %%
width, batch = 4096, 16
print(f"one sample: {width**2:,} entries, {width**2 * 4 / 2**20:.0f} MiB")
print(f"batch of {batch}: {(batch * width) ** 2:,} entries, {(batch * width) ** 2 * 4 / 2**30:.0f} GiB")

# %% [markdown]
# Materialising it for a smaller layer shows it is diagonal, and that gᵀJ is exactly the vectorised
# backward torchlayers runs (`examples/jacobian.py` measures the 4096-wide case):

# %%
y = torch.randn(256, dtype=torch.float64)
jacobian = torch.func.jacrev(F.sigmoid)(y)
print("Jacobian", tuple(jacobian.shape), "non-zero entries:", int((jacobian != 0).sum()))
grad_output = torch.randn(256, dtype=torch.float64)
leaf = y.clone().requires_grad_()
(vectorised,) = torch.autograd.grad(F.sigmoid(leaf), leaf, grad_output)
torch.testing.assert_close(grad_output @ jacobian, vectorised)
