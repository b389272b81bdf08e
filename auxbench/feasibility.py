"""Whether a run's settings fit its data (torch-free: the planner checks every run of a workflow
with `check_fits` before any job starts; the engine also checks the batches once it knows the
training-set size)."""

from __future__ import annotations

from auxbench.errors import ConfigError
from auxbench.losses import LOSSES
from auxbench.methods import METHODS


def anchor_range(kind: str, aux_len: int, length: int) -> tuple[int, int]:
    """Feasible anchors of loss `kind` in an unpadded sequence (e.g. r-LSTM a in [l, T-2],
    p-LSTM a in [0, T-1-l])."""
    loss = LOSSES[kind]
    lo, hi = loss.anchor_bounds(0, aux_len, length)
    if lo > hi:
        raise ConfigError(
            f"train.aux_len: {aux_len} does not fit in sequences of length {length} "
            f"(at most {length - loss.reserved_steps})")
    return lo, hi


def check_fits(cfg: dict, seq_len: int) -> None:
    """Reject settings the dataset's sequence length makes impossible, before any work."""
    for kind in METHODS[cfg["method"]].losses:
        if LOSSES[kind].anchored:
            anchor_range(kind, cfg["train"]["aux_len"], seq_len)


def check_batches(cfg: dict, n_train: int) -> None:
    """A batch-normalised head (model.head_norm: batch) cannot train on a batch of one example."""
    batch = cfg["train"]["batch_size"]
    if cfg["model"]["head_norm"] == "batch" and (batch == 1 or n_train % batch == 1):
        raise ConfigError(
            f"model.head_norm: batch needs at least 2 examples in every training batch, but "
            f"{n_train} training examples at train.batch_size {batch} leave a batch of 1; "
            f"change train.batch_size (or train.train_size)")
