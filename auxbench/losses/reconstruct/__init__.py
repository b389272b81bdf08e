"""r-LSTM's loss (the paper's): from a random anchor, an auxiliary LSTM decoder rebuilds the
`aux_len` tokens before it (docs/paper.md §1.2-1.5). Its network and batch loss: `step`."""

from __future__ import annotations

from typing import ClassVar

from auxbench.losses.base import (
    AUX_LSTM_DEFAULTS,
    AUX_LSTM_SCHEMA,
    AuxLoss,
    aux_window,
    check_aux_lstm,
    check_decoder_len,
    rows,
)


class Reconstruct(AuxLoss):
    kind = "reconstruct"
    prefix = "r"
    about = "reconstruct the subsequence before a random anchor"
    color = "#0072B2"
    linestyle = "--"
    reserved_steps = 2  # the anchor comes after the subsequence and before the final step
    defaults: ClassVar[dict] = AUX_LSTM_DEFAULTS
    schema: ClassVar[dict] = AUX_LSTM_SCHEMA

    def anchor_bounds(self, first, lengths, length: int):
        """a in [first + l_eff, T - 2]."""
        return first + lengths, first * 0 + (length - 2)

    def check(self, cfg: dict) -> None:
        check_decoder_len(cfg, "r-LSTM reconstructs")
        check_aux_lstm(cfg)

    def flops(self, cfg, count, batch, length, channels):
        n, e = rows(cfg, batch), cfg["model"]["embed_dim"]
        grad = (count.cell_fwd(cfg, n, aux_window(cfg, length), e)
                + count.aux_net_fwd(n, cfg["train"]["aux_len"], cfg, channels, e))
        return grad, 0.0


LOSS = Reconstruct()
