"""States at anchor-chosen steps from a bounded number of recurrent calls (train/windows.py,
each cell's `states_after`): equal to running each row alone up to its step, whatever the steps,
and the auxiliary window's anchor state in gradient too; for every cell."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from auxbench.config import resolve
from auxbench.methods import CELLS
from auxbench.models import build_model
from auxbench.resource_benchmark.counts import count_step
from auxbench.rnn_cells import small_options
from auxbench.train.windows import scan_states, segment_ends

N, L = 5, 23


def small_model(cell: str = "lstm"):
    cfg = resolve({"method": cell, "model": {"embed_dim": 3, "hidden": 4, "head_hidden": 4,
                                             **small_options()}})
    torch.manual_seed(0)
    return build_model(cfg, channels=1, vocab=256, n_classes=3, pad_token=None).double()


POSITIONS = {
    "scattered": np.array([[3, 0], [22, 7], [-1, 11], [15, 15], [5, 30]]),
    "shared column": np.array([[9, 2], [9, 17], [9, 4], [9, 22], [9, 0]]),
    "segment ends": np.array([[5], [11], [17], [22], [-1]]),
}


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("chunk", [1, 6, 23, 40])
@pytest.mark.parametrize("case", list(POSITIONS))
def test_scanned_states_equal_each_row_run_alone(case, chunk, cell):
    """Chunk 1: every step a segment; 40: one segment (the grid is a quarter of T = 6)."""
    positions = POSITIONS[case]
    model = small_model(cell)
    tokens = torch.randint(0, 256, (N, L, 1), generator=torch.Generator().manual_seed(1))
    collected, final = scan_states(model, tokens, positions, chunk)
    x = model.embedding(tokens).detach()
    for n in range(N):
        for q, p in enumerate(positions[n]):
            if 0 <= p < L:
                want = model.rnn(x[n:n + 1, :p + 1])[1]
            else:  # -1 (the zero initial state) and steps beyond the sequence: untouched zeros
                want = model.rnn.zero_state(1, x)
            for got, part in zip(collected, want, strict=True):
                torch.testing.assert_close(got[n, q], part[0])
    for got, part in zip(final, model.rnn(x)[1], strict=True):
        torch.testing.assert_close(got, part)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("lengths", [[23, 1, 9, 23, 12], [23] * 5])
def test_states_after_any_lengths_equal_each_row_run_alone_in_value_and_gradient(lengths, cell):
    rnn = small_model(cell).rnn
    x = torch.randn(N, L, 3, dtype=torch.float64, requires_grad=True)
    state = tuple(torch.randn(N, part.shape[-1], dtype=torch.float64, requires_grad=True)
                  for part in rnn.zero_state(N, x))
    got = rnn.states_after(x, np.array(lengths), state)
    rows = [rnn(x[n:n + 1, :k], tuple(part[n:n + 1] for part in state))[1]
            for n, k in enumerate(lengths)]
    want = [torch.cat(parts) for parts in zip(*rows)]
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w)
    weights = [torch.randn_like(w) for w in want]
    wrt = [x, *state, *rnn.parameters()]
    grads = [torch.autograd.grad(sum((v * k).sum() for v, k in zip(values, weights)), wrt,
                                 allow_unused=True) for values in (got, want)]
    for g, w in zip(*grads):
        if w is None:  # the LRU's output h of the starting state is not read by its next step
            assert g is None or not g.any()
        else:
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


@pytest.mark.parametrize("chunk", [1, 6, 40])
@pytest.mark.parametrize("case", list(POSITIONS))
def test_a_scan_that_needs_no_final_state_stops_early_with_the_same_states(case, chunk):
    """Bitwise the same states (the same calls up to the last one needed), fewer steps."""
    positions = POSITIONS[case]
    model = small_model()
    tokens = torch.randint(0, 256, (N, L, 1), generator=torch.Generator().manual_seed(1))
    scanned = []
    real = model.rnn.forward

    def counting(x, state=None):
        scanned.append(x.shape[1])
        return real(x, state)

    model.rnn.forward = counting
    whole, _ = scan_states(model, tokens, positions, chunk)
    to_end = sum(scanned)
    scanned.clear()
    early, final = scan_states(model, tokens, positions, chunk, to_end=False)
    assert final is None
    for a, b in zip(whole, early, strict=True):
        assert torch.equal(a, b)
    needed = positions[positions < L].max() + 1
    assert needed <= sum(scanned) < to_end or needed == L


def test_a_scan_that_needs_no_state_makes_no_call():
    model = small_model()
    tokens = torch.randint(0, 256, (N, L, 1), generator=torch.Generator().manual_seed(1))
    collected, final = scan_states(model, tokens, np.full((N, 2), -1), 6, to_end=False)
    assert final is None and all(not part.any() for part in collected)
