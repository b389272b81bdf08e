"""Analytic matrix-multiply FLOPs of one training step (forward + backward).

Counted by hand because no profiler sees inside a fused or cuDNN LSTM; the same count is used
for every backend, so GFLOP/s compares implementations fairly. Backward costs twice the forward
(gradients for inputs and for weights). Element-wise work is not counted.
"""

from __future__ import annotations

import sys

from auxbench.losses import LOSSES
from auxbench.losses.base import truncation_length
from auxbench.methods import METHODS
from auxbench.rnn_cells import CELLS


def lstm_fwd(batch: int, steps: int, inputs: int, hidden: int) -> float:
    return 2.0 * batch * steps * 4 * hidden * (inputs + hidden)


def cell_fwd(cfg: dict, batch: int, steps: int, inputs: int) -> float:
    """The main network's cell over `steps` steps, as its declaration counts it
    (auxbench/rnn_cells/)."""
    cell = CELLS[METHODS[cfg["method"]].cell]
    return cell.flops(cfg, sys.modules[__name__], batch, steps, inputs)


def linear_fwd(rows: float, inputs: int, outputs: int) -> float:
    return 2.0 * rows * inputs * outputs


def aux_net_fwd(rows: int, steps: int, cfg: dict, channels: int, input_size: int) -> float:
    m = cfg["model"]
    total, size = 0.0, input_size
    for _ in range(m["aux_layers"]):
        total += lstm_fwd(rows, steps, size, m["aux_hidden"])
        size = m["aux_hidden"]
    total += linear_fwd(rows * steps, size, m["aux_head_hidden"])
    return total + linear_fwd(rows * steps, m["aux_head_hidden"], channels * 256)


def recurrent_step_flops(cfg: dict, batch: int, length: int, channels: int) -> float:
    """The supervised window and head, each auxiliary loss (its package counts it:
    auxbench/losses/), and the no-gradient scan that truncation or an auxiliary loss needs."""
    m, t = cfg["model"], cfg["train"]
    e, h = m["embed_dim"], m["hidden"]
    method = METHODS[cfg["method"]]
    k = truncation_length(t["bptt"], length)
    fwd_nograd = 0.0
    fwd_grad = cell_fwd(cfg, batch, k, e) + linear_fwd(batch, h, m["head_hidden"])
    for kind in method.losses:
        grad, nograd = LOSSES[kind].flops(cfg, sys.modules[__name__], batch, length, channels)
        fwd_grad, fwd_nograd = fwd_grad + grad, fwd_nograd + nograd
    if k < length or method.auxiliary:
        fwd_nograd += cell_fwd(cfg, batch, length, e)
    return fwd_nograd + 3.0 * fwd_grad


def transformer_step_flops(cfg: dict, batch: int, length: int) -> float:
    tr = cfg["model"]["transformer"]
    d, ff = tr["d_model"], tr["ff"]
    tokens = batch * length
    per_layer = (linear_fwd(tokens, d, 3 * d) + linear_fwd(tokens, d, d)
                 + 2 * linear_fwd(tokens, d, ff) + 2.0 * 2 * batch * length * length * d)
    head = linear_fwd(batch, d, cfg["model"]["head_hidden"])
    return 3.0 * (tr["layers"] * per_layer + head)


def step_flops(cfg: dict, batch: int, length: int, channels: int) -> float:
    if METHODS[cfg["method"]].architecture == "transformer":
        return transformer_step_flops(cfg, batch, length)
    return recurrent_step_flops(cfg, batch, length, channels)
