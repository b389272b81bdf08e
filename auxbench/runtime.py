"""Process setup for training and benchmarks: threads, denormals, determinism, peak memory."""

from __future__ import annotations

import os
import resource

import torch


def configure_threads(threads: int | None) -> int:
    """Set torch's intra-op threads (default: what the job was given) and return the count.

    Two 2-thread torch processes on 2 cores ran ~30x slower than two 1-thread ones, so a job
    must use exactly the threads it was allotted.
    """
    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # already set (interop threads can be set once per process)
        pass
    return threads


def setup_torch(threads: int | None, deterministic: bool) -> int:
    """Threads, flush-to-zero for denormals (the LSTM backward is 3-5x slower without it on CPU),
    and optional deterministic algorithms. Returns the thread count used."""
    used = configure_threads(threads)
    torch.set_flush_denormal(True)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    return used


def peak_memory_mb(device: torch.device) -> float:
    """Peak memory of this process: CUDA allocated on GPU, resident set size on CPU (MiB)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
