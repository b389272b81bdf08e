"""States at anchor-chosen steps from a bounded number of LSTM calls (train/windows.py,
models/lstm.py `states_after`): equal to running each row alone up to its step, whatever the
steps, and the auxiliary window's anchor state in gradient too."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from auxbench.config import resolve
from auxbench.models import build_model
from auxbench.models.lstm import LSTMLayer
from auxbench.resource_benchmark.counts import count_step
from auxbench.train.windows import scan_states, segment_ends

N, L = 5, 23


def small_model():
    cfg = resolve({"method": "lstm", "model": {"embed_dim": 3, "hidden": 4, "head_hidden": 4}})
    torch.manual_seed(0)
    return build_model(cfg, channels=1, vocab=256, n_classes=3, pad_token=None).double()


POSITIONS = {
    "scattered": np.array([[3, 0], [22, 7], [-1, 11], [15, 15], [5, 30]]),
    "shared column": np.array([[9, 2], [9, 17], [9, 4], [9, 22], [9, 0]]),
    "segment ends": np.array([[5], [11], [17], [22], [-1]]),
}


@pytest.mark.parametrize("chunk", [1, 6, 23, 40])
@pytest.mark.parametrize("case", list(POSITIONS))
def test_scanned_states_equal_each_row_run_alone(case, chunk):
    """Chunk 1: every step a segment; 40: one segment (the grid is a quarter of T = 6)."""
    positions = POSITIONS[case]
    model = small_model()
    tokens = torch.randint(0, 256, (N, L, 1), generator=torch.Generator().manual_seed(1))
    (hq, cq), final = scan_states(model, tokens, positions, chunk)
    x = model.embedding(tokens).detach()
    for n in range(N):
        for q, p in enumerate(positions[n]):
            if 0 <= p < L:
                _, (h, c) = model.lstm(x[n:n + 1, :p + 1])
            else:  # -1 (the zero initial state) and steps beyond the sequence: untouched zeros
                h = c = x.new_zeros(1, 4)
            torch.testing.assert_close(hq[n, q], h[0])
            torch.testing.assert_close(cq[n, q], c[0])
    torch.testing.assert_close(final[1], model.lstm(x)[1][1])


@pytest.mark.parametrize("lengths", [[23, 1, 9, 23, 12], [23] * 5])
def test_states_after_any_lengths_equal_each_row_run_alone_in_value_and_gradient(lengths):
    torch.manual_seed(0)
    lstm = LSTMLayer(3, 4).double()
    x = torch.randn(N, L, 3, dtype=torch.float64, requires_grad=True)
    state = tuple(torch.randn(N, 4, dtype=torch.float64, requires_grad=True) for _ in range(2))
    h, c = lstm.states_after(x, np.array(lengths), state)
    rows = [lstm(x[n:n + 1, :k], (state[0][n:n + 1], state[1][n:n + 1]))[1]
            for n, k in enumerate(lengths)]
    ref_h, ref_c = torch.cat([r[0] for r in rows]), torch.cat([r[1] for r in rows])
    torch.testing.assert_close(h, ref_h)
    torch.testing.assert_close(c, ref_c)
    weight = torch.randn(N, 4, dtype=torch.float64)
    wrt = [x, *state, *lstm.parameters()]
    got = torch.autograd.grad(((h + 2 * c) * weight).sum(), wrt)
    want = torch.autograd.grad(((ref_h + 2 * ref_c) * weight).sum(), wrt)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w)


def test_the_scan_stops_at_shared_steps_exactly_and_on_the_grid_only_for_the_others():
    shared = np.array([[9], [9], [9]])
    assert segment_ends(shared, 40, 10).tolist() == [10, 40]
    scattered = np.array([[9, 3], [9, 14], [9, -1]])
    assert segment_ends(scattered, 40, 10).tolist() == [10, 20, 30, 40]
    assert segment_ends(np.array([[-1], [-1]]), 40, 10).tolist() == [40]


SMALL = {"model": {"hidden": 16, "embed_dim": 8, "head_hidden": 8, "aux_hidden": 16,
                   "aux_head_hidden": 8},
         "train": {"bptt": 30, "aux_bptt": 30, "aux_len": 60}}


@pytest.mark.parametrize("method", ["rlstm", "plstm", "rplstm"])
def test_a_step_makes_at_most_16_lstm_calls_whatever_the_batch_and_anchors(method):
    """Batch 4 draws 4 anchors, batch 96 about 40 distinct ones (before, the scan was cut at
    every distinct anchor: about 40 calls). A step needs fewer than its bound only where the
    anchors happen to need no restart."""
    cfg = {**SMALL, "method": method}
    for batch in (4, 96):
        assert count_step(cfg, 100, batch, torch.device("cpu"), steps=3)["lstm_calls"] <= 16
