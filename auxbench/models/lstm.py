"""LSTM layers with one interface for every backend.

`LSTMLayer` is an `nn.LSTM` (one layer, batch first) so its parameters and state dicts are exactly
nn.LSTM's; only `forward` differs: states are `(h, c)` of shape [B, H] (no layer axis), and the
backend is chosen per call. `torch` is nn.LSTM itself (cuDNN on CUDA, oneDNN on CPU); `fused` is
the custom autograd function in `fused_lstm.py` (CPU, float32/float64); it matches nn.LSTM to
float32 tolerance in outputs and gradients. `auto` resolves per call with `auto_backend`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from auxbench.errors import ConfigError
from auxbench.models.fused_lstm import fused_lstm
from auxbench.tensors import to_device

BACKENDS = ("auto", "torch", "fused")

State = tuple[Tensor, Tensor]


def auto_backend(x: Tensor) -> str:
    """The backend `auto` uses for input x: the fastest one measured (docs/benchmarks.md).

    CUDA: nn.LSTM (cuDNN). CPU float32 with oneDNN available: also nn.LSTM, because PyTorch
    runs its CPU LSTM forward and backward through oneDNN's fused RNN kernel, which measured
    1.1-1.4x faster than `fused` (2-core AVX-512 EPYC, torch 2.13). Other CPU float32/float64
    (oneDNN missing or disabled, float64, where nn.LSTM takes its slower per-step ATen path):
    `fused`. Pass `fused` explicitly for ~22% less peak memory than nn.LSTM.
    """
    if x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
        return "torch"
    onednn = torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled
    return "torch" if (x.dtype == torch.float32 and onednn) else "fused"


class StackedLSTM(nn.LSTM):
    """`num_layers` LSTM layers of one width as one nn.LSTM (batch first), so that cuDNN runs
    them as one call and overlaps the layers; each layer's state is given and returned
    separately, as (h, c) of shape [B, H] (None: zeros). The fused backend runs the same
    parameters layer by layer."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 forget_bias: float = 1.0, backend: str = "auto"):
        super().__init__(input_size, hidden_size, num_layers=num_layers, batch_first=True)
        if backend not in BACKENDS:
            raise ConfigError(f"model.lstm_backend: {backend!r} is not one of {list(BACKENDS)}")
        self.backend = backend
        h = hidden_size
        with torch.no_grad():
            for k in range(num_layers):
                getattr(self, f"bias_ih_l{k}")[h:2 * h].fill_(forget_bias)
                getattr(self, f"bias_hh_l{k}")[h:2 * h].zero_()

    def zero_state(self, batch: int, like: Tensor) -> State:
        z = like.new_zeros(batch, self.hidden_size)
        return z, z

    def layer_parameters(self, k: int) -> tuple[Tensor, ...]:
        return tuple(getattr(self, f"{name}_l{k}")
                     for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def run(self, x: Tensor, states: list[State | None]) -> tuple[Tensor, list[State]]:
        """x: [B, T, I]; one state per layer -> the top layer's outputs [B, T, H] and each
        layer's final state."""
        states = [s if s is not None else self.zero_state(x.shape[0], x) for s in states]
        backend = auto_backend(x) if self.backend == "auto" else self.backend
        if backend == "fused":
            final = []
            for k, (h0, c0) in enumerate(states):
                x, hn, cn = fused_lstm(x, h0, c0, *self.layer_parameters(k))
                final.append((hn, cn))
            return x, final
        h0 = torch.stack([h for h, _ in states]).contiguous()
        c0 = torch.stack([c for _, c in states]).contiguous()
        out, (hn, cn) = super().forward(x, (h0, c0))
        return out, [(hn[k], cn[k]) for k in range(self.num_layers)]


class LSTMLayer(StackedLSTM):
    """One layer, with one state in and out: the main LSTM. Its state is (h, c); h is what the
    classifier reads and, with c, what an auxiliary decoder starts from (the cell interface,
    docs/method.md "Recurrent cells")."""

    def __init__(self, input_size: int, hidden_size: int, forget_bias: float = 1.0,
                 backend: str = "auto"):
        super().__init__(input_size, hidden_size, 1, forget_bias, backend)

    def forward(self, x: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """x: [B, T, I]; state: (h0, c0) each [B, H] or None for zeros.

        Returns the hidden outputs [B, T, H] and the final state (h_T, c_T), each [B, H].
        """
        out, (final,) = self.run(x, [state])
        return out, final

    @staticmethod
    def output(state: State) -> Tensor:
        return state[0]

    @staticmethod
    def decoder_state(state: State) -> State:
        return state

    def states_after(self, x: Tensor, lengths: np.ndarray, state: State) -> State:
        """The state after the first lengths[i] steps of row i of x [N, T, I] (lengths: host
        NumPy, each in [1, T]) from `state`, in one call whatever the lengths: a packed sequence,
        which the backend stops row by row (a plain call where every row runs all T steps).
        Packed input always runs as nn.LSTM."""
        if (lengths == x.shape[1]).all():
            return self(x, state)[1]
        order = np.argsort(-lengths, kind="stable")  # packing wants the longest first
        index = to_device(torch.from_numpy(np.stack([order, np.argsort(order)])), x.device)
        sort, unsort = index
        packed = pack_padded_sequence(x[sort], torch.from_numpy(lengths[order]), batch_first=True)
        hx = (state[0][sort][None], state[1][sort][None])
        _, (hn, cn) = nn.LSTM.forward(self, packed, hx)
        return hn[0][unsort], cn[0][unsort]


def build(m: dict) -> LSTMLayer:
    """The main network's LSTM as the model config `m` sizes it."""
    return LSTMLayer(m["embed_dim"], m["hidden"], m["forget_bias"], m["lstm_backend"])
