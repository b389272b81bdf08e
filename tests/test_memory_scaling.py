"""Memory must not grow with sequence length under truncation (only gradient windows keep
activations), while full BPTT grows with it. Measured as the bytes autograd saves for backward."""

from __future__ import annotations

import pytest
import torch

from auxbench.config import resolve
from auxbench.methods import CELLS
from auxbench.models import build_model
from auxbench.rnn_cells import small_options
from auxbench.train.memory import saved_activation_bytes
from auxbench.train.objective import recurrent_step


def step_bytes(method: str, length: int, bptt) -> int:
    cfg = resolve({"method": method,
                   "model": {"embed_dim": 16, "hidden": 16, "head_hidden": 16, "aux_hidden": 32,
                             "aux_head_hidden": 16, **small_options()},
                   "train": {"bptt": bptt, "aux_bptt": 30, "aux_len": 60, "scan_chunk": 256}})
    torch.manual_seed(0)
    model = build_model(cfg, channels=1, vocab=256, n_classes=4, pad_token=None)
    tokens = torch.randint(0, 256, (4, length, 1), dtype=torch.uint8)
    labels = torch.randint(0, 4, (4,))
    with saved_activation_bytes() as saved:
        out = recurrent_step(model, tokens, labels, cfg["train"], "train",
                             torch.Generator().manual_seed(0))
    out.loss.backward()
    return saved["bytes"]


@pytest.mark.parametrize("method", ["lstm", "rlstm", "plstm", "rplstm", "rpgru", "rplru"])
def test_truncated_step_memory_is_flat_in_sequence_length(method):
    short, long = step_bytes(method, 1024, 30), step_bytes(method, 4096, 30)
    assert long <= 1.15 * short, (short, long)


@pytest.mark.parametrize("method", CELLS)
def test_full_bptt_memory_grows_with_sequence_length(method):
    short, long = step_bytes(method, 1024, "full"), step_bytes(method, 4096, "full")
    assert long >= 3.0 * short, (short, long)
