"""One benchmark case, run in its own process so its peak memory is its own and running out of
memory ends only this case: `python -m auxbench.resource_benchmark.case --config-json ... --length N`.
Prints one JSON record on stdout."""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time

import torch

from auxbench.config import resolve
from auxbench.errors import AuxbenchError
from auxbench.methods import METHODS
from auxbench.models import build_model
from auxbench.resource_benchmark.flops import step_flops
from auxbench.runtime import autocast, peak_memory_mb, resolve_device, set_precision, setup_torch
from auxbench.train.memory import saved_activation_bytes
from auxbench.train.objective import recurrent_step, transformer_step


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(cfg: dict, length: int, batch: int, channels: int, n_classes: int, steps: int,
            warmup: int, device: torch.device) -> dict:
    torch.manual_seed(0)
    model = build_model(cfg, channels, 256, n_classes, None).to(device)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 256, (batch, length, channels), dtype=torch.uint8, generator=gen)
    labels = torch.randint(0, n_classes, (batch,), generator=gen)
    tokens, labels = tokens.to(device), labels.to(device)
    first = torch.zeros(batch, dtype=torch.long)  # random tokens hold no padding

    set_precision(cfg["train"])

    def step():
        with autocast(cfg["train"], device):
            if METHODS[cfg["method"]].architecture == "transformer":
                out = transformer_step(model, tokens, labels)
            else:
                out = recurrent_step(model, tokens, labels, cfg["train"], "train", gen, first)
        optimizer.zero_grad(set_to_none=True)
        out.loss.backward()
        optimizer.step()

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    for i in range(warmup + steps):
        synchronize(device)
        start = time.perf_counter()
        step()
        synchronize(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    peak = peak_memory_mb(device)
    with saved_activation_bytes() as saved:
        step()
    seconds = statistics.median(times)
    gflop = step_flops(cfg, batch, length, channels) / 1e9
    bptt = cfg["train"]["bptt"]
    return {"effective_bptt": "full" if bptt == "full" or int(bptt) >= length else int(bptt),
            "step_time_s": seconds, "step_time_min_s": min(times),
            "samples_per_s": batch / seconds, "peak_memory_mb": peak,
            "activation_mb": saved["bytes"] / 2**20, "gflop": gflop,
            "gflops_per_s": gflop / seconds, "status": "ok"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config-json", required=True)
    p.add_argument("--length", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--memory-limit-mb", type=int, default=None)
    p.add_argument("--no-flush-denormal", action="store_true",
                   help="PyTorch's default float handling (the baseline the fast path is compared to)")
    args = p.parse_args(argv)
    if args.memory_limit_mb:
        limit = args.memory_limit_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cfg = resolve(json.loads(args.config_json))
    setup_torch(args.threads, False)
    if args.no_flush_denormal:
        torch.set_flush_denormal(False)
    try:
        device = resolve_device(cfg["runtime"]["device"])
        record = measure(cfg, args.length, args.batch, args.channels, args.classes, args.steps,
                         args.warmup, device)
    except AuxbenchError as err:
        record = {"status": "error", "error": str(err)[:300]}
    except (MemoryError, torch.OutOfMemoryError) as err:
        record = {"status": "oom", "error": f"{type(err).__name__}: {str(err)[:200]}"}
    except RuntimeError as err:
        oom = "out of memory" in str(err).lower() or "can't allocate" in str(err).lower()
        record = {"status": "oom" if oom else "error", "error": str(err)[:300]}
    json.dump(record, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
