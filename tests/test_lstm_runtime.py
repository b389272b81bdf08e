"""Process setup used around the LSTM kernels: threads, denormal flush, memory helpers.

Every test restores the global torch / malloc state it changes (the test process is shared).
"""

from __future__ import annotations

import sys

import pytest
import torch

from auxbench import runtime


@pytest.fixture
def restore_torch_state():
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic)
    torch.set_flush_denormal(False)


def test_configure_threads_sets_intra_op_threads(restore_torch_state):
    assert runtime.configure_threads(1) == 1
    assert torch.get_num_threads() == 1
    runtime.configure_threads(1)  # interop threads already fixed: no error the second time


def test_setup_torch_flushes_denormals(restore_torch_state):
    denormal = torch.tensor([1e-39], dtype=torch.float32)
    torch.set_flush_denormal(False)
    assert (denormal * 1.0).item() != 0.0
    assert runtime.setup_torch(1, deterministic=True) == 1
    if torch.set_flush_denormal(True):  # False where the CPU has no FTZ/DAZ (non-x86)
        assert (denormal * 1.0).item() == 0.0
    assert torch.are_deterministic_algorithms_enabled()


def test_peak_memory_mb_is_positive_on_cpu():
    mb = runtime.peak_memory_mb(torch.device("cpu"))
    assert 1.0 < mb < 10**7


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_keep_freed_memory_toggles():
    try:
        applied = runtime.keep_freed_memory(True)
        x = torch.ones(10 * 2**20)  # 40 MiB: above the mmap threshold
        del x
    finally:
        restored = runtime.keep_freed_memory(False)
    assert applied == restored  # both True on glibc, both False on musl
