"""A training job killed with SIGKILL mid-run (the node died), then rerun by Snakemake, resumes
from its last checkpoint and ends with exactly the metrics of an uninterrupted run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.test_resume import outputs

REPO = Path(__file__).resolve().parents[1]
RUN = "table2/emb_mnist/rlstm-t32/seed0"
ONE_RUN = """
seeds: [0]
datasets:
  emb_mnist:
    spec: {name: embedded_mnist, side: 8, region: 0.875, tail: 16, n_train: 4096, n_test: 32,
           seed: 0}
    paper_dataset: mnist
    overrides: {}
base: {train: {epochs: 3, pretrain_epochs: 0}}
experiments:
  table2: {methods: [rlstm], settings: [t32]}
  fig3: {enabled: false}
  table3: {enabled: false}
  table4: {enabled: false}
  fig4: {enabled: false}
  table6: {enabled: false}
  fig5: {enabled: false}
  fig6: {enabled: false}
"""

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("snakemake") is None, reason="no snakemake")]


def snakemake(wd: Path, overlay: Path, *extra: str, **popen):
    cmd = ["snakemake", f"results/runs/{RUN}/metrics.json", *extra, "-s", str(REPO / "Snakefile"),
           "--directory", str(wd), "--cores", "1", "--rerun-incomplete",
           "--configfile", str(REPO / "config" / "smoke.yaml"), str(overlay)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            **popen)


def test_sigkilled_job_resumes_under_snakemake_to_the_uninterrupted_result(tmp_path):
    overlay = tmp_path / "one_run.yaml"
    overlay.write_text(ONE_RUN)
    straight, killed = tmp_path / "straight", tmp_path / "killed"

    proc = snakemake(straight, overlay)
    assert proc.wait(timeout=600) == 0, proc.stdout.read()

    proc = snakemake(killed, overlay, start_new_session=True)
    ckpt = killed / "results" / "checkpoints" / RUN / "last.pt"
    deadline = time.time() + 300
    while not ckpt.exists() and time.time() < deadline:  # epoch 1 done: now in epoch 2
        time.sleep(0.05)
    assert ckpt.exists(), "no checkpoint appeared"
    os.killpg(proc.pid, signal.SIGKILL)  # snakemake and the training job die at once
    proc.wait(timeout=60)
    assert not (killed / "results" / "runs" / RUN / "metrics.json").exists()

    unlock = snakemake(killed, overlay, "--unlock")  # a killed snakemake leaves its lock behind
    assert unlock.wait(timeout=120) == 0, unlock.stdout.read()
    proc = snakemake(killed, overlay)
    log = proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, log
    train_log = (killed / "results" / "logs" / "train" / f"{RUN}.log").read_text()
    assert "resumed from" in train_log
    assert outputs(killed / "results" / "runs" / RUN) == outputs(straight / "results" / "runs" / RUN)
