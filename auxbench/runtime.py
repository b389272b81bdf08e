"""Process setup for training and benchmarks: threads, denormals, determinism, peak memory."""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import itertools
import os
import resource
import sys
import tempfile
from pathlib import Path

import torch

from auxbench.errors import ConfigError

# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4


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
    """Threads, flush-to-zero for denormals, and optional deterministic algorithms.

    Denormals: gradients decaying through hundreds of forget gates can reach the denormal range
    (< 1.2e-38), where x86 arithmetic is many times slower; flushing them to zero changes no
    result that matters. (In docs/benchmarks.md, with random weights, no slowdown was visible
    either way.) Freed-memory retention (`keep_freed_memory`) is left off: it is faster but
    raises peak memory, which the benchmark reports. Returns the thread count used.
    """
    used = configure_threads(threads)
    torch.set_flush_denormal(True)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    return used


def peak_memory_mb(device: torch.device) -> float:
    """Peak memory of this process: CUDA allocated on GPU, resident set size on CPU (MiB)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt  # noqa: B018 - glibc only (not musl)
        return libc
    except (OSError, AttributeError):
        return None


def keep_freed_memory(keep: bool = True) -> bool:
    """Make glibc keep freed memory for reuse instead of giving it back to the OS (Linux only).

    Why: glibc serves every allocation above 32 MiB with a fresh mmap and unmaps it on free, so
    each training step page-faults its activation buffers in again (~0.2 ms per MiB here); with
    ``keep`` they are reused from the heap: nn.LSTM windows ran 1.06-1.18x faster. The cost: the
    heap fragments, and peak resident memory rose 39% for nn.LSTM and 4% for the fused backend
    (docs/benchmarks.md), so it is opt-in (benchmarks, memory-rich machines), not in
    `setup_torch`. ``keep=False`` restores glibc's steady-state defaults (32 MiB mmap threshold,
    64 MiB trim threshold) and returns free memory to the OS. Returns whether the settings were
    applied (False off glibc).
    """
    libc = _libc()
    if libc is None:
        return False
    if keep:
        ok = libc.mallopt(_M_MMAP_MAX, 0) and libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
    else:
        ok = (libc.mallopt(_M_MMAP_MAX, 65536) and libc.mallopt(_M_MMAP_THRESHOLD, 32 * 2**20)
              and libc.mallopt(_M_TRIM_THRESHOLD, 64 * 2**20))
        libc.malloc_trim(0)
    return bool(ok)


def resolve_device(name: str) -> torch.device:
    """`auto` -> CUDA when available, else CPU; a CUDA device asked for on a machine without one
    is a config error, not a crash later. `cuda` with no index on a machine with several GPUs
    claims one (`claim_gpu`), so that jobs running side by side spread over the GPUs."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"runtime.device: {name!r} requested but CUDA is not available; use cpu")
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", claim_gpu(torch.cuda.device_count()))
    return device


_CLAIMED: list = []  # the open lock files of this process's claim (released when it exits)


def claim_gpu(n_gpus: int, lock_dir: str | os.PathLike | None = None) -> int:
    """The GPU this process runs on: the first free slot in the order (slot 0 of every GPU, then
    slot 1 of every GPU, ...), taken with an exclusive lock on a file per (GPU, slot) that the
    operating system releases when the process ends, however it ends. Jobs started together
    therefore spread evenly, never race for a slot and leave no stale claim; how many share one
    GPU is set by how many the scheduler runs at once (the profile's gpu resource)."""
    if n_gpus <= 1:
        return 0
    folder = Path(lock_dir or os.environ.get("AUXBENCH_GPU_LOCKS")
                  or Path(tempfile.gettempdir()) / f"auxbench-gpus-{os.getuid()}")
    folder.mkdir(parents=True, exist_ok=True)
    for slot in itertools.count():
        for gpu in range(n_gpus):
            fh = open(folder / f"gpu{gpu}-slot{slot}.lock", "a")  # noqa: SIM115 (held open)
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                continue
            _CLAIMED.append(fh)
            return gpu


def set_precision(train: dict) -> dict:
    """Apply `train.tf32` to matmuls and cuDNN alike (process-wide; a run owns its process) and
    return what the run computes in, for its as-run record."""
    torch.backends.cuda.matmul.allow_tf32 = bool(train["tf32"])
    torch.backends.cudnn.allow_tf32 = bool(train["tf32"])
    return {"tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
            "tf32_cudnn": torch.backends.cudnn.allow_tf32, "autocast": train["autocast"]}


def autocast(train: dict, device: torch.device):
    """The forward pass's precision: bf16 autocast when `train.autocast` asks for it."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=train["autocast"] == "bf16")
