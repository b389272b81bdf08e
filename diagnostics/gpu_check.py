"""The paper's sizes on one GPU, in a few minutes: what docs/benchmarks.md records for a GPU.

    python diagnostics/gpu_check.py [--quick] [--out gpu_check.json] [--rates gpu_rates.json]

For each method at the paper's sizes (embedding 128, LSTM 128, heads 256, auxiliary LSTM 2x256,
Truncate 300, l = 600), at MNIST's 784 steps with batch 128 and at StanfordDogs' 16,384 steps
(RGB) with batch 32: step time and samples/s, LSTM calls, host syncs (the profiler's count and
torch's CUDA sync debugger), peak memory; the same records as a rate table for
`auxbench plan --estimate --rates`; the step at 784 steps with TF32 and with bf16 autocast; the
Transformer's evaluation peak memory at 16,384 steps at several evaluation batch sizes; and the
loss of one step on CPU against CUDA at IEEE fp32 (no dropout), for each method. Prints Markdown
tables and writes every number as JSON. Needs a CUDA device; --quick shrinks every size (a
rehearsal on any machine, CPU included).
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
from auxbench.train.engine import evaluation_batch
from auxbench.train.objective import predict_logits, recurrent_step, transformer_step

CASES = (("lstm", 300), ("lstm", "full"), ("rlstm", 300), ("plstm", 300), ("rplstm", 300),
         ("transformer", "full"))
LONG_CASES = (("lstm", 300), ("lstm", "full"), ("rlstm", 300), ("plstm", 300),
              ("transformer", "full"))
PRECISIONS = {"tf32": {"tf32": True}, "bf16": {"autocast": "bf16"}}


def paper_config(method: str, bptt, quick: bool, **train) -> dict:
    cfg = {"method": method, "train": {"bptt": bptt, **train}}
    if quick:
        cfg = {"method": method, "train": {"bptt": bptt if bptt == "full" else 30,
                                           "aux_bptt": 30, "aux_len": 60, **train},
               "model": {"hidden": 32, "embed_dim": 16, "head_hidden": 16, "aux_hidden": 32,
                         "aux_head_hidden": 16,
                         "transformer": {"d_model": 16, "ff": 32, "heads": 2, "layers": 1,
                                         "dropout": 0.1, "attn_dropout": 0.0}}}
    return resolve(cfg)


def measure(device: torch.device, method: str, bptt, length: int, batch: int, channels: int,
            classes: int, quick: bool, precision: str = "ieee") -> dict:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    cfg = paper_config(method, bptt, quick, **PRECISIONS.get(precision, {}))
    r = count_step(cfg, length, batch, device, steps=3, channels=channels, classes=classes)
    r.update(setting="full" if bptt == "full" else f"t{cfg['train']['bptt']}",
             precision=precision, samples_per_s=batch / r["step_time_s"],
             peak_memory_mb=(torch.cuda.max_memory_allocated(device) / 2**20
                             if device.type == "cuda" else float("nan")))
    print(f"| {method}:{r['setting']} | {length} | {batch} | {precision} | "
          f"{r['step_time_s'] * 1000:.1f} | {r['samples_per_s']:.0f} | {r['lstm_calls']:g} | "
          f"{r['host_syncs']:g} | {r.get('cuda_syncs', float('nan')):g} | "
          f"{r['peak_memory_mb']:.0f} |", flush=True)
    return r


def step_rows(device: torch.device, quick: bool) -> list[dict]:
    """Every method at 784 steps (MNIST) and the long cases at 16,384 (StanfordDogs, RGB, 120
    classes), IEEE fp32; then r-LSTM and the Transformer at 784 with TF32 and with bf16."""
    short, long_ = ((100, 16), (400, 4)) if quick else ((784, 128), (16_384, 32))
    rows = [measure(device, m, b, *short, 1, 10, quick) for m, b in CASES]
    rows += [measure(device, m, b, *long_, 3, 120, quick) for m, b in LONG_CASES]
    rows += [measure(device, m, b, *short, 1, 10, quick, precision)
             for precision in PRECISIONS for m, b in (("rlstm", 300), ("transformer", "full"))]
    return rows


def transformer_eval_rows(device: torch.device, quick: bool) -> list[dict]:
    length = 1024 if quick else 16_384
    cfg = paper_config("transformer", "full", quick, eval_batch_size=512)  # the paper config's
    set_precision(cfg["train"])
    chosen = evaluation_batch(cfg["train"], length, recurrent=False)
    print(f"train.eval_tokens {cfg['train']['eval_tokens']:,} evaluates {chosen} at a time\n")
    model = build_model(cfg, 3, 256, 120, None).to(device).eval()
    rows = []
    for eval_batch in sorted({32, 128, 512, chosen}):
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
        rows.append({"method": method, "bptt": bptt, "cpu": loss["cpu"],
                     "device": loss[device.type], "relative_difference": rel})
        print(f"| {method}:{bptt} | {loss['cpu']:.6f} | {loss[device.type]:.6f} | {rel:.1e} |",
              flush=True)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes: a rehearsal")
    p.add_argument("--out", type=Path, default=Path("gpu_check.json"))
    p.add_argument("--rates", type=Path, default=Path("gpu_rates.json"),
                   help="the IEEE fp32 step records as a rate table (auxbench plan --estimate)")
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type != "cuda" and not args.quick:
        raise SystemExit("gpu_check: no CUDA device; run with --quick to rehearse on a CPU")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"# {name}, torch {torch.__version__}\n")
    print("| case | length | batch | precision | step ms | samples/s | LSTM calls | "
          "host syncs (profiler) | CUDA syncs | peak MB |\n|---|---|---|---|---|---|---|---|---|---|")
    results = {"device": name, "torch": torch.__version__}

    def save(key: str, rows: list[dict]) -> None:  # after each part: a timeout keeps the rest
        results[key] = rows
        args.out.write_text(json.dumps(results, indent=1))

    steps = step_rows(device, args.quick)
    save("steps", steps)
    args.rates.write_text(json.dumps([r for r in steps if r["precision"] == "ieee"], indent=1))
    print("\n| Transformer eval length | eval batch | result | peak MB |\n|---|---|---|---|")
    save("transformer_eval", transformer_eval_rows(device, args.quick))
    print("\n| method | CPU loss | device loss | relative difference |\n|---|---|---|---|")
    save("agreement", agreement_rows(device, args.quick))
    print(f"\nwritten: {args.out}, {args.rates}")


if __name__ == "__main__":
    main()
