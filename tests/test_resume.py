"""A run interrupted and resumed ends exactly where an uninterrupted run ends (same seed, CPU)."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
import torch

from auxbench.config import resolve
from auxbench.errors import TrainingError
from auxbench.train import engine
from auxbench.train.checkpoint import load_checkpoint


def tiny_config(tmp_path, method="rlstm", **train):
    return resolve({
        "method": method,
        "dataset": {"name": "embedded_mnist", "side": 14, "tail": 0, "n_train": 96, "n_test": 40},
        "model": {"embed_dim": 8, "hidden": 8, "head_hidden": 16, "aux_hidden": 16,
                  "aux_head_hidden": 16},
        "train": {"epochs": 2, "pretrain_epochs": 1, "batch_size": 32, "eval_batch_size": 16,
                  "bptt": 16, "aux_bptt": 16, "aux_len": 20, "lr_schedule": "cosine", **train},
        "runtime": {"data_root": str(tmp_path / "data"), "threads": 1, "progress": "none"},
    })


class Interrupt(Exception):
    pass


def outputs(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    for volatile in ("wall_time_s", "peak_memory_mb", "resumed", "data_loading_fraction"):
        metrics.pop(volatile)
    curve = [line.rsplit(",", 1)[0] for line in (run_dir / "curve.csv").read_text().splitlines()]
    return metrics, curve


def test_resume_after_an_epoch_equals_uninterrupted(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path)
    engine.train_run(cfg, tmp_path / "straight", tmp_path / "ckpt_straight")

    real_save = engine.save_checkpoint

    def save_then_die(path, payload):
        real_save(path, payload)
        if payload["epoch"] == 2:
            raise Interrupt  # killed right after the second epoch's checkpoint

    monkeypatch.setattr(engine, "save_checkpoint", save_then_die)
    with pytest.raises(Interrupt):
        engine.train_run(cfg, tmp_path / "resumed", tmp_path / "ckpt_resumed")
    assert not (tmp_path / "resumed" / "metrics.json").exists()
    monkeypatch.setattr(engine, "save_checkpoint", real_save)
    engine.train_run(cfg, tmp_path / "resumed", tmp_path / "ckpt_resumed")

    assert outputs(tmp_path / "resumed") == outputs(tmp_path / "straight")
    assert json.loads((tmp_path / "resumed" / "metrics.json").read_text())["resumed"] == 1
    a = load_checkpoint(tmp_path / "ckpt_straight" / "final.pt")["model"]
    b = load_checkpoint(tmp_path / "ckpt_resumed" / "final.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_sigterm_mid_epoch_checkpoints_and_resume_equals_uninterrupted(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path, method="plstm")
    engine.train_run(cfg, tmp_path / "straight", tmp_path / "ckpt_straight")

    class StopAfter(dict):
        """Reports SIGTERM after the second batch of the second epoch."""
        reads = 0

        def __getitem__(self, key):
            StopAfter.reads += 1
            return StopAfter.reads == 3 + 2

    @contextmanager
    def fake_sigterm():
        yield StopAfter()

    monkeypatch.setattr(engine, "stop_on_sigterm", fake_sigterm)
    with pytest.raises(engine.Preempted):
        engine.train_run(cfg, tmp_path / "resumed", tmp_path / "ckpt")
    payload = load_checkpoint(tmp_path / "ckpt" / "last.pt")
    assert (payload["epoch"], payload["step"]) == (1, 2)
    monkeypatch.undo()
    engine.train_run(cfg, tmp_path / "resumed", tmp_path / "ckpt")
    assert outputs(tmp_path / "resumed") == outputs(tmp_path / "straight")


def interrupt_after_first_epoch(monkeypatch, cfg, run_dir, ckpt):
    real_save = engine.save_checkpoint

    def save_then_die(path, payload):
        real_save(path, payload)
        raise Interrupt

    monkeypatch.setattr(engine, "save_checkpoint", save_then_die)
    with pytest.raises(Interrupt):
        engine.train_run(cfg, run_dir, ckpt)
    monkeypatch.setattr(engine, "save_checkpoint", real_save)


def test_checkpoint_of_another_configuration_is_refused(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path, epochs=2, pretrain_epochs=0)
    interrupt_after_first_epoch(monkeypatch, cfg, tmp_path / "a", tmp_path / "ckpt")
    other = tiny_config(tmp_path, epochs=2, pretrain_epochs=0, lr=0.01)
    with pytest.raises(TrainingError, match="different configuration"):
        engine.train_run(other, tmp_path / "b", tmp_path / "ckpt")


def test_checkpoint_of_other_training_code_is_set_aside_not_resumed(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path, epochs=2, pretrain_epochs=0)
    interrupt_after_first_epoch(monkeypatch, cfg, tmp_path / "a", tmp_path / "ckpt")
    monkeypatch.setattr(engine, "code_version", lambda: "edited-code")
    metrics = engine.train_run(cfg, tmp_path / "a", tmp_path / "ckpt")
    assert metrics["resumed"] == 0 and metrics["code_version"] == "edited-code"
    stale = list((tmp_path / "ckpt").glob("stale-*.pt"))
    assert len(stale) == 1 and load_checkpoint(stale[0])["epoch"] == 1


def test_finished_run_is_not_resumed_when_rerun(tmp_path):
    cfg = tiny_config(tmp_path, method="lstm", epochs=1, pretrain_epochs=0)
    engine.train_run(cfg, tmp_path / "a", tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "final.pt").exists()
    assert not (tmp_path / "ckpt" / "last.pt").exists()
    again = engine.train_run(cfg, tmp_path / "a", tmp_path / "ckpt")
    assert again["resumed"] == 0 and again["epochs_completed"] == 1


def test_out_of_memory_is_a_recorded_failure(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path, method="lstm", epochs=1, pretrain_epochs=0)

    def exhausted(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(engine, "recurrent_step", exhausted)
    metrics = engine.train_run(cfg, tmp_path / "run", tmp_path / "ckpt", record_failure=True)
    assert metrics["status"] == "failed" and "out of memory" in metrics["error"]
    assert "batch_size" in metrics["error"]


def test_non_finite_loss_stops_with_a_clear_error_and_keeps_the_checkpoint(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path, method="lstm", epochs=3, pretrain_epochs=0)
    real_step = engine.recurrent_step
    calls = {"n": 0}

    def poisoned(*args, **kwargs):
        out = real_step(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] > 4:  # epoch 2, second batch
            out.loss = out.loss * float("nan")
        return out

    monkeypatch.setattr(engine, "recurrent_step", poisoned)
    with pytest.raises(TrainingError, match="non-finite loss .* epoch 2, batch 2"):
        engine.train_run(cfg, tmp_path / "run", tmp_path / "ckpt")
    assert load_checkpoint(tmp_path / "ckpt" / "last.pt")["epoch"] == 1
    calls["n"] = 0
    metrics = engine.train_run(cfg, tmp_path / "run2", tmp_path / "ckpt2", record_failure=True)
    assert metrics["status"] == "failed" and "non-finite" in metrics["error"]
    assert metrics["test_accuracy"] is None
