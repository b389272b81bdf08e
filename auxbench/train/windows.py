"""Truncated BPTT with bounded memory (docs/paper.md §1.6, "implementation recipe").

A no-gradient pass over the whole sequence, in chunks, records the LSTM state just before each
window that carries gradient; each window is then re-run with gradient from that detached state.
Only the windows keep activations, so memory does not grow with the sequence length.

Positions are step indices: "the state after step p" (p = -1 is the zero initial state).
Where a scan is cut is decided on the host, from NumPy copies of the positions: torch tensors are
the device's data, and reading one back would make the host wait for the device.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from auxbench.models.lstm import LSTMLayer, State
from auxbench.runtime import to_device

Collected = tuple[Tensor, Tensor]


def empty_collection(n: int, q: int, hidden: int, like: Tensor) -> Collected:
    z = like.new_zeros(n, q, hidden)
    return z, z


def run_and_collect(lstm: LSTMLayer, x: Tensor, state: State, positions: np.ndarray,
                    collected: Collected) -> tuple[Tensor, State, Collected]:
    """Run `lstm` over x [N, L, E] from `state`, collecting the state after each step listed in
    positions [N, Q] (host NumPy, relative to x; entries outside [0, L-1] are left untouched).

    The sequence is cut at the requested steps so the states are exact for every backend
    (cuDNN returns no per-step cell states); gradient flows through the cuts. The cuts are
    decided from the host positions, so the scan never waits for the device; they reach the
    device once, for the masks.
    """
    length = x.shape[1]
    inside = positions[(positions >= 0) & (positions < length - 1)]
    cuts = set((np.unique(inside) + 1).tolist())
    on_device = to_device(torch.from_numpy(positions), x.device)
    outputs, start = [], 0
    hq, cq = collected
    for end in sorted(cuts | {length}):
        out, state = lstm(x[:, start:end], state)
        outputs.append(out)
        if bool((positions == end - 1).any()):
            mask = (on_device == end - 1).unsqueeze(-1)
            hq = torch.where(mask, state[0].unsqueeze(1), hq)
            cq = torch.where(mask, state[1].unsqueeze(1), cq)
        start = end
    return torch.cat(outputs, dim=1), state, (hq, cq)


@torch.no_grad()
def scan_states(model, tokens: Tensor, positions: np.ndarray, chunk: int
                ) -> tuple[Collected, State]:
    """States after the given steps ([N, Q] host NumPy, in [-1, T-1]) and the final state, with
    no gradient.

    The embedding is computed chunk by chunk, so memory is O(N * chunk) whatever T is.
    """
    n, length = tokens.shape[:2]
    hidden = model.lstm.hidden_size
    device = model.embedding.table.weight.device
    state = model.lstm.zero_state(n, model.embedding.table.weight)
    collected = empty_collection(n, positions.shape[1], hidden, model.embedding.table.weight)
    for start in range(0, length, chunk):
        x = model.embedding(tokens[:, start:start + chunk].to(device, non_blocking=True))
        _, state, collected = run_and_collect(model.lstm, x, state, positions - start, collected)
    return collected, state


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
