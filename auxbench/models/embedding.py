"""Token embeddings for discrete pixel intensities (per channel) and bytes."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class TokenEmbedding(nn.Module):
    """Embed tokens [B, T, C] (C channels of `vocab` values) into [B, T, dim].

    `sum` (the default, docs/paper.md §8.7) adds one table per channel, keeping one step per RGB pixel
    at width `dim`; `concat` concatenates per-channel vectors and projects them back to `dim`.
    """

    def __init__(self, channels: int, vocab: int, dim: int, mode: str = "sum"):
        super().__init__()
        self.channels, self.vocab, self.dim, self.mode = channels, vocab, dim, mode
        self.table = nn.Embedding(channels * vocab, dim)
        self.register_buffer("offsets", torch.arange(channels) * vocab, persistent=False)
        self.project = nn.Linear(channels * dim, dim) if mode == "concat" and channels > 1 else None

    def forward(self, tokens: Tensor) -> Tensor:
        return self.lookup(tokens.long() + self.offsets, self.table.weight)

    def lookup(self, index: Tensor, table: Tensor) -> Tensor:
        """The embedding of `index` [B, T, C], rows of `table` (a grouped model's tables read as
        one: auxbench/models/grouped.py)."""
        if self.project is not None:
            return self.project(F.embedding(index, table).flatten(-2))
        if self.channels == 1:
            return F.embedding(index, table).squeeze(-2)
        # the channels' sum as one embedding_bag: no [B, T, C, dim] tensor is made or kept for
        # backward (at 16,384 RGB steps and batch 512 it alone would be 12 GiB)
        flat = F.embedding_bag(index.reshape(-1, self.channels), table, mode="sum")
        return flat.view(*index.shape[:-1], self.dim)
