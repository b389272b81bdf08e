"""Whether a run's auxiliary subsequence fits its sequences (torch-free: the planner checks every
run of a workflow with it before any job starts)."""

from __future__ import annotations

from auxbench.errors import ConfigError


def anchor_range(kind: str, aux_len: int, length: int) -> tuple[int, int]:
    """Feasible anchors: r-LSTM a in [l, T-2]; p-LSTM a in [0, T-1-l] (both before the end)."""
    lo, hi = (aux_len, length - 2) if kind == "reconstruct" else (0, length - 1 - aux_len)
    if lo > hi:
        raise ConfigError(
            f"train.aux_len: {aux_len} does not fit in sequences of length {length} "
            f"(at most {length - 2 if kind == 'reconstruct' else length - 1})")
    return lo, hi


def check_fits(cfg: dict, seq_len: int) -> None:
    """Reject settings the dataset's sequence length makes impossible, before any work."""
    if cfg["method"] in ("rlstm", "rplstm"):
        anchor_range("reconstruct", cfg["train"]["aux_len"], seq_len)
    if cfg["method"] in ("plstm", "rplstm"):
        anchor_range("predict", cfg["train"]["aux_len"], seq_len)
