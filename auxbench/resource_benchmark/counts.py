"""What one training step costs in calls, not seconds: LSTM calls, host syncs and ops, counted by
the profiler while the training run's own step (`engine.train_step`) runs.

Seconds depend on the machine; the counts do not, and they say what a GPU will do with the step:
every LSTM call is a kernel launch sequence, and every host sync makes the host wait for the GPU
to drain its queue. Host syncs are counted as the ops whose result the host must read before it
can go on (`SYNC_OPS`): on a CPU they cost nothing, but the same op on a GPU waits. Host-side
bookkeeping (anchors, where scans are cut) is NumPy, so it is not counted. On CUDA, syncs are
also counted by torch's own sync debugger.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter

import torch
from torch.profiler import ProfilerActivity, profile

from auxbench.config import resolve
from auxbench.models import build_model
from auxbench.resource_benchmark.flops import step_flops
from auxbench.rnn_cells import CELLS
from auxbench.runtime import set_precision
from auxbench.train.engine import build_optimizer, train_step
from auxbench.train.tally import StepTally

# recurrent calls: the auxiliary LSTMs' and each main cell's (auxbench/rnn_cells/)
LSTM_OPS = tuple(dict.fromkeys(("aten::lstm", *(op for cell in CELLS.values()
                                                for op in cell.recurrent_ops))))
SYNC_OPS = ("aten::_local_scalar_dense", "aten::nonzero", "aten::_unique2", "aten::unique_dim",
            "aten::unique_consecutive", "aten::masked_select")


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def count_step(cfg: dict, length: int, batch: int, device: torch.device, steps: int = 2,
               channels: int = 1, classes: int = 10) -> dict:
    """Per-step LSTM calls, host syncs, aten ops and seconds of `steps` training steps (after one
    warm-up) of the run config `cfg` on random tokens of `length` steps."""
    cfg = resolve(cfg)
    set_precision(cfg["train"])
    torch.manual_seed(0)
    model = build_model(cfg, channels, 256, classes, None).to(device)
    optimizer, _ = build_optimizer(cfg, model, 0)
    gen = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 256, (batch, length, channels), dtype=torch.uint8, generator=gen)
    labels = torch.randint(0, classes, (batch,), generator=gen)
    tokens, labels = tokens.to(device), labels.to(device)
    first = torch.zeros(batch, dtype=torch.long)  # random tokens hold no padding
    tally = StepTally(device)

    def step(i: int) -> None:
        train_step(model, optimizer, tokens, labels, cfg["train"], "train", gen, tally, i, first)

    step(0)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda"
                                            else [])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if device.type == "cuda":
            torch.cuda.set_sync_debug_mode("warn")
        try:
            with profile(activities=activities) as prof:
                for i in range(steps):
                    step(i)
        finally:
            if device.type == "cuda":
                torch.cuda.set_sync_debug_mode("default")
    names = Counter(e.name for e in prof.events())
    _synchronize(device)
    started = time.perf_counter()
    for i in range(steps):
        step(i)
    _synchronize(device)
    seconds = (time.perf_counter() - started) / steps
    out = {"method": cfg["method"], "length": length, "batch": batch, "device": str(device),
           "lstm_calls": sum(names[n] for n in LSTM_OPS) / steps,
           "host_syncs": sum(names[n] for n in SYNC_OPS) / steps,
           "ops": sum(v for n, v in names.items() if n.startswith("aten::")) / steps,
           "step_time_s": seconds,
           "gflop": step_flops(cfg, batch, length, channels) / 1e9}
    if device.type == "cuda":
        out["cuda_syncs"] = sum("synchroniz" in str(w.message) for w in caught) / steps
    tally.read("step {}", "(none)")  # a non-finite step in the benchmark is an error too
    return out
