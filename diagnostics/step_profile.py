"""Where a training step's time goes, for one run's config, on one CPU thread.

    python diagnostics/step_profile.py RUN_DIR [--batch-sizes 16,32,64] [--steps 50]
                                       [--set model.lstm_backend=fused ...]

Builds the model of RUN_DIR/asrun.json and times, per batch size, one full training step
(`recurrent_step` + backward + gradient clipping + optimizer) on random tokens of the run's
sequence length, and the auxiliary decoder alone (forward + backward over `aux_len` steps), as
milliseconds per step (median of 5 rounds). Then prints `torch.profiler`'s top operators for the
step at the run's own batch size. The figures in docs/benchmarks.md ("The default run") and
docs/calibration.md (section 5) come from this script on a default-run r-LSTM run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from auxbench.config import parse_override, resolve
from auxbench.models import build_model
from auxbench.runtime import setup_torch
from auxbench.train.objective import recurrent_step


def ms_per_call(fn, steps: int) -> float:
    fn()
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(steps):
            fn()
        rounds.append((time.perf_counter() - start) / steps * 1000)
    return statistics.median(rounds)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--batch-sizes", default="16,32,64")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a key of the run's config, e.g. model.lstm_backend=fused")
    args = p.parse_args()
    setup_torch(1, False)
    cfg = resolve(json.loads((args.run_dir / "asrun.json").read_text())["config"],
                  *(parse_override(o) for o in args.set))
    manifest = json.loads((args.run_dir / "asrun.json").read_text())["dataset_manifest"]
    length, channels = manifest["seq_len"], manifest["channels"]
    vocab, n_classes = manifest["vocab_size"], manifest["n_classes"]
    model = build_model(cfg, channels, vocab, n_classes, manifest.get("pad_token"))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    gen = torch.Generator().manual_seed(0)
    aux = next(iter(model.aux.values()), None)  # the method's first auxiliary network
    for batch in (int(b) for b in args.batch_sizes.split(",")):
        x = torch.randint(0, vocab, (batch, length, channels))
        y = torch.randint(0, n_classes, (batch,))

        def step(x=x, y=y):
            out = recurrent_step(model, x, y, cfg["train"], "train", gen)
            opt.zero_grad()
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()

        line = f"batch {batch:>4}: training step {ms_per_call(step, args.steps):7.1f} ms"
        if aux is not None:
            feed = torch.randn(batch, cfg["train"]["aux_len"], aux.stacks[0].input_size)
            state = (torch.zeros(batch, cfg["model"]["hidden"]),) * 2
            decoder = ms_per_call(lambda f=feed, s=state: aux(f, s).sum().backward(), args.steps)
            line += f", decoder alone {decoder:7.1f} ms"
        print(line, flush=True)
    x = torch.randint(0, vocab, (cfg["train"]["batch_size"], length, channels))
    y = torch.randint(0, n_classes, (cfg["train"]["batch_size"],))
    with torch.profiler.profile() as prof:
        for _ in range(args.steps):
            out = recurrent_step(model, x, y, cfg["train"], "train", gen)
            opt.zero_grad()
            out.loss.backward()
            opt.step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))


if __name__ == "__main__":
    main()
