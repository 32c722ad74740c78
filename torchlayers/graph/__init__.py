"""See the computational graph: record torchlayers calls as nodes, read every node's value and
gradient, run the lecture's ``ComputationalGraph.backward`` node by node, explain it, draw it.

.. code-block:: python

    import torchlayers.graph as graph

    with graph.record(x=x, y=y, z=z) as g:   # every torchlayers op called inside is a node
        f = F.mul(F.add(x, y), z)
    f.backward()          # torch's engine: afterwards the nodes carry their gradients
    g.backward()          # or the slides' engine: each node's own Function.backward, in reverse
    print(g.explain())    # the chain rule, node by node, with its numbers
    g.draw("graph.svg")   # values above each edge, gradients below
"""

from torchlayers.graph._graph import Graph, Node, record

__all__ = ["Graph", "Node", "record"]
