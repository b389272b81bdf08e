"""Activation memory of a training step, measured exactly: the bytes autograd saves for backward.

Process RSS is noisy and never goes down; the saved-tensor total is deterministic and is what
truncation bounds, so tests and benchmarks use it to show that memory is flat in T.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def saved_activation_bytes() -> Iterator[dict]:
    """Count the bytes of every distinct tensor storage autograd saves inside the block."""
    seen: dict[int, int] = {}
    result = {"bytes": 0}

    def pack(t: torch.Tensor):
        storage = t.untyped_storage()
        key = storage.data_ptr()
        if key not in seen:
            seen[key] = storage.nbytes()
            result["bytes"] += storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        yield result
