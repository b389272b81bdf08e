"""What goes wrong on shared machines, shown not to lose anything: a full disk while
checkpointing, SIGTERM (SLURM preemption), a corrupt prepared cache, a crafted checkpoint."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from auxbench import data
from auxbench.errors import TrainingError
from auxbench.train import checkpoint, engine
from tests.test_resume import outputs, tiny_config

TRAIN_ARGS = ["--set", "method=rlstm", "--set", "dataset.name=embedded_mnist",
              "--set", "dataset.side=14", "--set", "dataset.n_train=512", "--set", "dataset.n_test=64",
              "--set", "model.embed_dim=16", "--set", "model.hidden=16", "--set", "model.aux_hidden=32",
              "--set", "train.bptt=40", "--set", "train.aux_bptt=40", "--set", "train.aux_len=80",
              "--set", "train.epochs=2", "--set", "train.pretrain_epochs=0",
              "--set", "train.batch_size=16", "--set", "runtime.data_root=data",
              "--set", "runtime.progress=none", "--threads", "1"]


def test_full_disk_while_checkpointing_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path, method="lstm", epochs=3, pretrain_epochs=0)
    real_save = torch.save
    calls = {"n": 0}

    def save_until_full(obj, f, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the second epoch's checkpoint hits a full disk half-way
            with open(f, "wb") as fh:
                fh.write(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(checkpoint.torch, "save", save_until_full)
    with pytest.raises(TrainingError, match="disk is full.*previous checkpoint is intact"):
        engine.train_run(cfg, tmp_path / "run", tmp_path / "ckpt")
    assert checkpoint.load_checkpoint(tmp_path / "ckpt" / "last.pt")["epoch"] == 1
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["last.pt"]  # no temp left


class WritesMarker:
    """Unpickling this calls Path.write_text: what a crafted checkpoint would run."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (type(self.marker).write_text, (self.marker, "code ran"))


def test_a_checkpoint_whose_pickle_would_run_code_is_refused(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "ckpt" / "last.pt"
    path.parent.mkdir()
    torch.save({"format": checkpoint.FORMAT, "epoch": 1, "model": WritesMarker(marker)}, path)
    with pytest.raises(TrainingError, match=f"checkpoint {path} was refused.*could run code"):
        checkpoint.load_checkpoint(path)
    assert not marker.exists()


def auxbench_train(tmp_path, run, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "auxbench", "train", *TRAIN_ARGS, "--run-dir", run,
         "--checkpoint-dir", f"ckpt_{run}", *extra],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "AUXBENCH_DATA_MIRROR": ""})


@pytest.mark.slow
def test_sigterm_checkpoints_exits_75_and_the_rerun_resumes_to_the_same_result(tmp_path):
    straight = auxbench_train(tmp_path, "straight")
    assert straight.wait(timeout=600) == 0, straight.stderr.read()

    proc = auxbench_train(tmp_path, "preempted")
    ckpt = tmp_path / "ckpt_preempted" / "last.pt"
    deadline = time.time() + 300
    while not ckpt.exists() and time.time() < deadline:  # wait until mid-way through epoch 2
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=300) == 75
    assert "stopped by SIGTERM" in proc.stderr.read()
    payload = checkpoint.load_checkpoint(ckpt)
    assert payload["epoch"] == 1 and payload["step"] > 0

    resumed = auxbench_train(tmp_path, "preempted")
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read()
    assert outputs(tmp_path / "preempted") == outputs(tmp_path / "straight")
    metrics = json.loads((tmp_path / "preempted" / "metrics.json").read_text())
    assert metrics["resumed"] == 1


def test_a_flipped_byte_in_the_prepared_cache_stops_training_before_it_starts(tmp_path):
    spec = {"name": "embedded_mnist", "side": 14, "n_train": 64, "n_test": 32}
    folder = data.prepare(spec, tmp_path / "data")
    target = folder / "train_x.npy"
    raw = bytearray(target.read_bytes())
    raw[-5] ^= 0xFF
    target.write_bytes(bytes(raw))
    out = subprocess.run(
        [sys.executable, "-m", "auxbench", "train", "--set", "dataset.name=embedded_mnist",
         "--set", "dataset.side=14", "--set", "dataset.n_train=64", "--set", "dataset.n_test=32",
         "--set", "runtime.data_root=data", "--set", "train.aux_len=100",
         "--run-dir", "run"], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 1
    assert "train_x.npy" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "run").exists()
