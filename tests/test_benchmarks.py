"""Smoke test of the benchmark suite: it runs end to end with minimal repeats, and its memory
measure counts what autograd really keeps."""

from __future__ import annotations

import json

import torch

import torchlayers.nn as tnn
from benchmarks import ops, report
from benchmarks.__main__ import main
from benchmarks.timing import saved_tensor_bytes


def test_quick_run_records_every_module_and_renders(tmp_path):
    result = main(["--device", "cpu", "--quick", "--output-dir", str(tmp_path)])
    (saved,) = tmp_path.glob("*-cpu-quick.json")
    assert json.loads(saved.read_text())["environment"]["torch_threads"] == torch.get_num_threads()

    benchmarked, _, _ = ops.discover()
    assert {"Linear", "ReLU", "Maxout", "MulConstant"} <= set(benchmarked)
    records = {(r["op"], r["size"]): r for r in result["ops"]["records"]}
    assert set(records) == {(name, size) for name in benchmarked for size in ops.SIZES}
    for record in records.values():
        for measure in ops.MEASURES:
            assert record[measure]["ratio"] > 0
            assert set(record[measure]["seconds"]) == {"torchlayers", ops.FORMULAS, "torch.nn"}
            assert record[measure]["ratios"][ops.FORMULAS] > 0
    # ReLU keeps its output, as torch does: the same bytes (8×16 float32) for both, in both modes.
    relu_bytes = 8 * 16 * 4
    expected = {"torchlayers": relu_bytes, ops.FORMULAS: relu_bytes, "torch.nn": relu_bytes}
    assert records[("ReLU", "small")]["saved_bytes"] == expected

    (eager_float32, *_) = result["mlp"]["records"]
    assert eager_float32["mode"] == "eager" and eager_float32["step"]["ratio"] > 0
    # a step allocates at least its activations, and the same MLP peaks alike in both
    assert min(eager_float32["cpu_peak_bytes"].values()) > 0
    host_bound = result["mlp"]["records"][-1]
    assert host_bound["regime"] == "host-bound" and host_bound["sizes"] == [64, 32, 32, 10]
    # timed against the floor too: one minimal Python Function per op, its ratio to torch.nn
    assert set(host_bound["step"]["seconds"]) == {
        "torchlayers",
        "torchlayers, per-op (fused=False)",
        'torchlayers, one node (fused="network")',
        "torchlayers MLP, torch.nn loss",
        'torchlayers MLP one node (fused="network"), torch.nn loss',
        "minimal Python Functions",
        ops.FORMULAS,
        "torch.nn",
    }
    assert host_bound["step"]["ratios"]["minimal Python Functions"] > 0
    assert set(result["overhead"]["seconds"]) >= {
        "torchlayers.nn.ReLU()",
        "minimal Python Function (floor)",
        "torch.relu",
    }

    markdown = report.render([result])
    assert "| ReLU | small | 8×16 |" in markdown
    assert "MLP train step, eager, float32" in markdown
    assert "host-bound sizes (64-32-32-10, batch 8)" in markdown
    assert "MLP train step, eager, float32: peak memory (the profiler's record of allocations)" in markdown
    assert "one minimal Python Function per op:" in markdown
    assert "the default with torch.nn's loss:" in markdown


def test_saved_tensor_bytes_counts_each_storage_once():
    input = torch.randn(10, 3, requires_grad=True)
    # x * x saves x twice; x.t() is a view of the same storage: one storage in all.
    assert saved_tensor_bytes(lambda: input * input.t().t()) == 10 * 3 * 4
    # Linear(3, 5) on a leaf input saves the input and the weight.
    linear = tnn.Linear(3, 5)
    assert saved_tensor_bytes(lambda: linear(input)) == (10 * 3 + 5 * 3) * 4


def test_ratio_against_a_goal_shows_the_side_it_falls_on():
    # two decimals where they suffice; more where rounding would print a miss as the goal itself
    assert report._ratio_against(0.98, 1.00) == "0.98"
    assert report._ratio_against(1.00, 1.00) == "1.00"
    assert report._ratio_against(1.0003, 1.00) == "1.0003"
    assert report._ratio_against(1.004, 1.00) == "1.004"
    assert report._ratio_against(0.8996, 0.90, at_least=True) == "0.8996"
    assert report._ratio_against(0.9004, 0.90, at_least=True) == "0.90"
    assert report._met(1.0003, 1.00) == "**missed**"


def test_floor_mlp_computes_torch_nns_loss_and_gradients():
    # the floor is a fair one only if it does the same work: same loss, same gradients
    from torch import nn

    from benchmarks import floor
    from torchlayers.models import MLP

    torch.manual_seed(0)
    reference = MLP(12, [8, 8], 5, backend="torch")
    minimal = floor.mlp((12, 8, 8, 5))
    minimal.load_state_dict(reference.state_dict())
    input, target = torch.randn(6, 12), torch.tensor([0, 4, 2, 2, 1, 3])
    losses = [
        criterion(model(input), target)
        for model, criterion in ((reference, nn.CrossEntropyLoss()), (minimal, floor.CrossEntropyLoss()))
    ]
    torch.testing.assert_close(losses[1], losses[0])
    for loss in losses:
        loss.backward()
    for got, want in zip(minimal.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(got.grad, want.grad)


def test_cpu_peak_bytes_follows_allocations_and_frees():
    from benchmarks.timing import cpu_peak_bytes

    numel = 1 << 18
    assert cpu_peak_bytes(lambda: torch.empty(numel)) == 4 * numel  # one block

    def one_after_another():
        for _ in range(3):
            block = torch.empty(numel)
            del block  # freed before the next allocation: the peak is one block

    assert cpu_peak_bytes(one_after_another) == 4 * numel
    assert cpu_peak_bytes(lambda: (torch.empty(numel), torch.empty(numel))) == 8 * numel  # both live


def test_bfloat16_autocast_step_peaks_exactly_like_torch_nn():
    # Autocast's casts run in torch's order (last argument first): the engine then frees each
    # low-precision gradient when torch.nn's does, and the per-op step's peak is torch.nn's to the
    # byte (the fused node keeps its casts until its backward ends: see benchmarks/mlp.py).
    from torch import nn

    from benchmarks.timing import cpu_peak_bytes
    from torchlayers.models import MLP

    torch.manual_seed(0)
    sizes = (768, 256, 256, 10)
    state = MLP(768, [256, 256], 10, backend="torch").state_dict()
    input, target = torch.randn(64, sizes[0]), torch.randint(0, sizes[-1], (64,))
    peaks = {}
    for library, kwargs in ((tnn, {"fused": False}), (nn, {"backend": "torch"})):
        model = MLP(768, [256, 256], 10, **kwargs)
        model.load_state_dict(state)
        criterion = library.CrossEntropyLoss()

        def step(model=model, criterion=criterion):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = criterion(model(input), target)
            loss.backward()

        step()
        model.zero_grad(set_to_none=True)
        peaks[library.__name__] = cpu_peak_bytes(step)
    assert peaks["torchlayers.nn"] == peaks["torch.nn"]
