"""Token embeddings: the RGB channels' sum without a [B, T, C, dim] tensor."""

from __future__ import annotations

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from auxbench.models.embedding import TokenEmbedding


def reference(emb: TokenEmbedding, tokens: torch.Tensor) -> torch.Tensor:
    """The definition: one table per channel, looked up and summed."""
    return emb.table(tokens.long() + emb.offsets).sum(dim=-2)


def test_the_channel_sum_equals_the_per_channel_lookups_in_value_and_gradient():
    torch.manual_seed(0)
    emb = TokenEmbedding(3, 256, 16).double()
    tokens = torch.randint(0, 256, (4, 50, 3), dtype=torch.uint8)
    out = emb(tokens)
    assert out.shape == (4, 50, 16)
    torch.testing.assert_close(out, reference(emb, tokens))
    weights = torch.randn_like(out)
    (mine,) = torch.autograd.grad((out * weights).sum(), emb.table.weight)
    (ref,) = torch.autograd.grad((reference(emb, tokens) * weights).sum(), emb.table.weight)
    torch.testing.assert_close(mine, ref)


class LargestOutput(TorchDispatchMode):
    """Records the largest tensor any op makes (elements)."""

    largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor):
                self.largest = max(self.largest, t.numel())
        return out


def test_no_per_channel_vectors_are_made():
    """The forward never makes a [B, T, C, dim] tensor (at 16,384 RGB steps and an evaluation
    batch of 512 that tensor alone is 12 GiB); the per-channel lookups would."""
    emb = TokenEmbedding(3, 256, 64)
    tokens = torch.randint(0, 256, (8, 1024, 3), dtype=torch.uint8)
    per_channel = 8 * 1024 * 3 * 64
    with torch.no_grad():
        with LargestOutput() as mine:
            emb(tokens)
        with LargestOutput() as old:
            reference(emb, tokens)
    assert mine.largest == 8 * 1024 * 64  # the output itself
    assert old.largest == per_channel     # the measure sees the tensor when it is made
