"""How much of the class a trained run's recurrent state holds, read by a linear probe.

    python diagnostics/state_probe.py RUN_DIR [--checkpoint PATH] [--steps 40,63,-1]

Loads the run's config (RUN_DIR/asrun.json) and final weights (RUN_DIR/checkpoint/final.pt, or
--checkpoint; the workflow keeps them under results/checkpoints/), runs the main LSTM over the
first --n training examples, and for each step fits a logistic regression on the output
standardised per unit (Adam 0.05, 300 full-batch steps) to the first 75% and scores the rest.
Prints the probe accuracy, the output's scale (mean and max |h|) and its spread across examples
(mean per-unit SD) next to the run's own test accuracy: a probe far above the head means the head, not the memory,
limits the run (docs/calibration.md, section 5). Then counts the classifier's hidden units that
are off (ReLU) for every example at the last step: a head with all of them off sends the LSTM no
supervised gradient at all, the collapse of docs/calibration.md, section 7.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from auxbench import data
from auxbench.config import resolve
from auxbench.models import build_model


def probe_accuracy(h: torch.Tensor, y: torch.Tensor, fit: int) -> float:
    hs = (h - h.mean(0)) / (h.std(0) + 1e-8)
    w = torch.zeros(h.shape[1], int(y.max()) + 1, requires_grad=True)
    b = torch.zeros(w.shape[1], requires_grad=True)
    opt = torch.optim.Adam([w, b], 0.05)
    for _ in range(300):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(hs[:fit] @ w + b, y[:fit]).backward()
        opt.step()
    return float(((hs[fit:] @ w + b).argmax(1) == y[fit:]).float().mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--checkpoint", type=Path)
    p.add_argument("--steps", default="-1", help="comma-separated steps (negative: from the end)")
    p.add_argument("--n", type=int, default=2000, help="training examples to probe")
    args = p.parse_args()
    torch.manual_seed(0)
    asrun = json.loads((args.run_dir / "asrun.json").read_text())
    cfg = resolve(asrun["config"])  # fills keys added since the run, at their defaults
    ds = data.load_prepared(data.prepare(data.validate_spec(cfg["dataset"]),
                                         cfg["runtime"]["data_root"]))
    model = build_model(cfg, ds.channels, ds.vocab_size, ds.n_classes, ds.pad_token)
    ckpt = torch.load(args.checkpoint or args.run_dir / "checkpoint" / "final.pt",
                      weights_only=False)
    model.load_state_dict(ckpt["model"])
    model.eval()
    x = torch.from_numpy(np.array(ds.train_x[:args.n])).long()
    y = torch.from_numpy(np.asarray(ds.train_y[:args.n])).long()
    with torch.no_grad():
        out, _ = model.rnn(model.embedding(x))
    metrics = json.loads((args.run_dir / "metrics.json").read_text())
    print(f"{args.run_dir}: test accuracy {100 * metrics['test_accuracy']:.1f}%")
    for step in (int(s) for s in args.steps.split(",")):
        h = out[:, step]
        print(f"step {step % out.shape[1]:>5}: output mean |h| {float(h.abs().mean()):.3g} (max "
              f"{float(h.abs().max()):.3g}), state SD across examples "
              f"{float(h.std(0).mean()):.2e}, probe accuracy "
              f"{100 * probe_accuracy(h, y, int(0.75 * len(y))):.1f}%")
    first = model.head.net[0]
    if isinstance(first, torch.nn.Linear) and isinstance(model.head.net[1], torch.nn.ReLU):
        with torch.no_grad():
            on = (first(out[:, -1]) > 0).float().mean(0)
        print(f"classifier: {int((on == 0).sum())} of {len(on)} hidden units off for every "
              f"example, {int((on == 1).sum())} on for every example, "
              f"{int(((on > 0) & (on < 1)).sum())} mixed")


if __name__ == "__main__":
    main()
