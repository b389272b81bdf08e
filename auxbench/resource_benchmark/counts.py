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
from types import SimpleNamespace

import torch
from torch.profiler import ProfilerActivity, profile

from auxbench.config import resolve
from auxbench.models import build_model
from auxbench.resource_benchmark.flops import step_flops
from auxbench.rnn_cells import CELLS
from auxbench.runtime import set_precision
from auxbench.train.engine import build_optimizer, train_step
from auxbench.train.group import GroupStep
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
               channels: int = 1, classes: int = 10, group: int = 1) -> dict:
    """Per-step LSTM calls, host syncs, aten ops and seconds of `steps` training steps (after one
    warm-up) of the run config `cfg` on random tokens of `length` steps; with `group` > 1, of
    that many seeds trained as one grouped model (auxbench/train/group.py), counted per member:
    each member's batch is `batch`."""
    cfg = resolve(cfg)
    set_precision(cfg["train"])
    members = []
    for seed in range(group):
        torch.manual_seed(seed)
        model = build_model(cfg, channels, 256, classes, None).to(device)
        optimizer, scheduler = build_optimizer(cfg, model, 0)
        members.append(SimpleNamespace(model=model, optimizer=optimizer, scheduler=scheduler,
                                       anchor_gen=torch.Generator().manual_seed(seed)))
    gen = torch.Generator().manual_seed(0)
    rows = batch * group
    tokens = torch.randint(0, 256, (rows, length, channels), dtype=torch.uint8, generator=gen)
    labels = torch.randint(0, classes, (rows,), generator=gen)
    tokens, labels = tokens.to(device), labels.to(device)
    first = torch.zeros(rows, dtype=torch.long)  # random tokens hold no padding
    tallies = [StepTally(device) for _ in range(group)]
    if group == 1:
        model, optimizer = members[0].model, members[0].optimizer

        def step(i: int) -> None:
            train_step(model, optimizer, tokens, labels, cfg["train"], "train", gen, tallies[0],
                       i, first)
    else:
        grouped = GroupStep(members, [torch.Generator().manual_seed(s) for s in range(group)],
                            lambda m: build_optimizer(cfg, m, 0))

        def step(i: int) -> None:
            grouped.step(tokens, labels, cfg["train"], "train", tallies, i, first)

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
    seconds = (time.perf_counter() - started) / steps / group
    per = steps * group  # counts and seconds per member-step
    out = {"method": cfg["method"], "length": length, "batch": batch, "device": str(device),
           "group": group,
           "lstm_calls": sum(names[n] for n in LSTM_OPS) / per,
           "host_syncs": sum(names[n] for n in SYNC_OPS) / per,
           "ops": sum(v for n, v in names.items() if n.startswith("aten::")) / per,
           "step_time_s": seconds,
           "gflop": step_flops(cfg, batch, length, channels) / 1e9}
    if device.type == "cuda":
        out["cuda_syncs"] = sum("synchroniz" in str(w.message) for w in caught) / per
    for tally in tallies:  # a non-finite step in the benchmark is an error too
        tally.read("step {}", "(none)")
    return out
