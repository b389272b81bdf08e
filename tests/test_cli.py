"""The command line as a user meets it: help, a training run, and errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

TINY = ["--set", "dataset.name=embedded_mnist", "--set", "dataset.side=14",
        "--set", "dataset.n_train=64", "--set", "dataset.n_test=32",
        "--set", "model.embed_dim=8", "--set", "model.hidden=8", "--set", "model.aux_hidden=16",
        "--set", "train.bptt=20", "--set", "train.aux_bptt=20", "--set", "train.aux_len=40",
        "--set", "train.epochs=1", "--set", "train.pretrain_epochs=1",
        "--set", "train.batch_size=32"]


def auxbench(*args, cwd, env_extra=None):
    env = {**os.environ, "AUXBENCH_DATA_MIRROR": "", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "auxbench", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_help_lists_the_commands(tmp_path):
    out = auxbench("--help", cwd=tmp_path)
    assert out.returncode == 0
    for command in ("prepare", "train", "config", "resources"):
        assert command in out.stdout


def test_train_from_the_command_line_writes_the_run_outputs(tmp_path):
    out = auxbench("train", *TINY, "--set", "method=rlstm", "--set", "runtime.data_root=data",
                   "--run-dir", "run", "--checkpoint-dir", "ckpt", "--threads", "1", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "epoch 2/2 (train)" in out.stderr  # one line per epoch in logs
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["pretrain_epochs"] == 1
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    asrun = json.loads((tmp_path / "run" / "asrun.json").read_text())
    assert asrun["config"]["method"] == "rlstm"
    assert {"python", "torch", "numpy", "git", "device", "threads"} <= set(asrun["environment"])
    assert (tmp_path / "run" / "curve.csv").read_text().count("\n") == 3
    assert (tmp_path / "ckpt" / "final.pt").exists()  # finished: kept, never resumed


@pytest.mark.parametrize("args,expected", [
    (["--set", "train.bptt=abc"], "train.bptt"),
    (["--set", "train.epoch=3"], "unknown key(s) ['epoch']"),
    (["--set", "method=xlstm"], "'xlstm' is not one of ['lstm', 'rlstm'"),
    (["--set", "dataset.name=imagenet"], "dataset.name"),
    (["--set", "dataset.name=embedded_mnist", "--set", "dataset.side=14",
      "--set", "train.aux_len=500"], "train.aux_len"),
])
def test_bad_config_is_one_clear_message_naming_the_key(tmp_path, args, expected):
    out = auxbench("train", *args, "--run-dir", "run", "--set", "runtime.data_root=data",
                   cwd=tmp_path)
    assert out.returncode == 2
    assert expected in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "run").exists()


def test_missing_dataset_offline_says_where_to_put_the_files(tmp_path):
    out = auxbench("prepare", "mnist", "--data-root", "data", cwd=tmp_path,
                   env_extra={"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"})
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "train-images-idx3-ubyte.gz" in out.stderr and "AUXBENCH_DATA_MIRROR" in out.stderr


@pytest.mark.parametrize("name", ["config", "lite", "paper", "smoke"])
def test_plan_prints_every_config(name):
    repo = __import__("pathlib").Path(__file__).resolve().parents[1]
    out = auxbench("plan", "--configfile", str(repo / "config" / f"{name}.yaml"), cwd=repo)
    assert out.returncode == 0, out.stderr
    assert "training runs" in out.stdout and "table3" in out.stdout
