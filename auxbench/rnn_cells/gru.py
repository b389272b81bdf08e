"""A GRU (not in the paper; auxbench/models/gru.py): three gates against the LSTM's four."""

from __future__ import annotations

from auxbench.rnn_cells.base import RecurrentCell


class GRU(RecurrentCell):
    name = "gru"
    label = "GRU"
    about = "a gated recurrent unit (Cho et al., 2014)"
    recurrent_ops = ("aten::gru",)

    def flops(self, cfg, count, batch, steps, inputs):
        h = cfg["model"]["hidden"]
        return 2.0 * batch * steps * 3 * h * (inputs + h)


CELL = GRU()
