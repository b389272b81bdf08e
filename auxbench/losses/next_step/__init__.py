"""lm-LSTM's loss, the control the paper never ran: a dense next-step (language-model) loss. At
every step the main network's output predicts the next input token through a small head,
averaged over the real targets; the recurrence is trained by truncated BPTT in chunks of
`train.aux_bptt` steps (state carried, gradient cut between chunks), so no gradient path is
longer than r-LSTM's. No anchors, no decoder. Dai and Le (2015) pretrained LSTMs with such a
loss; the 2018 paper compares r-LSTM only with p-LSTM (docs/method.md "The dense next-step
loss"). Its network and batch loss: `step`."""

from __future__ import annotations

import math

from auxbench.losses.base import AuxLoss, aux_window


def chunk_width(cfg: dict, length: int) -> int:
    """Steps per chunk: aux_bptt, at most the T - 1 steps that have a next token."""
    return max(1, min(aux_window(cfg, length), length - 1))


class NextStep(AuxLoss):
    kind = "next_step"
    prefix = "lm"
    about = "predict every next input token (a language-model loss)"
    color = "#D55E00"
    linestyle = (0, (3, 1, 1, 1, 1, 1, 1, 1))
    anchored = False

    def flops(self, cfg, count, batch, length, channels):
        m, width = cfg["model"], chunk_width(cfg, length)
        rows = batch * math.ceil((length - 1) / width)  # chunk rows, the last one padded
        tokens = rows * width
        head = (count.linear_fwd(tokens, m["hidden"], m["aux_head_hidden"])
                + count.linear_fwd(tokens, m["aux_head_hidden"], channels * 256))
        return count.cell_fwd(cfg, rows, width, m["embed_dim"]) + head, 0.0


LOSS = NextStep()
