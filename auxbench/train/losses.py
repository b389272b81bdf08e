"""Losses. The auxiliary loss is the mean per-token cross-entropy over all auxiliary tokens of all
anchors, L_aux = sum_i L_i / sum_i l_i (docs/paper.md §1.5); a multi-channel token's loss is the mean
over its channels; padding targets, and targets past a row's effective subsequence length, do
not count, so the loss is normalised by the real target count."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def member_sum(values: Tensor, groups: int) -> Tensor:
    """The sum over everything, or in a grouped model ([G * N, ...] rows, member-major) each
    member's sum [G]."""
    return values.sum() if groups == 1 else values.reshape(groups, -1).sum(1)


def cross_entropy(logits: Tensor, labels: Tensor, groups: int = 1) -> Tensor:
    """The mean cross-entropy of a batch, per member in a grouped model."""
    if groups == 1:
        return F.cross_entropy(logits, labels)
    return F.cross_entropy(logits, labels, reduction="none").reshape(groups, -1).mean(1)


def token_loss_sum(logits: Tensor, targets: Tensor, pad_token: int | None,
                   real: Tensor | None = None, groups: int = 1) -> tuple[Tensor, Tensor]:
    """Summed cross-entropy over tokens and the number of tokens counted (each [G] per member of
    a grouped model).

    logits [N, L, C, V], targets [N, L, C] -> (sum over counted tokens, count). A token counts
    unless it is padding or `real` [N, L] marks it as past its row's subsequence.
    """
    n, length, channels, vocab = logits.shape
    ce = F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1).long(), reduction="none")
    per_token = ce.view(n, length, channels).mean(dim=-1)
    counted = torch.ones_like(per_token) if real is None else real.to(per_token.dtype)
    if pad_token is not None:
        counted = counted * (targets[..., 0] != pad_token).to(per_token.dtype)
    return member_sum(per_token * counted, groups), member_sum(counted, groups)


def mean_token_loss(parts: list[tuple[Tensor, Tensor]]) -> Tensor:
    total = sum(s for s, _ in parts)
    count = sum(c for _, c in parts)
    return total / torch.clamp(count, min=1.0)
