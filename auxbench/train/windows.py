"""Truncated BPTT with bounded memory (docs/paper.md §1.6, "implementation recipe").

A no-gradient pass over the whole sequence, in chunks, records the recurrent state just before
each window that carries gradient; each window is then re-run with gradient from that detached
state. Only the windows keep activations, so memory does not grow with the sequence length. A
state is a tuple of [N, width] tensors, whatever the cell: (h, c) for the LSTM, (h,) for the GRU,
(h, x_re, x_im) for the LRU; `rnn` below is any cell with `LSTMLayer`'s interface.

Positions are step indices: "the state after step p" (p = -1 is the zero initial state).
Where a scan is cut is decided on the host, from NumPy copies of the positions: torch tensors are
the device's data, and reading one back would make the host wait for the device.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from auxbench.tensors import to_device

State = tuple[Tensor, ...]
Inputs = Callable[[int, int], Tensor]           # (first step, end step) -> [N, end - first, E]
LaneInputs = Callable[[Tensor, Tensor, int], Tensor]  # (rows, first steps, count) -> [K, count, E]

SCAN_SEGMENTS = 4
"""The no-gradient scan, which must stop at steps the anchors choose, runs in this many equal
segments; the state after each requested step then comes from one packed call that restarts
each row at its segment's start. So a step makes a bounded number of LSTM calls whatever the
anchors (on a GPU each call is a launch sequence; cuDNN returns no per-step cell state), at the
price of re-running on average half a segment per anchor (docs/benchmarks.md)."""


def scan_segment(length: int, chunk: int) -> int:
    """Steps per segment: 1/SCAN_SEGMENTS of the sequence, at most `chunk` (bounds memory)."""
    return max(1, min(chunk, -(-length // SCAN_SEGMENTS)))


def segment_ends(positions: np.ndarray, length: int, segment: int) -> np.ndarray:
    """Where a scan of `length` steps ends its calls, given the steps [N, Q] whose states it
    collects: after each step every row asks for (the supervised window's start), and, only if
    some rows ask for other steps, every `segment` steps (those states come from packed lanes)."""
    inside = (positions >= 0) & (positions < length)
    shared = inside.all(0) & (positions == positions[:1]).all(0)
    ends = set((positions[0][shared] + 1).tolist()) | {length}
    if not np.isin(positions[inside] + 1, list(ends)).all():
        ends |= set(range(segment, length, segment))
    return np.array(sorted(ends))


def run_segments(rnn, inputs: Inputs, ends: np.ndarray, state: State) -> list[State]:
    """Run `rnn` from `state` over each segment [previous end, end), one call each, and return
    the state after each (outputs are dropped: they would hold memory O(T))."""
    finals, start = [], 0
    for end in ends.tolist():
        state = rnn(inputs(start, end), state)[1]
        finals.append(state)
        start = end
    return finals


def pick_states(rnn, ends: np.ndarray, initial: State, finals: list[State],
                lanes: LaneInputs, positions: np.ndarray) -> State:
    """The state after step positions[n, q] at [n, q] for each position inside the scan (zeros
    elsewhere): a segment's final state where the step ends one, else from one packed call
    (`rnn.states_after`) that re-runs each such row from its segment's start. Index
    bookkeeping is host NumPy; it reaches the device once."""
    zeros = tuple(part.new_zeros(*positions.shape, part.shape[-1]) for part in initial)
    rows, cols = np.nonzero((positions >= 0) & (positions < ends[-1]))
    if rows.size == 0:
        return zeros
    step = positions[rows, cols]
    seg = np.searchsorted(ends, step, side="right")
    first = np.concatenate([[0], ends[:-1]])[seg]
    count = step - first + 1
    on_end = step == ends[seg] - 1
    order = np.argsort(on_end, kind="stable")  # the rows that need a lane first
    lane = int((~on_end).sum())
    index = to_device(torch.from_numpy(np.stack([rows, cols, seg, first])[:, order]),
                      initial[0].device)
    r, c, s, f = index
    at_ends = [torch.stack(parts) for parts in zip(*finals)]  # per component [S, N, width]
    values = [[end[s[lane:], r[lane:]]] for end in at_ends]
    if lane:
        starts = [torch.cat([init[None], end[:-1]]) for init, end in zip(initial, at_ends)]
        counts = count[order[:lane]]
        got = rnn.states_after(lanes(r[:lane], f[:lane], int(counts.max())), counts,
                               tuple(start[s[:lane], r[:lane]] for start in starts))
        for v, part in zip(values, got):
            v.insert(0, part)
    # (under autocast the cell's states may be narrower than the zeros)
    return tuple(z.index_put((r, c), torch.cat(v).to(z.dtype)) for z, v in zip(zeros, values))


@torch.no_grad()
def scan_states(model, tokens: Tensor, positions: np.ndarray, chunk: int, to_end: bool = True
                ) -> tuple[State, State | None]:
    """States after the given steps ([N, Q] host NumPy, in [-1, T-1]; -1 is the zero initial
    state) and the final state, with no gradient, from a bounded number of recurrent calls;
    each collected component is [N, Q, width]. With `to_end` false the scan stops at the end of
    the call that reaches the last requested step (the calls before it are the same, so the
    states are too) and no final state is returned: a truncated supervised window starts T - K
    steps in, and nothing after it is scanned without gradient.

    The embedding is computed segment by segment (at most `chunk` steps), so memory is
    O(N * chunk) whatever T is. Tokens on the host are moved a segment at a time; tokens for
    which states are collected must be on the model's device (training batches are)."""
    if model.groups > 1:
        return gathered_states(model, tokens, positions, chunk, to_end)
    n, length = tokens.shape[:2]
    table = model.embedding.table.weight
    ends = np.union1d(segment_ends(positions, length, scan_segment(length, chunk)),
                      np.arange(chunk, length, chunk))
    state = model.rnn.zero_state(n, table)
    if not to_end:
        needed = positions.max(initial=-1) + 1  # steps up to the last requested state
        if needed == 0:
            return tuple(z.new_zeros(*positions.shape, z.shape[-1]) for z in state), None
        ends = ends[:np.searchsorted(ends, needed) + 1]
    finals = run_segments(
        model.rnn,
        lambda a, b: model.embedding(tokens[:, a:b].to(table.device, non_blocking=True)),
        ends, state)
    collected = pick_states(
        model.rnn, ends, state, finals,
        lambda r, f, count: model.embedding(gather_steps(tokens, r, f, count)), positions)
    return collected, finals[-1] if to_end else None


def gathered_states(model, tokens: Tensor, positions: np.ndarray, chunk: int,
                    to_end: bool = True) -> tuple[State, State | None]:
    """`scan_states` of a grouped model (auxbench/models/grouped.py), whose cells return every
    step's state: the scan runs in chunks of at most `chunk` steps and the states after the
    requested steps are gathered from them (a segment scan's packed lanes would mix members)."""
    n, length = tokens.shape[:2]
    table = model.embedding.table.weight
    state = model.rnn.zero_state(n, table)
    collected = tuple(part.new_zeros(n, positions.shape[1], part.shape[-1]) for part in state)
    stop = length if to_end else positions.max(initial=-1) + 1
    for first in range(0, stop, chunk):
        end = min(first + chunk, length)
        steps = model.rnn.trajectory(
            model.embedding(tokens[:, first:end].to(table.device, non_blocking=True)), state)
        state = tuple(part[:, -1] for part in steps)
        rows, cols = np.nonzero((positions >= first) & (positions < end))
        if rows.size:
            r, c, s = to_device(torch.from_numpy(
                np.stack([rows, cols, positions[rows, cols] - first])), table.device)
            collected = tuple(z.index_put((r, c), part[r, s])
                              for z, part in zip(collected, steps))
    return collected, state if to_end else None


def window_bounds(anchors: Tensor, back: int, forward: int, length: int) -> tuple[Tensor, int]:
    """Start of the gradient window of each anchor, and the common window width.

    The window covers `back` steps ending at the anchor (the truncation) and `forward` steps after
    it; near the sequence start it is clamped to 0, where the zero initial state is exact.
    """
    width = min(back + forward, length)
    start = (anchors - back + 1).clamp(min=0, max=length - width)
    return start, width


def gather_steps(tokens: Tensor, rows: Tensor, first: Tensor, count: int) -> Tensor:
    """tokens[rows[i], first[i] : first[i] + count] for each i -> [N, count, ...].

    Steps past the end repeat the last one: a subsequence shorter than `count` (l_eff < l on
    padded text) is gathered at full width and its surplus steps are masked by the caller."""
    index = first.unsqueeze(1) + torch.arange(count, device=first.device)
    return tokens[rows.unsqueeze(1), index.clamp(max=tokens.shape[1] - 1)]
