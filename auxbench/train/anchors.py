"""Random anchor positions and each example's subsequence length (docs/paper.md §1.2, §8.1).

Each anchored loss says where its anchors may fall (auxbench/losses/: r-LSTM reconstructs the
`l` tokens before its anchor, so a in [l, T-2]; p-LSTM predicts the `l` tokens after it, so
a in [0, T-1-l]; both strictly before the final step). Left-padded text
holds fewer real tokens than `T`: each example's subsequence is then as long as its real document
allows, l_eff = min(l, what fits), and its anchor is uniform over the positions where that
subsequence lies inside the real document, so no anchor state has read only padding and no
window reaches into it.
"""

from __future__ import annotations

import torch
from torch import Tensor

from auxbench.losses import LOSSES


def first_real_step(tokens: Tensor, pad_token: int | None) -> Tensor:
    """Index of the first non-padding step of each sequence (0 without padding, T when the whole
    sequence is padding)."""
    length = tokens.shape[1]
    if pad_token is None:
        return torch.zeros(tokens.shape[0], dtype=torch.long, device=tokens.device)
    real = tokens[..., 0] != pad_token
    return torch.where(real.any(1), real.float().argmax(1), length).long()


def effective_lengths(kind: str, first: Tensor, length: int, aux_len: int) -> Tensor:
    """l_eff [B] of loss `kind`: the subsequence length each example's real document (from
    step `first` to `length` - 1) holds, at most aux_len (0 when it holds none: the example then contributes no
    auxiliary loss)."""
    return (length - first - LOSSES[kind].reserved_steps).clamp(min=0, max=aux_len)


def sample_anchors(kind: str, first: Tensor, length: int, n_anchors: int, aux_len: int,
                   generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Anchors [B, n_anchors], uniform over the positions where each example's subsequence fits
    inside its real document (which starts at step `first` [B]), and that subsequence's length
    l_eff [B]. Everything on the host (`first` is moved there), so the step's LSTM cuts are
    decided without waiting for the device."""
    first = first.cpu()
    batch = first.shape[0]
    lengths = effective_lengths(kind, first, length, aux_len)
    low, high = LOSSES[kind].anchor_bounds(first, lengths, length)
    low = torch.minimum(low, high)  # a document too short for any subsequence: l_eff is 0
    u = torch.rand(batch, n_anchors, generator=generator, dtype=torch.float64)
    span = (high - low + 1).unsqueeze(1).double()
    anchors = low.unsqueeze(1) + torch.floor(u * span).long()
    return torch.minimum(anchors, high.unsqueeze(1)), lengths
