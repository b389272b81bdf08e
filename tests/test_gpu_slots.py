"""Jobs sharing a multi-GPU box: each claims one GPU, spread evenly, without races, and a job
that ends (however it ends) frees its slot."""

from __future__ import annotations

import subprocess
import sys

from auxbench.runtime import claim_gpu

HOLD = ("import sys, time; from auxbench.runtime import claim_gpu; "
        "print(claim_gpu(int(sys.argv[1]), sys.argv[2]), flush=True); time.sleep(60)")


def holder(n_gpus: int, folder) -> tuple[subprocess.Popen, int]:
    """A process that claims a GPU and keeps it; returns it and the GPU it got."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(n_gpus), str(folder)],
                            stdout=subprocess.PIPE, text=True)
    return proc, int(proc.stdout.readline())


def test_jobs_spread_over_the_gpus_and_a_finished_job_frees_its_slot(tmp_path):
    procs = []
    try:
        got = []
        for _ in range(5):
            proc, gpu = holder(2, tmp_path)
            procs.append(proc)
            got.append(gpu)
        assert got == [0, 1, 0, 1, 0]  # slot 0 of each GPU, then slot 1 of each, ...
        procs[1].kill()  # a job on GPU 1 dies without cleaning up
        procs[1].wait()
        proc, gpu = holder(2, tmp_path)
        procs.append(proc)
        assert gpu == 1  # its slot is free again at once
    finally:
        for p in procs:
            p.kill()
            p.wait()


def test_claims_made_at_the_same_moment_never_share_a_slot(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", HOLD, "4", str(tmp_path)],
                              stdout=subprocess.PIPE, text=True) for _ in range(8)]
    try:
        got = sorted(int(p.stdout.readline()) for p in procs)
        assert got == [0, 0, 1, 1, 2, 2, 3, 3]
    finally:
        for p in procs:
            p.kill()
            p.wait()


def test_one_gpu_needs_no_claim(tmp_path):
    assert claim_gpu(1, tmp_path) == 0 and not list(tmp_path.iterdir())
