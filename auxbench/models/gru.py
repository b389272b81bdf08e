"""The GRU as a main network (issue [13]): nn.GRU, one layer, batch first, behind the cell
interface of `LSTMLayer` (docs/method.md "Recurrent cells"). Its state is `(h,)`; an auxiliary
LSTM decoder starts from `(h, 0)`: the GRU's whole memory as the decoder's output state, its
cell empty."""

from __future__ import annotations

import numpy as np
from torch import Tensor, nn

from auxbench.models.cell import OutputFirst
from auxbench.tensors import last_steps

State = tuple[Tensor, ...]


class GRULayer(OutputFirst, nn.GRU):
    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size, num_layers=1, batch_first=True)

    def zero_state(self, batch: int, like: Tensor) -> State:
        return (like.new_zeros(batch, self.hidden_size),)

    def forward(self, x: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """x: [B, T, I]; state (h0,) [B, H] or None -> outputs [B, T, H] and (h_T,)."""
        h0 = (state or self.zero_state(x.shape[0], x))[0]
        out, hn = super().forward(x, h0[None].contiguous())
        return out, (hn[0],)

    def states_after(self, x: Tensor, lengths: np.ndarray, state: State) -> State:
        """The state after the first lengths[i] steps of row i (host NumPy, each in [1, T]), in
        one call: a GRU's output at a step is its state, so one run over all T steps is read at
        each row's step. (A packed call, as the LSTM's, makes nn.GRU read its batch sizes back
        with .item() on every call.)"""
        out = self(x, state)[0]
        return (out[last_steps(lengths, x.device)],)


def build(m: dict) -> GRULayer:
    """The main network's GRU as the model config `m` sizes it."""
    return GRULayer(m["embed_dim"], m["hidden"])
