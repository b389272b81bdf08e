"""On a GPU (skipped without one): one training step of each method, no host sync inside it,
CPU and CUDA losses equal at IEEE fp32, and a SIGTERM on CUDA resumed equal to a run left alone."""

from __future__ import annotations

import json

import pytest
import torch

from auxbench.config import resolve
from auxbench.models import build_model
from auxbench.runtime import set_precision
from auxbench.train import engine
from auxbench.train.objective import recurrent_step, transformer_step
from auxbench.train.tally import StepTally
from tests.test_resume import sigterm_after_batches, tiny_config

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
CUDA = torch.device("cuda")
METHODS = ("lstm", "rlstm", "plstm", "rplstm", "transformer")


def small(method: str, **train) -> dict:
    """No dropout, so CPU and CUDA draw nothing that differs."""
    return resolve({"method": method,
                    "model": {"hidden": 32, "embed_dim": 16, "head_hidden": 16,
                              "aux_hidden": 32, "aux_head_hidden": 16, "head_dropout": 0.0,
                              "aux_dropout": 0.0,
                              "transformer": {"d_model": 16, "ff": 32, "heads": 2, "layers": 1,
                                              "dropout": 0.0, "attn_dropout": 0.0}},
                    "train": {"bptt": "full" if method == "transformer" else 30,
                              "aux_bptt": 30, "aux_len": 60, **train}})


def batch(device, n=8, length=100):
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n, length, 1), dtype=torch.uint8, generator=gen)
    return x.to(device), torch.randint(0, 10, (n,), generator=gen).to(device)


@pytest.mark.parametrize("method", METHODS)
def test_one_step_on_cuda_never_waits_for_the_device(method):
    cfg = small(method)
    torch.manual_seed(0)
    model = build_model(cfg, 1, 256, 10, None).to(CUDA)
    optimizer, _ = engine.build_optimizer(cfg, model, 0)
    x, y = batch(CUDA)
    tally = StepTally(CUDA)
    first = torch.zeros(len(y), dtype=torch.long)
    engine.train_step(model, optimizer, x, y, cfg["train"], "train", torch.Generator(), tally,
                      0, first)  # warm-up: cuDNN plans, allocator
    torch.cuda.set_sync_debug_mode("error")
    try:
        engine.train_step(model, optimizer, x, y, cfg["train"], "train", torch.Generator(),
                          tally, 1, first)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert tally.read("step {}", "-")["n"] == 2 * len(y)


@pytest.mark.parametrize("method", METHODS)
def test_cpu_and_cuda_give_the_same_loss_at_ieee_fp32(method):
    cfg = small(method)
    losses = {}
    for device in (torch.device("cpu"), CUDA):
        torch.manual_seed(0)
        set_precision(cfg["train"])
        model = build_model(cfg, 1, 256, 10, None).to(device)
        x, y = batch(device)
        if method == "transformer":
            out = transformer_step(model, x, y)
        else:
            out = recurrent_step(model, x, y, cfg["train"], "train",
                                 torch.Generator().manual_seed(3))
        losses[device.type] = float(out.loss.detach())
    assert losses["cuda"] == pytest.approx(losses["cpu"], rel=1e-5, abs=1e-6)


def test_sigterm_on_cuda_resumes_equal_to_a_run_left_alone(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path, method="rlstm", deterministic=True)
    cfg["runtime"]["device"] = "cuda"
    cfg["model"]["head_dropout"] = cfg["model"]["aux_dropout"] = 0.0
    engine.train_run(cfg, tmp_path / "straight", tmp_path / "ckpt_straight")

    sigterm_after_batches(monkeypatch, 5)  # the second batch of the second epoch
    with pytest.raises(engine.Preempted):
        engine.train_run(cfg, tmp_path / "resumed", tmp_path / "ckpt")
    monkeypatch.undo()
    engine.train_run(cfg, tmp_path / "resumed", tmp_path / "ckpt")
    curves = [json.loads((tmp_path / d / "metrics.json").read_text())
              for d in ("straight", "resumed")]
    assert curves[1]["resumed"] == 1
    assert curves[1]["test_loss"] == pytest.approx(curves[0]["test_loss"], rel=1e-4)
