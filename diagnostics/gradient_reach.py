"""How many main-LSTM steps p-LSTM's auxiliary gradient reaches, under each plstm_gradient option.

    python diagnostics/gradient_reach.py T AUX_BPTT AUX_LEN [--examples 64]

Draws one batch of anchors as training does, runs the auxiliary loss and counts, per example, the
input steps of the main LSTM whose gradient is nonzero. The paper truncates both losses to
AUX_BPTT steps ending at the anchor (`anchor`, the default); `window` also sends the gradient
through the predicted window. Widths are small (the reach does not depend on them); docs/method.md
cites the output at the default and the paper's sizes.
"""

from __future__ import annotations

import argparse

import torch

from auxbench.config import resolve
from auxbench.losses.steps import STEPS
from auxbench.models import build_model
from auxbench.train.objective import aux_loss_parts
from auxbench.train.windows import scan_states

SMALL = {"embed_dim": 8, "hidden": 8, "head_hidden": 16, "aux_hidden": 16,
         "aux_head_hidden": 16, "aux_dropout": 0.0}


def reach(length: int, aux_bptt: int, aux_len: int, option: str, examples: int):
    """(fewest, most) main-LSTM steps reached per example, and the anchors drawn."""
    cfg = resolve({"method": "plstm", "model": SMALL,
                   "train": {"aux_len": aux_len, "aux_bptt": aux_bptt, "plstm_gradient": option}})
    torch.manual_seed(0)
    model = build_model(cfg, 1, 256, 10, None).double()
    tokens = torch.randint(0, 256, (examples, length, 1))
    kind = "predict"
    window = STEPS[kind].plan(model.aux[kind], torch.zeros(examples, dtype=torch.long), length,
                              cfg["train"], torch.Generator().manual_seed(0), tokens.device)
    collected, _ = scan_states(model, tokens, (window.host_start - 1).reshape(examples, 1), 512)
    with_grad = []
    embed = model.embedding.forward

    def recording(t):  # the embedded gradient window is the one embedding that needs gradient
        e = embed(t)
        if e.requires_grad:
            e.retain_grad()
            with_grad.append(e)
        return e

    model.embedding.forward = recording
    total, count = aux_loss_parts(model, tokens, window, tuple(q[:, 0] for q in collected),
                                  aux_len)
    (total / count).backward()
    steps = (with_grad[0].grad.abs().sum(-1) > 0).sum(1)
    return int(steps.min()), int(steps.max()), window.anchors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("length", type=int)
    parser.add_argument("aux_bptt", type=int)
    parser.add_argument("aux_len", type=int)
    parser.add_argument("--examples", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for option in ("window", "anchor"):
        lo, hi, anchors = reach(args.length, args.aux_bptt, args.aux_len, option, args.examples)
        print(f"T={args.length} aux_bptt={args.aux_bptt} l={args.aux_len} "
              f"plstm_gradient={option}: {lo}-{hi} of {args.length} main-LSTM steps per example "
              f"(anchors {int(anchors.min())}-{int(anchors.max())}, {args.examples} examples)")


if __name__ == "__main__":
    main()
