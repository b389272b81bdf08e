"""Tensor helpers the models and the training step share: a host tensor moved to the device
without a wait, and per-row last-step indices. Kept apart from runtime.py (process setup), which
the models have no business importing."""

from __future__ import annotations

import numpy as np
import torch


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A host tensor on `device` without making the host wait: to a GPU through pinned memory
    and an asynchronous copy (a copy from pageable memory waits for the GPU to drain)."""
    if device.type != "cuda":
        return tensor.to(device)
    return tensor.pin_memory().to(device, non_blocking=True)


def last_steps(lengths: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(rows, steps) indexing each row's step lengths[i] - 1 (host NumPy lengths in [1, T]):
    where a cell whose outputs carry its state reads a different step per row."""
    index = to_device(torch.from_numpy(np.stack([np.arange(len(lengths)), lengths - 1])), device)
    return index[0], index[1]
