from __future__ import annotations

import math

import pytest
import scipy.stats
import torch

from auxbench.errors import ConfigError
from auxbench.feasibility import anchor_range
from auxbench.train.anchors import first_real_step, sample_anchors
from auxbench.train.losses import mean_token_loss, token_loss_sum


def tokens(batch=64, length=100, channels=1):
    return torch.zeros(batch, length, channels, dtype=torch.uint8)


def draw(kind, x, n_anchors, aux_len, pad, gen):
    """Anchors for the batch x, as a training step draws them (from its first real steps)."""
    return sample_anchors(kind, first_real_step(x, pad), x.shape[1], n_anchors, aux_len, gen)


@pytest.mark.parametrize("kind,lo,hi", [("reconstruct", 30, 98), ("predict", 0, 69)])
def test_anchors_cover_exactly_the_feasible_range(kind, lo, hi):
    gen = torch.Generator().manual_seed(0)
    seen = torch.cat([draw(kind, tokens(), 4, 30, None, gen)[0].flatten()
                      for _ in range(200)])
    assert int(seen.min()) == lo and int(seen.max()) == hi
    counts = torch.bincount(seen - lo).double()
    assert counts.numel() == hi - lo + 1
    assert counts.std() / counts.mean() < 0.15  # uniform


def test_anchors_differ_across_examples_and_steps():
    gen = torch.Generator().manual_seed(0)
    first, _ = draw("reconstruct", tokens(), 1, 30, None, gen)
    second, _ = draw("reconstruct", tokens(), 1, 30, None, gen)
    assert first.unique().numel() > 20
    assert not torch.equal(first, second)


def test_anchors_are_reproducible_from_the_generator_seed():
    a, _ = draw("predict", tokens(), 2, 30, None, torch.Generator().manual_seed(3))
    b, _ = draw("predict", tokens(), 2, 30, None, torch.Generator().manual_seed(3))
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
    a = torch.cat([draw("reconstruct", x, 1, 10, 0, gen)[0] for _ in range(3000)], 1)
    assert int(a[0].min()) == 70 and int(a[1].min()) == 10  # the 10 tokens before it are real


def documents(lengths, total=1024, pad=0):
    """Left-padded byte documents of the given lengths, as the DBpedia loader writes them."""
    x = torch.full((len(lengths), total, 1), pad, dtype=torch.uint8)
    for row, n in enumerate(lengths):
        if n:
            x[row, total - n:, 0] = torch.randint(1, 256, (n,), dtype=torch.uint8)
    return x


# (document bytes, l_eff, lowest anchor, highest anchor) at T = 1024, l = 600.
DOCUMENT_ANCHORS = {
    "reconstruct": [(5, 3, 1022, 1022), (200, 198, 1022, 1022), (700, 600, 924, 1022),
                    (1024, 600, 600, 1022)],
    "predict": [(5, 4, 1019, 1019), (200, 199, 824, 824), (700, 600, 324, 423),
                (1024, 600, 0, 423)],
}


@pytest.mark.parametrize("kind", ["reconstruct", "predict"])
def test_anchors_and_subsequences_lie_inside_the_real_document(kind):
    """Short documents: the subsequence is the whole document (l_eff < l) and the anchor the
    one position where it fits; long ones: l_eff = l and the anchor uniform where it fits. No
    anchor state has read only padding and no subsequence reaches into it."""
    cases = DOCUMENT_ANCHORS[kind]
    x = documents([n for n, *_ in cases])
    gen = torch.Generator().manual_seed(0)
    drawn = [draw(kind, x, 8, 600, 0, gen) for _ in range(400)]
    anchors = torch.cat([a for a, _ in drawn], 1)
    for row, (n, l_eff, lo, hi) in enumerate(cases):
        assert all(int(lengths[row]) == l_eff for _, lengths in drawn)
        seen = anchors[row]
        assert (int(seen.min()), int(seen.max())) == (lo, hi)
        first = 1024 - n
        assert int(seen.min()) >= first  # the anchor has read a real token
        window = (seen - l_eff, seen - 1) if kind == "reconstruct" else (seen + 1, seen + l_eff)
        assert int(window[0].min()) >= first and int(window[1].max()) <= 1023
        if hi > lo:
            counts = torch.bincount(seen - lo).double()
            assert counts.numel() == hi - lo + 1
            assert scipy.stats.chisquare(counts.numpy()).pvalue > 1e-3  # uniform


@pytest.mark.parametrize("kind", ["reconstruct", "predict"])
def test_documents_of_under_two_tokens_hold_no_subsequence(kind):
    x = documents([0, 1, 2, 3], total=50)
    _, lengths = draw(kind, x, 1, 20, 0, torch.Generator().manual_seed(0))
    expected = [0, 0, 0, 1] if kind == "reconstruct" else [0, 0, 1, 2]
    assert lengths.tolist() == expected


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
