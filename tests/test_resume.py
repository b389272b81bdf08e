"""A run interrupted and resumed ends exactly where an uninterrupted run ends (same seed; on CPU,
and on CUDA where there is one)."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager

import pytest
import torch

from auxbench import cli
from auxbench.config import resolve
from auxbench.errors import TrainingError
from auxbench.train import engine
from auxbench.train.checkpoint import load_checkpoint, save_checkpoint


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
    (resume,) = json.loads((tmp_path / "resumed" / "asrun.json").read_text())["resumes"]
    assert resume["epoch"] == 2 and resume["device"] == "cpu" and resume["device_name"]
    a = load_checkpoint(tmp_path / "ckpt_straight" / "final.pt")["model"]
    b = load_checkpoint(tmp_path / "ckpt_resumed" / "final.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def sigterm_when(monkeypatch, due) -> None:
    """Make the run see SIGTERM, like stop_on_sigterm's flag, from the moment `due()` is true
    (once raised, the flag stays raised)."""
    raised = {"stop": False}

    class Flag(dict):
        def __getitem__(self, key):
            raised["stop"] = raised["stop"] or due()
            return raised["stop"]

    @contextmanager
    def fake_sigterm():
        yield Flag()

    monkeypatch.setattr(engine, "stop_on_sigterm", fake_sigterm)


def sigterm_after_batches(monkeypatch, batches: int) -> None:
    """SIGTERM once the run has trained `batches` batches (counted over epochs)."""
    trained = {"n": 0}
    real = engine.train_step

    def counting(*args, **kwargs):
        trained["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "train_step", counting)
    sigterm_when(monkeypatch, lambda: trained["n"] >= batches)


def test_sigterm_mid_epoch_checkpoints_and_resume_equals_uninterrupted(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path, method="plstm")
    engine.train_run(cfg, tmp_path / "straight", tmp_path / "ckpt_straight")

    sigterm_after_batches(monkeypatch, 3 + 2)  # the second batch of the second epoch
    with pytest.raises(engine.Preempted):
        engine.train_run(cfg, tmp_path / "resumed", tmp_path / "ckpt")
    payload = load_checkpoint(tmp_path / "ckpt" / "last.pt")
    assert (payload["epoch"], payload["step"]) == (1, 2)
    monkeypatch.undo()
    engine.train_run(cfg, tmp_path / "resumed", tmp_path / "ckpt")
    assert outputs(tmp_path / "resumed") == outputs(tmp_path / "straight")


def test_sigterm_during_an_evaluation_stops_it_and_resume_equals_uninterrupted(tmp_path,
                                                                               monkeypatch):
    """The signal arrives during the first evaluation batch after epoch 2's training: the
    evaluation stops before its next batch, the epoch's training is kept (epoch 1 done, all 3
    batches of epoch 2), and the resumed run evaluates epoch 2 again, ending where the
    uninterrupted run ends."""
    cfg = tiny_config(tmp_path, method="rlstm")
    engine.train_run(cfg, tmp_path / "straight", tmp_path / "ckpt_straight")

    calls = {"train": 0, "eval": 0}
    real_step, real_predict = engine.train_step, engine.predict_logits

    def step(*args, **kwargs):
        calls["train"] += 1
        return real_step(*args, **kwargs)

    def predict(*args, **kwargs):
        calls["eval"] += calls["train"] == 6  # evaluation batches after epoch 2's training
        return real_predict(*args, **kwargs)

    monkeypatch.setattr(engine, "train_step", step)
    monkeypatch.setattr(engine, "predict_logits", predict)
    sigterm_when(monkeypatch, lambda: calls["eval"] >= 1)
    with pytest.raises(engine.Preempted, match="evaluation after epoch 2"):
        engine.train_run(cfg, tmp_path / "resumed", tmp_path / "ckpt")
    assert calls["eval"] == 1
    payload = load_checkpoint(tmp_path / "ckpt" / "last.pt")
    assert (payload["epoch"], payload["step"]) == (1, 3)
    monkeypatch.undo()
    engine.train_run(cfg, tmp_path / "resumed", tmp_path / "ckpt")
    assert outputs(tmp_path / "resumed") == outputs(tmp_path / "straight")


def stop_after_first_checkpoint(monkeypatch, execute) -> None:
    """Call `execute` (a run) and kill it right after it writes its first checkpoint."""
    real_save = engine.save_checkpoint

    def save_then_die(path, payload):
        real_save(path, payload)
        raise Interrupt

    monkeypatch.setattr(engine, "save_checkpoint", save_then_die)
    with pytest.raises(Interrupt):
        execute()
    monkeypatch.setattr(engine, "save_checkpoint", real_save)


def interrupt_after_first_epoch(monkeypatch, cfg, run_dir, ckpt):
    stop_after_first_checkpoint(monkeypatch, lambda: engine.train_run(cfg, run_dir, ckpt))


def test_checkpoint_of_another_configuration_is_refused(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path, epochs=2, pretrain_epochs=0)
    interrupt_after_first_epoch(monkeypatch, cfg, tmp_path / "a", tmp_path / "ckpt")
    other = tiny_config(tmp_path, epochs=2, pretrain_epochs=0, lr=0.01)
    with pytest.raises(TrainingError, match="different configuration"):
        engine.train_run(other, tmp_path / "b", tmp_path / "ckpt")


def test_checkpoint_of_other_training_code_is_set_aside_not_resumed(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path, epochs=2, pretrain_epochs=0)
    interrupt_after_first_epoch(monkeypatch, cfg, tmp_path / "a", tmp_path / "ckpt")
    monkeypatch.setattr(engine, "command_version", lambda command: "edited-code")
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


def exhausted(*args, **kwargs):
    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


def test_out_of_memory_is_a_recorded_failure(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path, method="lstm", epochs=1, pretrain_epochs=0)
    monkeypatch.setattr(engine, "recurrent_step", exhausted)
    metrics = engine.train_run(cfg, tmp_path / "run", tmp_path / "ckpt", record_failure=True)
    assert metrics["status"] == "failed"
    assert "out of memory in training" in metrics["error"] and "train.batch_size" in metrics["error"]
    monkeypatch.undo()
    monkeypatch.setattr(engine, "evaluate", exhausted)
    metrics = engine.train_run(cfg, tmp_path / "run2", tmp_path / "ckpt2", record_failure=True)
    assert "out of memory in evaluation" in metrics["error"]
    assert "train.eval_tokens" in metrics["error"]


def test_out_of_memory_before_the_last_attempt_asks_for_another(tmp_path, monkeypatch, capsys):
    """Attempt 1 of 3 exits EXIT_RETRY and records nothing (Snakemake runs it again, and it
    resumes); the last attempt records the failure and exits 0, so the workflow goes on."""
    cfg = tiny_config(tmp_path, method="lstm", epochs=2, pretrain_epochs=0)
    real_step = engine.recurrent_step
    calls = {"n": 0}

    def second_epoch_exhausted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 3:  # the first epoch (3 batches) trains and is checkpointed
            exhausted()
        return real_step(*args, **kwargs)

    monkeypatch.setattr(engine, "recurrent_step", second_epoch_exhausted)
    argv = ["train", "--config-json", json.dumps(cfg), "--run-dir", str(tmp_path / "run"),
            "--checkpoint-dir", str(tmp_path / "ckpt"), "--record-failure", "--attempts", "3"]
    assert cli.main(argv + ["--attempt", "1"]) == cli.EXIT_RETRY
    assert not (tmp_path / "run" / "metrics.json").exists()
    assert load_checkpoint(tmp_path / "ckpt" / "last.pt")["epoch"] == 1  # kept for the retry
    assert "attempt 1 of 3" in capsys.readouterr().err
    assert cli.main(argv + ["--attempt", "3"]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["status"] == "failed" and "out of memory in training" in metrics["error"]
    assert metrics["resumed"] == 1  # the last attempt resumed from the first one's checkpoint


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


def run_one_epoch(monkeypatch, cfg, tmp_path, log) -> engine.TrainingRun:
    """A run stopped right after its first epoch's checkpoint, kept for its checkpoint methods."""
    run = engine.TrainingRun(cfg, tmp_path / "run", tmp_path / "ckpt", log=log)
    stop_after_first_checkpoint(monkeypatch, run.execute)
    return run


def fake_cuda_generator(monkeypatch, state: torch.Tensor) -> list:
    """torch.cuda's generator functions on a machine without CUDA; returns the states set."""
    restored = []
    monkeypatch.setattr(torch.cuda, "get_rng_state", lambda device: state.clone())
    monkeypatch.setattr(torch.cuda, "set_rng_state",
                        lambda new, device: restored.append((new, device)))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device: "Fake GPU")
    return restored


def test_cuda_random_state_is_saved_in_and_restored_from_the_checkpoint(tmp_path, monkeypatch):
    logs = []
    run = run_one_epoch(monkeypatch, tiny_config(tmp_path, method="lstm", pretrain_epochs=0),
                        tmp_path, logs.append)
    assert load_checkpoint(run.ckpt_path)["cuda_rng"] is None  # a CPU run draws nothing there
    cuda_state = torch.arange(16, dtype=torch.uint8)
    restored = fake_cuda_generator(monkeypatch, cuda_state)
    run.device = torch.device("cuda")  # the same run, as on a GPU
    run.checkpoint(engine.RunState(epoch=1), time.time())
    assert torch.equal(load_checkpoint(run.ckpt_path)["cuda_rng"], cuda_state)
    state = run.restore()
    assert len(restored) == 1 and torch.equal(restored[0][0], cuda_state)
    assert restored[0][1] == torch.device("cuda")
    assert state.resumes[-1]["device"] == "cuda" and state.resumes[-1]["device_name"] == "Fake GPU"
    assert not [line for line in logs if "warning" in line]


def test_checkpoint_without_cuda_state_resumes_on_cpu_and_warns_on_cuda(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path, method="lstm", pretrain_epochs=0)
    engine.train_run(cfg, tmp_path / "straight", tmp_path / "ckpt_straight")
    logs = []
    run = run_one_epoch(monkeypatch, cfg, tmp_path, logs.append)
    payload = load_checkpoint(run.ckpt_path)
    payload.pop("format")
    payload.pop("cuda_rng", None)  # as written before CUDA states were saved
    save_checkpoint(run.ckpt_path, payload)

    restored = fake_cuda_generator(monkeypatch, torch.zeros(16, dtype=torch.uint8))
    run.device = torch.device("cuda")
    run.restore()
    assert restored == []
    assert [line for line in logs if "no CUDA random state" in line and "dropout masks" in line]

    monkeypatch.undo()
    engine.train_run(cfg, tmp_path / "run", tmp_path / "ckpt")
    assert outputs(tmp_path / "run") == outputs(tmp_path / "straight")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_resume_on_cuda_equals_uninterrupted(tmp_path, monkeypatch):
    # deterministic cuBLAS; read when this process first uses cuBLAS
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    cfg = tiny_config(tmp_path, deterministic=True)
    cfg["runtime"]["device"] = "cuda"
    engine.train_run(cfg, tmp_path / "straight", tmp_path / "ckpt_straight")
    interrupt_after_first_epoch(monkeypatch, cfg, tmp_path / "resumed", tmp_path / "ckpt_resumed")
    engine.train_run(cfg, tmp_path / "resumed", tmp_path / "ckpt_resumed")

    assert outputs(tmp_path / "resumed") == outputs(tmp_path / "straight")
    (resume,) = json.loads((tmp_path / "resumed" / "asrun.json").read_text())["resumes"]
    assert resume["device"] == "cuda"
    a = load_checkpoint(tmp_path / "ckpt_straight" / "final.pt")["model"]
    b = load_checkpoint(tmp_path / "ckpt_resumed" / "final.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
