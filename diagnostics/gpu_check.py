"""The paper's sizes on one GPU, in a few minutes: what docs/benchmarks.md records for a GPU.

    python diagnostics/gpu_check.py [--quick] [--out gpu_check.json]

For each method at the paper's sizes (embedding 128, LSTM 128, heads 256, auxiliary LSTM 2x256,
Truncate 300, l = 600, MNIST's 784 steps, batch 128): step time and samples/s, LSTM calls, host
syncs (the profiler's count and torch's CUDA sync debugger), peak memory; the Transformer's
evaluation peak memory at 16,384 steps (StanfordDogs at the paper's largest size) at a few
evaluation batch sizes; and the loss of one step on CPU against CUDA at IEEE fp32 (no dropout),
for each method. Prints Markdown tables and writes every number as JSON. Needs a CUDA device;
--quick shrinks every size (a rehearsal on any machine, CPU included).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from auxbench.config import resolve
from auxbench.models import build_model
from auxbench.resource_benchmark.counts import count_step
from auxbench.runtime import set_precision
from auxbench.train.objective import predict_logits, recurrent_step, transformer_step

CASES = (("lstm", 300), ("rlstm", 300), ("plstm", 300), ("rplstm", 300), ("transformer", "full"))


def paper_config(method: str, bptt, quick: bool) -> dict:
    cfg = {"method": method, "train": {"bptt": bptt}}
    if quick:
        cfg = {"method": method, "train": {"bptt": bptt if bptt == "full" else 30,
                                           "aux_bptt": 30, "aux_len": 60},
               "model": {"hidden": 32, "embed_dim": 16, "head_hidden": 16, "aux_hidden": 32,
                         "aux_head_hidden": 16,
                         "transformer": {"d_model": 16, "ff": 32, "heads": 2, "layers": 1,
                                         "dropout": 0.1, "attn_dropout": 0.0}}}
    return resolve(cfg)


def step_rows(device: torch.device, quick: bool) -> list[dict]:
    length, batch = (100, 16) if quick else (784, 128)
    rows = []
    for method, bptt in CASES:
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        r = count_step(paper_config(method, bptt, quick), length, batch, device, steps=3)
        r["samples_per_s"] = batch / r["step_time_s"]
        r["peak_memory_mb"] = (torch.cuda.max_memory_allocated(device) / 2**20
                               if device.type == "cuda" else float("nan"))
        rows.append(r)
        print(f"| {method} | {r['step_time_s'] * 1000:.1f} | {r['samples_per_s']:.0f} | "
              f"{r['lstm_calls']:g} | {r['host_syncs']:g} | {r.get('cuda_syncs', float('nan')):g} "
              f"| {r['peak_memory_mb']:.0f} |", flush=True)
    return rows


def transformer_eval_rows(device: torch.device, quick: bool) -> list[dict]:
    length = 1024 if quick else 16_384
    cfg = paper_config("transformer", "full", quick)
    model = build_model(cfg, 3, 256, 120, None).to(device).eval()
    rows = []
    for eval_batch in (8, 32, 128):
        if device.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(device)
        x = torch.randint(0, 256, (eval_batch, length, 3), dtype=torch.uint8, device=device)
        try:
            started = time.perf_counter()
            predict_logits(model, x, cfg["train"]["scan_chunk"])
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            status = f"ok, {time.perf_counter() - started:.2f} s"
        except torch.OutOfMemoryError:
            status = "out of memory"
        peak = (torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda"
                else float("nan"))
        rows.append({"length": length, "eval_batch": eval_batch, "status": status,
                     "peak_memory_mb": peak})
        print(f"| {length} | {eval_batch} | {status} | {peak:.0f} |", flush=True)
        del x
    return rows


def agreement_rows(device: torch.device, quick: bool) -> list[dict]:
    """One step's loss on CPU and on `device`, same weights and batch, no dropout."""
    length, batch = (100, 8) if quick else (784, 16)
    rows = []
    for method, bptt in CASES:
        cfg = paper_config(method, bptt, quick)
        cfg["model"]["head_dropout"] = cfg["model"]["aux_dropout"] = 0.0
        cfg["model"]["transformer"]["dropout"] = 0.0
        set_precision(cfg["train"])
        gen = torch.Generator().manual_seed(0)
        x = torch.randint(0, 256, (batch, length, 1), dtype=torch.uint8, generator=gen)
        y = torch.randint(0, 10, (batch,), generator=gen)
        loss = {}
        for dev in (torch.device("cpu"), device):
            torch.manual_seed(0)
            model = build_model(cfg, 1, 256, 10, None).to(dev)
            if method == "transformer":
                out = transformer_step(model, x.to(dev), y.to(dev))
            else:
                out = recurrent_step(model, x.to(dev), y.to(dev), cfg["train"], "train",
                                     torch.Generator().manual_seed(3))
            loss[dev.type] = float(out.loss.detach())
        rel = abs(loss[device.type] - loss["cpu"]) / abs(loss["cpu"])
        rows.append({"method": method, "cpu": loss["cpu"], "device": loss[device.type],
                     "relative_difference": rel})
        print(f"| {method} | {loss['cpu']:.6f} | {loss[device.type]:.6f} | {rel:.1e} |",
              flush=True)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes: a rehearsal")
    p.add_argument("--out", type=Path, default=Path("gpu_check.json"))
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type != "cuda" and not args.quick:
        raise SystemExit("gpu_check: no CUDA device; run with --quick to rehearse on a CPU")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"# {name}, torch {torch.__version__}\n")
    print("| method | step ms | samples/s | LSTM calls | host syncs (profiler) | "
          "CUDA syncs | peak MB |\n|---|---|---|---|---|---|---|")
    steps = step_rows(device, args.quick)
    print("\n| Transformer eval length | eval batch | result | peak MB |\n|---|---|---|---|")
    evals = transformer_eval_rows(device, args.quick)
    print("\n| method | CPU loss | device loss | relative difference |\n|---|---|---|---|")
    agree = agreement_rows(device, args.quick)
    args.out.write_text(json.dumps({"device": name, "torch": torch.__version__, "steps": steps,
                                    "transformer_eval": evals, "agreement": agree}, indent=1))
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()
