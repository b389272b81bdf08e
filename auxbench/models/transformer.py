"""The "comparable sized Transformer" baseline (docs/paper.md §2.3): encoder-only, sinusoidal
positions, mean-pooled read-out into the same classifier FFN.

Attention uses `scaled_dot_product_attention`; attention dropout defaults to 0 because any
dropout on the attention weights forces the math kernel that builds T x T matrices (measured:
11 GB per step at T=784, batch 64), while without it the memory-efficient kernels apply.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from auxbench.models.embedding import TokenEmbedding
from auxbench.models.heads import FFN


def sinusoidal_positions(length: int, dim: int, device: torch.device) -> Tensor:
    position = torch.arange(length, device=device, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32)
                     * (-math.log(10000.0) / dim))
    pe = torch.zeros(length, dim, device=device)
    pe[:, 0::2] = torch.sin(position * freq)
    pe[:, 1::2] = torch.cos(position * freq[: dim // 2])
    return pe


class EncoderLayer(nn.Module):
    """Pre-norm encoder layer (trains stably without warm-up tuning)."""

    def __init__(self, d_model: int, heads: int, ff: int, dropout: float, attn_dropout: float):
        super().__init__()
        self.heads, self.attn_dropout = heads, attn_dropout
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.ff = nn.Sequential(nn.Linear(d_model, ff), nn.ReLU(), nn.Dropout(dropout),
                                nn.Linear(ff, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, key_mask: Tensor | None) -> Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, t, 3, self.heads, d // self.heads).unbind(2)
        attn = F.scaled_dot_product_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), attn_mask=key_mask,
            dropout_p=self.attn_dropout if self.training else 0.0)
        x = x + self.drop(self.out(attn.transpose(1, 2).reshape(b, t, d)))
        return x + self.drop(self.ff(self.norm2(x)))


class TransformerClassifier(nn.Module):
    groups = 1  # not grouped (auxbench/models/grouped.py groups the recurrent models)

    def __init__(self, channels: int, vocab: int, n_classes: int, d_model: int, heads: int,
                 ff: int, layers: int, dropout: float, attn_dropout: float, head_hidden: int,
                 head_dropout: float, embedding_mode: str = "sum", pad_token: int | None = None,
                 head_norm: str = "none", head_activation: str = "relu"):
        super().__init__()
        self.embedding = TokenEmbedding(channels, vocab, d_model, embedding_mode)
        self.layers = nn.ModuleList(EncoderLayer(d_model, heads, ff, dropout, attn_dropout)
                                    for _ in range(layers))
        self.norm = nn.LayerNorm(d_model)
        self.head = FFN(d_model, head_hidden, n_classes, head_dropout, input_norm=head_norm,
                        activation=head_activation)
        self.pad_token = pad_token

    def forward(self, tokens: Tensor) -> Tensor:
        """tokens [B, T, C] -> class logits [B, n_classes]."""
        x = self.embedding(tokens)
        x = x + sinusoidal_positions(x.shape[1], x.shape[2], x.device)
        keep = None
        key_mask = None
        if self.pad_token is not None:
            keep = tokens[..., 0] != self.pad_token  # [B, T]
            key_mask = keep[:, None, None, :]
        for layer in self.layers:
            x = layer(x, key_mask)
        x = self.norm(x)
        if keep is None:
            pooled = x.mean(dim=1)
        else:
            w = keep.unsqueeze(-1).to(x.dtype)
            pooled = (x * w).sum(1) / w.sum(1).clamp_min(1.0)
        return self.head(pooled)
