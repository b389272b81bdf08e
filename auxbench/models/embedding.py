"""Token embeddings for discrete pixel intensities (per channel) and bytes."""

from __future__ import annotations

import torch
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
        vectors = self.table(tokens.long() + self.offsets)  # [B, T, C, dim]
        if self.project is None:
            return vectors.sum(dim=-2) if self.channels > 1 else vectors.squeeze(-2)
        return self.project(vectors.flatten(-2))
