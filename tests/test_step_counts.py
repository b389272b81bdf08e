"""The training step's calls and host syncs, counted by the profiler (auxbench counts)."""

from __future__ import annotations

import pytest
import torch

from auxbench.resource_benchmark.counts import count_step
from auxbench.rnn_cells import small_options

SMALL = {"model": {"hidden": 16, "embed_dim": 8, "head_hidden": 8, "aux_hidden": 16,
                   "aux_head_hidden": 8,
                   "transformer": {"d_model": 8, "ff": 16, "heads": 2, "layers": 1,
                                   "dropout": 0.1, "attn_dropout": 0.0},
                   **small_options()},
         "train": {"bptt": 30, "aux_bptt": 30, "aux_len": 60, "scan_chunk": 512}}


def counts(method: str, **train) -> dict:
    cfg = {**SMALL, "method": method, "train": {**SMALL["train"], **train}}
    return count_step(cfg, 100, 8, torch.device("cpu"), steps=2)


@pytest.mark.parametrize("method", ["lstm", "rlstm", "plstm", "rplstm", "rpgru", "rplru"])
def test_no_training_step_reads_a_device_value_back(method):
    """Loss sums, accuracy and the finiteness checks stay on the device until the epoch ends,
    and where the scans are cut is decided from host copies of the anchors."""
    assert counts(method)["host_syncs"] == 0


def test_transformer_step_reads_nothing_back_either():
    assert counts("transformer", bptt="full")["host_syncs"] == 0


def test_lstm_calls_of_a_truncated_lstm_step():
    """T = 100, Truncate 30: the no-gradient scan runs up to the window and stops there (1 call:
    nothing reads the state after the window without gradient), then the window runs with
    gradient (1 call)."""
    assert counts("lstm")["lstm_calls"] == 2
    assert counts("lstm", bptt="full")["lstm_calls"] == 1


def test_a_read_back_inside_the_step_is_counted(monkeypatch):
    """The counter sees a sync when there is one: a step that reads its loss (as the training
    step once did, `float(loss)`) counts one per step."""
    from auxbench.train import engine

    real = engine.recurrent_step

    def reading(*args, **kwargs):
        out = real(*args, **kwargs)
        float(out.loss.detach())
        return out

    monkeypatch.setattr(engine, "recurrent_step", reading)
    assert counts("lstm")["host_syncs"] == 1
