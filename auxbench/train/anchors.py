"""Random anchor positions, drawn for every example at every step (docs/paper.md §1.2, §8.1).

r-LSTM reconstructs the `l` tokens before its anchor, so a in [l, T-2]; p-LSTM predicts the `l`
tokens after it, so a in [0, T-1-l]. Both lie strictly before the final step. For left-padded
text the lower bound moves to the first real token, so anchors do not fall where every target is
padding.
"""

from __future__ import annotations

import torch
from torch import Tensor

from auxbench.train.feasibility import anchor_range


def first_real_step(tokens: Tensor, pad_token: int | None) -> Tensor:
    """Index of the first non-padding step of each sequence (0 when there is no padding)."""
    if pad_token is None:
        return torch.zeros(tokens.shape[0], dtype=torch.long, device=tokens.device)
    real = tokens[..., 0] != pad_token
    return torch.where(real.any(1), real.float().argmax(1), tokens.shape[1] - 1).long()


def sample_anchors(kind: str, tokens: Tensor, n_anchors: int, aux_len: int,
                   pad_token: int | None, generator: torch.Generator) -> Tensor:
    """Anchors [B, n_anchors], uniform over each example's feasible range."""
    batch, length = tokens.shape[:2]
    lo, hi = anchor_range(kind, aux_len, length)
    first = first_real_step(tokens, pad_token).cpu()
    offset = 2 if kind == "reconstruct" else 0
    low = torch.clamp(first + offset, min=lo, max=hi).unsqueeze(1)
    u = torch.rand(batch, n_anchors, generator=generator, dtype=torch.float64)
    anchors = low + torch.floor(u * (hi - low + 1).double()).long()
    return anchors.clamp(max=hi).to(tokens.device)
