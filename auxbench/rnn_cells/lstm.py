"""The paper's cell: a one-layer LSTM (auxbench/models/lstm.py)."""

from __future__ import annotations

from auxbench.rnn_cells.base import RecurrentCell


class LSTM(RecurrentCell):
    name = "lstm"
    label = "LSTM"
    about = "the paper's one-layer LSTM"
    recurrent_ops = ("aten::lstm",)

    def flops(self, cfg, count, batch, steps, inputs):
        return count.lstm_fwd(batch, steps, inputs, cfg["model"]["hidden"])


CELL = LSTM()
