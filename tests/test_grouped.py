"""Seeds trained as one grouped model (issue [14]) end where each seed trained alone ends: CPU,
float64, dropout on, anchors drawn, every parameter to 1e-10; clipping, a non-finite member,
resume and a rerun of one seed stay each member's own business."""

from __future__ import annotations

import json

import pytest
import torch

from auxbench.config import resolve
from auxbench.errors import TrainingError
from auxbench.train import engine
from auxbench.train.checkpoint import load_checkpoint

SEEDS = (0, 1, 2)


def tiny_config(tmp_path, method="rlstm", seed=0, **train):
    return resolve({
        "run": {"seed": seed},
        "method": method,
        "dataset": {"name": "embedded_mnist", "side": 14, "tail": 0, "n_train": 96, "n_test": 40},
        "model": {"embed_dim": 8, "hidden": 8, "head_hidden": 16, "aux_hidden": 16,
                  "aux_head_hidden": 16, "head_dropout": 0.3, "aux_dropout": 0.3},
        "train": {"epochs": 2, "pretrain_epochs": 1, "batch_size": 16, "eval_batch_size": 16,
                  "bptt": 16, "aux_bptt": 16, "aux_len": 20, "lr_schedule": "cosine",
                  "optimizer": "adam", "lr": 0.01, **train},
        "runtime": {"data_root": str(tmp_path / "data"), "threads": 1, "progress": "none"},
    })


@pytest.fixture
def float64(monkeypatch):
    """Models built in float64, so that the grouped kernels' other summation order shows as
    1e-16 noise, not float32's 1e-7."""
    build = engine.build_model
    monkeypatch.setattr(engine, "build_model", lambda *a, **k: build(*a, **k).double())


def runs(tmp_path, folder, method, seeds=SEEDS, **train):
    return [engine.TrainingRun(tiny_config(tmp_path, method, seed, **train),
                               tmp_path / folder / f"seed{seed}", tmp_path / folder / f"ckpt{seed}")
            for seed in seeds]


def final_model(tmp_path, folder, seed, name="final.pt"):
    return load_checkpoint(tmp_path / folder / f"ckpt{seed}" / name)["model"]


def assert_same_models(a: dict, b: dict, tol: float = 1e-10) -> None:
    assert a.keys() == b.keys()
    for key, value in a.items():
        assert value.shape == b[key].shape, key
        assert torch.allclose(value, b[key], rtol=0, atol=tol), \
            (key, (value - b[key]).abs().max().item())


def comparable(run_dir) -> tuple[dict, list]:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    for volatile in ("wall_time_s", "peak_memory_mb", "data_loading_fraction", "test_loss"):
        metrics.pop(volatile)
    return metrics


@pytest.mark.parametrize("method", ["rlstm", "plstm", "rplstm", "lmlstm", "lstm", "rgru", "gru",
                                    "rlru", "lru"])
def test_a_group_equals_its_members_trained_alone(tmp_path, float64, method):
    alone = [run.execute() for run in runs(tmp_path, "alone", method)]
    grouped = engine.train_group(runs(tmp_path, "group", method))
    for seed, a, g in zip(SEEDS, alone, grouped):
        assert_same_models(final_model(tmp_path, "alone", seed), final_model(tmp_path, "group", seed))
        assert g["test_accuracy"] == a["test_accuracy"]
        assert comparable(tmp_path / "group" / f"seed{seed}") == \
            comparable(tmp_path / "alone" / f"seed{seed}")
    record = json.loads((tmp_path / "group" / "seed1" / "asrun.json").read_text())
    assert record["group"] == list(SEEDS)


def alter_member_loss(monkeypatch, alter) -> None:
    """Let `alter(call, loss)` change the grouped step's per-member losses [G] (call counts
    steps from 1)."""
    from auxbench.train import group

    real, calls = group.recurrent_step, {"n": 0}

    def altered(*args, **kwargs):
        out = real(*args, **kwargs)
        calls["n"] += 1
        out.loss = alter(calls["n"], out.loss)
        return out

    monkeypatch.setattr(group, "recurrent_step", altered)


def test_a_member_with_a_huge_gradient_leaves_the_others_updates_alone(tmp_path, float64,
                                                                        monkeypatch):
    for run in runs(tmp_path, "alone", "rlstm", (0, 2)):
        run.execute()
    # member 1's gradient 1e6 times its own: a norm over the stacked parameters would clip the
    # others by about 1e6 too
    alter_member_loss(monkeypatch, lambda call, loss: loss * loss.new_tensor([1.0, 1e6, 1.0]))
    engine.train_group(runs(tmp_path, "group", "rlstm"))
    for seed in (0, 2):
        assert_same_models(final_model(tmp_path, "alone", seed), final_model(tmp_path, "group", seed))


@pytest.mark.parametrize("record_failure", [True, False])
def test_a_member_gone_non_finite_is_recorded_failed_and_the_others_finish(
        tmp_path, float64, monkeypatch, record_failure):
    for run in runs(tmp_path, "alone", "plstm", (0, 2)):
        run.execute()
    nan = float("nan")  # member 1's loss at the 2nd batch of epoch 2 (6 batches an epoch)
    alter_member_loss(monkeypatch, lambda call, loss: loss * loss.new_tensor(
        [1.0, nan if call == 8 else 1.0, 1.0]))
    if record_failure:
        metrics = engine.train_group(runs(tmp_path, "group", "plstm"), record_failure=True)
    else:
        with pytest.raises(TrainingError, match="non-finite loss at epoch 2, batch 2"):
            engine.train_group(runs(tmp_path, "group", "plstm"))
        metrics = [json.loads((tmp_path / "group" / f"seed{s}" / "metrics.json").read_text())
                   for s in SEEDS]
    assert [m["status"] for m in metrics] == ["completed", "failed", "completed"]
    assert "non-finite loss at epoch 2, batch 2" in metrics[1]["error"]
    assert metrics[1]["epochs_completed"] == 1 and metrics[1]["test_accuracy"] is None
    kept = load_checkpoint(tmp_path / "group" / "ckpt1" / "last.pt")  # the last good one
    assert (kept["epoch"], kept["step"]) == (1, 0)
    assert all(torch.isfinite(v).all() for v in kept["model"].values())
    for seed in (0, 2):
        assert_same_models(final_model(tmp_path, "alone", seed), final_model(tmp_path, "group", seed))


def sigterm_after_group_steps(monkeypatch, steps: int) -> None:
    """SIGTERM once the group has taken `steps` steps (counted over epochs)."""
    from contextlib import contextmanager

    from auxbench.train import group

    real, taken = group.GroupStep.step, {"n": 0}

    def counting(self, *args, **kwargs):
        taken["n"] += 1
        return real(self, *args, **kwargs)

    class Flag(dict):
        def __getitem__(self, key):
            return taken["n"] >= steps

    @contextmanager
    def fake_sigterm():
        yield Flag()

    monkeypatch.setattr(group.GroupStep, "step", counting)
    monkeypatch.setattr(engine, "stop_on_sigterm", fake_sigterm)


def test_a_group_killed_mid_epoch_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch):
    engine.train_group(runs(tmp_path, "straight", "rlstm"))
    sigterm_after_group_steps(monkeypatch, 6 + 2)  # the second batch of the second epoch
    with pytest.raises(engine.Preempted):
        engine.train_group(runs(tmp_path, "resumed", "rlstm"))
    for seed in SEEDS:
        payload = load_checkpoint(tmp_path / "resumed" / f"ckpt{seed}" / "last.pt")
        assert (payload["epoch"], payload["step"]) == (1, 2)
    monkeypatch.undo()
    engine.train_group(runs(tmp_path, "resumed", "rlstm"))
    for seed in SEEDS:  # the same kernels in the same order: bitwise
        a, b = final_model(tmp_path, "straight", seed), final_model(tmp_path, "resumed", seed)
        assert all(torch.equal(a[k], b[k]) for k in a)
        assert comparable(tmp_path / "resumed" / f"seed{seed}")["resumed"] == 1


def test_a_group_killed_between_two_members_checkpoints_resumes_each_from_its_own(
        tmp_path, float64, monkeypatch):
    engine.train_group(runs(tmp_path, "straight", "rlstm"))
    real_save = engine.save_checkpoint

    class Interrupt(Exception):
        pass

    def die_before_member_1s_second(path, payload):
        if payload["seed"] == 1 and payload["epoch"] == 2:
            raise Interrupt
        real_save(path, payload)

    monkeypatch.setattr(engine, "save_checkpoint", die_before_member_1s_second)
    with pytest.raises(Interrupt):
        engine.train_group(runs(tmp_path, "resumed", "rlstm"))
    monkeypatch.setattr(engine, "save_checkpoint", real_save)
    engine.train_group(runs(tmp_path, "resumed", "rlstm"))  # member 0 from epoch 2, 1-2 from 1
    for seed in SEEDS:
        assert_same_models(final_model(tmp_path, "straight", seed),
                           final_model(tmp_path, "resumed", seed))


def train_cli(tmp_path, *extra) -> int:
    from auxbench import cli

    cfg = tiny_config(tmp_path, "rlstm", epochs=1)
    return cli.main(["train", "--config-json", json.dumps(cfg), "--seeds", "0,1,2",
                     "--run-dir", str(tmp_path / "runs" / "seed{seed}"),
                     "--checkpoint-dir", str(tmp_path / "ckpt" / "seed{seed}"), *extra])


def snapshot(folder):
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()
            if p.is_file()}


def test_a_rerun_of_one_seed_retrains_it_alone_and_leaves_the_others_files(tmp_path):
    assert train_cli(tmp_path) == 0
    runs_dir = tmp_path / "runs"
    before = {s: snapshot(runs_dir / f"seed{s}") for s in SEEDS}
    first = load_checkpoint(tmp_path / "ckpt" / "seed1" / "final.pt")["model"]
    import shutil

    shutil.rmtree(runs_dir / "seed1")
    assert train_cli(tmp_path) == 0
    for seed in (0, 2):
        assert snapshot(runs_dir / f"seed{seed}") == before[seed]  # not even rewritten
    assert json.loads((runs_dir / "seed1" / "asrun.json").read_text())["group"] == [1]
    assert_same_models(first, load_checkpoint(tmp_path / "ckpt" / "seed1" / "final.pt")["model"],
                       tol=1e-5)  # float32: the grouped kernels round differently

    # a rerun by Snakemake deletes every member's outputs first: the finished ones come back
    for seed in SEEDS:
        for name in ("metrics.json", "curve.csv", "asrun.json"):
            (runs_dir / f"seed{seed}" / name).unlink()
    shutil.rmtree(runs_dir / "seed2")
    assert train_cli(tmp_path) == 0
    assert {k: v[0] for k, v in snapshot(runs_dir / "seed0").items()} == \
        {k: v[0] for k, v in before[0].items()}
    assert json.loads((runs_dir / "seed2" / "asrun.json").read_text())["group"] == [2]


def test_several_seeds_need_a_seed_in_each_folder(tmp_path, capsys):
    from auxbench import cli

    cfg = tiny_config(tmp_path, "rlstm")
    assert cli.main(["train", "--config-json", json.dumps(cfg), "--seeds", "0,1",
                     "--run-dir", str(tmp_path / "runs")]) == 2
    assert "must contain {seed}" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("method", ["rlstm", "plstm", "lstm"])
def test_on_cuda_a_grouped_step_equals_the_members_steps(tmp_path, method):
    """IEEE fp32, dropout off (CUDA's fused dropout draws differently): every parameter's
    (clipped) gradient within 1e-5 relative after one step. (The parameters themselves are not a
    fair test after one Adam step: its first update is lr * g / (|g| + eps), which turns a
    rounding difference in a gradient near eps into a visible one.)"""
    from types import SimpleNamespace

    from auxbench.models import build_model
    from auxbench.runtime import set_precision
    from auxbench.train.group import GroupStep
    from auxbench.train.tally import StepTally

    device = torch.device("cuda")
    cfg = tiny_config(tmp_path, method)
    cfg["model"].update(head_dropout=0.0, aux_dropout=0.0)
    set_precision(cfg["train"])
    members, batches = [], []
    for seed in SEEDS:
        torch.manual_seed(seed)
        model = build_model(cfg, 1, 256, 10, None).to(device)
        optimizer, scheduler = engine.build_optimizer(cfg, model, 0)
        members.append(SimpleNamespace(model=model, optimizer=optimizer, scheduler=scheduler,
                                       anchor_gen=torch.Generator().manual_seed(seed)))
        gen = torch.Generator().manual_seed(100 + seed)
        batches.append((torch.randint(0, 256, (8, 40, 1), generator=gen),
                        torch.randint(0, 10, (8,), generator=gen)))
    grouped = GroupStep(members, [torch.Generator(device) for _ in SEEDS],
                        lambda m: engine.build_optimizer(cfg, m, 0))
    x = torch.cat([b[0] for b in batches]).to(device)
    y = torch.cat([b[1] for b in batches]).to(device)
    first = torch.zeros(len(x), dtype=torch.long)
    grouped.step(x, y, cfg["train"], "train", [StepTally(device) for _ in SEEDS], 0, first)
    for g, m in enumerate(members):
        engine.train_step(m.model, m.optimizer, batches[g][0].to(device),
                          batches[g][1].to(device), cfg["train"], "train",
                          torch.Generator().manual_seed(SEEDS[g]), StepTally(device), 0,
                          first[:8])
        mine = dict(grouped.model.named_parameters())
        for key, value in m.model.named_parameters():
            torch.testing.assert_close(mine[key].grad[g], value.grad, rtol=1e-5, atol=1e-8)
