"""Side-by-side benchmarks of torchlayers against torch.nn, results committed with the device
and versions that produced them.

Run from the repository root::

    python -m benchmarks                       # everything, on CUDA when available
    python -m benchmarks --device cpu          # the CPU run (nice it on a shared machine)
    python -m benchmarks --only mlp            # ops | mlp | overhead | e2e | loop (repeatable)
    python -m benchmarks --quick               # a few repeats of tiny sizes: checks it runs
    python -m benchmarks.report                # rewrite RESULTS.md from results/*.json

Each run writes ``results/<date>-<device>.json`` (every figure, the device, torch version,
thread count and load) and regenerates ``RESULTS.md`` from the latest full run per device.

* :mod:`benchmarks.ops` -- every ``torchlayers.nn`` module against its torch.nn twin.
* :mod:`benchmarks.mlp` -- an MLP training step, eager and compiled, float32 and bfloat16.
* :mod:`benchmarks.overhead` -- the cost of each layer of the apply path of a small op.
* :mod:`benchmarks.loop` -- an epoch of linear.yaml: the step, the data path, a lean loop, the CLI.
* :mod:`benchmarks.floor` -- one minimal Python Function per op: the floor of that design.
* :mod:`benchmarks.instructions` -- instructions per host-bound MLP step, under callgrind.
* :mod:`benchmarks.timing` -- interleaved timing and the memory measures all of them use.
"""
