"""What the anchored auxiliary losses share on the torch side: their windows (anchors, gradient
windows, l_eff), the anchor state, and a decoder's inputs and targets. Which loss does what with
them is its own package's business (auxbench/losses/)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from auxbench.losses.base import truncation_length
from auxbench.tensors import to_device
from auxbench.train.anchors import sample_anchors
from auxbench.train.windows import State, gather_steps, window_bounds


@dataclass
class AuxWindow:
    kind: str          # the loss (auxbench.losses.LOSSES)
    rows: Tensor       # [N] example index of each (example, anchor) row
    anchors: Tensor    # [N]
    start: Tensor      # [N] first step of the gradient window
    width: int
    lengths: Tensor    # [N] l_eff: the subsequence length the row's real document holds
    host_anchors: np.ndarray  # anchors and start on the host: where the LSTM scans are cut
    host_start: np.ndarray
    forward: int = 0   # steps after the anchor the gradient window also covers


def plan_aux_window(kind: str, first: Tensor, length: int, train: dict,
                    generator: torch.Generator, device: torch.device, forward: int = 0
                    ) -> AuxWindow:
    """Anchors, gradient windows and l_eff of one anchored loss, drawn on the host; the window
    covers `aux_bptt` steps ending at the anchor and `forward` steps after it."""
    n = train["n_anchors"]
    anchors, lengths = sample_anchors(kind, first, length, n, train["aux_len"], generator)
    back = truncation_length(train["aux_bptt"], length)
    start, width = window_bounds(anchors.reshape(-1), back, forward, length)
    rows = torch.arange(len(first)).repeat_interleave(n)
    host = (rows, anchors.reshape(-1), start, lengths.repeat_interleave(n))
    rows_d, anchors_d, start_d, lengths_d = (to_device(t, device) for t in host)
    return AuxWindow(kind, rows_d, anchors_d, start_d, width, lengths_d, host[1].numpy(),
                     start.numpy(), forward)


def window_inputs(model, tokens: Tensor, window: AuxWindow) -> Tensor:
    """The embedded inputs of each row's gradient window [N, width, E]."""
    return model.embedding(gather_steps(tokens, window.rows, window.start, window.width))


def anchor_state(model, x: Tensor, window: AuxWindow, state0: State) -> State:
    """Each row run with gradient from its window's start to its anchor, in one call."""
    return model.rnn.states_after(x, window.host_anchors - window.host_start + 1, state0)


def decoder_inputs_targets(model, tokens: Tensor, rows: Tensor, first: Tensor, length: int
                           ) -> tuple[Tensor, Tensor]:
    """The decoder's inputs and targets over the subsequence x[first : first + length].

    Teacher forcing (docs/paper.md §1.3): the first token is fed and the other length-1 are
    predicted, each from the true previous one; with a BOS vector (model.aux_bos) all `length` tokens are
    predicted. Without it (model.teacher_forcing false, the caption's "optionally fed") the
    decoder reads no tokens, only the BOS vector (or zeros) at every step, and predicts all
    `length` tokens from the anchor state alone."""
    if not model.teacher_forcing:
        table = model.embedding.table.weight
        blank = model.bos if model.bos is not None else table.new_zeros(table.shape[1])
        return blank.expand(len(rows), length, -1), gather_steps(tokens, rows, first, length)
    fed = model.embed_aux_tokens(gather_steps(tokens, rows, first, length - 1))
    if model.bos is None:
        return fed, gather_steps(tokens, rows, first + 1, length - 1)
    bos = model.bos.expand(len(rows), 1, -1)
    return torch.cat([bos, fed], dim=1), gather_steps(tokens, rows, first, length)


def real_targets(targets: Tensor, lengths: Tensor, aux_len: int) -> Tensor:
    """[N, L'] which of a row's `aux_len`-wide subsequence targets lie within its l_eff (the
    targets may start one token in, when the first one is fed, not predicted)."""
    offset = aux_len - targets.shape[1]
    position = offset + torch.arange(targets.shape[1], device=targets.device)
    return position.unsqueeze(0) < lengths.unsqueeze(1)
