"""Precision as a setting: IEEE fp32 by default on every device, TF32 and bf16 autocast opt-in,
recorded with each run and shown in the report."""

from __future__ import annotations

import json

import pytest
import torch

from auxbench.config import resolve
from auxbench.errors import ConfigError
from auxbench.report.builder import precision_text
from auxbench.runtime import autocast, set_precision
from auxbench.train import engine
from tests.test_resume import tiny_config


@pytest.fixture(autouse=True)
def restore_flags():
    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


def test_the_default_is_ieee_fp32_even_where_torch_would_use_tf32():
    torch.backends.cudnn.allow_tf32 = True  # torch's own default for cuDNN
    train = resolve({"method": "lstm"})["train"]
    assert (train["tf32"], train["autocast"]) == (False, "none")
    record = set_precision(train)
    assert record == {"tf32_matmul": False, "tf32_cudnn": False, "autocast": "none"}
    assert not torch.backends.cudnn.allow_tf32 and not torch.backends.cuda.matmul.allow_tf32
    assert precision_text(record) == "IEEE fp32"


def test_tf32_and_bf16_are_opt_in_and_named():
    record = set_precision({"tf32": True, "autocast": "bf16"})
    assert torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32
    assert precision_text(record) == "TF32 (matmul, cudnn), bf16 autocast"
    assert precision_text(None) == "not recorded"
    with pytest.raises(ConfigError, match="autocast"):
        resolve({"method": "lstm"}, {"train": {"autocast": "fp16"}})


def test_bf16_autocast_computes_the_forward_in_bf16():
    layer = torch.nn.Linear(4, 3)
    x = torch.randn(2, 4)
    with autocast({"autocast": "bf16"}, torch.device("cpu")):
        assert layer(x).dtype == torch.bfloat16
    with autocast({"autocast": "none"}, torch.device("cpu")):
        assert layer(x).dtype == torch.float32


def test_a_run_records_its_precision(tmp_path):
    cfg = tiny_config(tmp_path, method="rlstm", epochs=1, autocast="bf16")
    metrics = engine.train_run(cfg, tmp_path / "run", tmp_path / "ckpt")
    assert metrics["status"] == "completed"
    asrun = json.loads((tmp_path / "run" / "asrun.json").read_text())
    assert asrun["precision"] == {"tf32_matmul": False, "tf32_cudnn": False, "autocast": "bf16"}
