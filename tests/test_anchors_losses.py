from __future__ import annotations

import math

import pytest
import torch

from auxbench.errors import ConfigError
from auxbench.train.anchors import first_real_step, sample_anchors
from auxbench.train.feasibility import anchor_range
from auxbench.train.losses import mean_token_loss, token_loss_sum


def tokens(batch=64, length=100, channels=1):
    return torch.zeros(batch, length, channels, dtype=torch.uint8)


@pytest.mark.parametrize("kind,lo,hi", [("reconstruct", 30, 98), ("predict", 0, 69)])
def test_anchors_cover_exactly_the_feasible_range(kind, lo, hi):
    gen = torch.Generator().manual_seed(0)
    seen = torch.cat([sample_anchors(kind, tokens(), 4, 30, None, gen).flatten()
                      for _ in range(200)])
    assert int(seen.min()) == lo and int(seen.max()) == hi
    counts = torch.bincount(seen - lo).double()
    assert counts.numel() == hi - lo + 1
    assert counts.std() / counts.mean() < 0.15  # uniform


def test_anchors_differ_across_examples_and_steps():
    gen = torch.Generator().manual_seed(0)
    first = sample_anchors("reconstruct", tokens(), 1, 30, None, gen)
    second = sample_anchors("reconstruct", tokens(), 1, 30, None, gen)
    assert first.unique().numel() > 20
    assert not torch.equal(first, second)


def test_anchors_are_reproducible_from_the_generator_seed():
    a = sample_anchors("predict", tokens(), 2, 30, None, torch.Generator().manual_seed(3))
    b = sample_anchors("predict", tokens(), 2, 30, None, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_subsequence_longer_than_the_sequence_is_a_config_error():
    with pytest.raises(ConfigError, match="aux_len"):
        anchor_range("reconstruct", 99, 100)
    assert anchor_range("predict", 99, 100) == (0, 0)


def test_text_anchors_start_at_the_first_real_token():
    x = tokens(batch=2, length=100)
    x[0, 60:] = 65  # 60 padding steps, then text
    x[1, :] = 66
    assert first_real_step(x, 0).tolist() == [60, 0]
    gen = torch.Generator().manual_seed(0)
    a = torch.cat([sample_anchors("reconstruct", x, 1, 10, 0, gen) for _ in range(3000)], 1)
    assert int(a[0].min()) == 62 and int(a[1].min()) == 10


def test_multichannel_token_loss_is_the_mean_over_channels():
    logits = torch.randn(2, 5, 3, 256)
    targets = torch.randint(0, 256, (2, 5, 3))
    total, count = token_loss_sum(logits, targets, None)
    per_channel = [torch.nn.functional.cross_entropy(logits[:, :, c].reshape(-1, 256),
                                                     targets[:, :, c].reshape(-1))
                   for c in range(3)]
    assert count.item() == 10
    torch.testing.assert_close(total / count, sum(per_channel) / 3)


def test_padding_targets_do_not_count():
    logits = torch.zeros(1, 4, 1, 256)  # uniform prediction: each token costs log(256)
    targets = torch.tensor([[[0], [0], [65], [66]]])
    total, count = token_loss_sum(logits, targets, pad_token=0)
    assert count.item() == 2
    assert total.item() == pytest.approx(2 * math.log(256))


def test_auxiliary_loss_is_normalised_by_all_tokens_of_all_anchors():
    parts = [(torch.tensor(6.0), torch.tensor(3.0)), (torch.tensor(2.0), torch.tensor(1.0))]
    assert mean_token_loss(parts).item() == pytest.approx(8.0 / 4.0)
