"""The precision check: paired seeds at IEEE fp32 and a candidate precision, equivalence by TOST.
It passes a precision against itself, fails an injected 3 pp bias, refuses TF32 on a CPU, and its
record is what lets a workflow config use a precision other than IEEE fp32."""

from __future__ import annotations

import copy
import json

import pytest
import torch

from auxbench import cli, precision_check
from auxbench import plan as planmod
from auxbench.errors import ConfigError
from auxbench.precision import precision_name, record_name
from tests.test_plan import load

CHECK = ["precision-check", "--configfile", "config/smoke.yaml", "--dataset", "emb_mnist",
         "--method", "rlstm", "--experiment", "table2", "--setting", "t32",
         "--device", "cpu", "--threads", "1"]


def check(tmp_path, *more) -> tuple[int, dict]:
    out = tmp_path / "record.json"
    code = cli.main([*CHECK, "--set", f"data.root={tmp_path / 'data'}",
                     "--work", str(tmp_path / "work"), "--out", str(out), *more])
    return code, json.loads(out.read_text())


def test_a_precision_against_itself_passes_with_zero_differences(tmp_path, capsys):
    code, record = check(tmp_path, "--precision", "fp32")
    assert code == 0 and record["passed"]
    assert record["accuracy_pct"]["reference"] == record["accuracy_pct"]["candidate"]
    assert record["tost"]["decidable_margin"] == 0.0 and record["tost"]["n"] == 5
    assert (record["method"], record["device_type"], record["seeds"]) == (
        "rlstm", "cpu", [0, 1, 2, 3, 4])
    assert record["command"].startswith("auxbench precision-check")
    assert "decidable margin 0.000 pp: PASS" in capsys.readouterr().out


def test_an_injected_3pp_bias_fails(tmp_path, monkeypatch):
    real = precision_check.train_run

    def biased(cfg, run_dir, checkpoint_dir):
        metrics = real(cfg, run_dir, checkpoint_dir)
        if run_dir.parent.name == "candidate":
            metrics["test_accuracy"] -= 0.03
        return metrics

    monkeypatch.setattr(precision_check, "train_run", biased)
    code, record = check(tmp_path, "--precision", "fp32")
    assert code == 1 and not record["passed"]
    assert record["tost"]["mean"] == pytest.approx(-3.0)
    assert record["tost"]["decidable_margin"] == pytest.approx(3.0)


def test_tf32_is_refused_on_a_cpu_and_too_few_seeds_anywhere(tmp_path):
    with pytest.raises(ConfigError, match="TF32 exists only on CUDA"):
        precision_check.check_device("tf32+bf16", torch.device("cpu"))
    precision_check.check_device("bf16", torch.device("cpu"))
    with pytest.raises(ConfigError, match="at least 5 distinct seeds"):
        precision_check.run_check({}, "bf16", [0, 1, 2, 3, 3], {"device": "cpu"}, tmp_path)
    assert cli.main([*CHECK, "--precision", "bf16", "--seeds", "0-4"]) == 2  # one clear message


def bf16_smoke() -> dict:
    cfg = load("smoke")
    cfg["method_overrides"] = {"rlstm": {"train": {"autocast": "bf16"}}}
    return cfg


def test_a_config_uses_another_precision_only_with_a_recorded_pass(tmp_path):
    cfg = bf16_smoke()
    with pytest.raises(ConfigError, match="precision bf16 .* recorded pass .* rlstm on"):
        planmod.Plan(cfg, precision_records=tmp_path)
    plan = planmod.Plan(load("smoke"))  # IEEE fp32 everywhere needs no record
    rlstm = [r for r in plan.trained_runs if r.method == "rlstm"]
    train_cfg = plan.train_config(rlstm[0])
    keys = {plan.datasets[r.dataset].key for r in rlstm}
    assert precision_name(train_cfg["train"]) == "fp32"

    def record(**change):
        rec = {"passed": True, "precision": "bf16", "method": "rlstm", "device_type": "cpu",
               "config": copy.deepcopy(train_cfg), "tost": {"margin": 1.0, "alpha": 0.05}}
        for key in keys:
            (tmp_path / record_name("rlstm", key, "bf16", "cpu")).write_text(
                json.dumps({**rec, "dataset_key": key, **change}))

    record(passed=False)
    with pytest.raises(ConfigError, match="recorded pass"):
        planmod.Plan(cfg, precision_records=tmp_path)
    record(device_type="cuda")  # smoke runs on the CPU
    with pytest.raises(ConfigError, match="recorded pass"):
        planmod.Plan(cfg, precision_records=tmp_path)
    small = copy.deepcopy(train_cfg)
    small["model"]["hidden"] = 4  # a pass at other sizes does not speak for these
    record(config=small)
    with pytest.raises(ConfigError, match="recorded pass"):
        planmod.Plan(cfg, precision_records=tmp_path)
    for lax in ({"margin": 30.0, "alpha": 0.05}, {"margin": 1.0, "alpha": 0.2}):
        record(tost=lax)  # a pass shown at a wider margin or a laxer level admits nothing
        with pytest.raises(ConfigError, match="recorded pass"):
            planmod.Plan(cfg, precision_records=tmp_path)
    record()
    auto = copy.deepcopy(cfg)
    auto["compute"]["device"] = "auto"  # the device type is known only when a job starts
    with pytest.raises(ConfigError, match="recorded pass"):
        planmod.Plan(auto, precision_records=tmp_path)
    (tmp_path / "notes.json").write_text("{}")
    with pytest.raises(ConfigError, match="notes.json: not a precision-check record"):
        planmod.Plan(cfg, precision_records=tmp_path)
    (tmp_path / "notes.json").unlink()
    record()
    admitted = planmod.Plan(cfg, precision_records=tmp_path)
    assert admitted.run_config(rlstm[0])["train"]["autocast"] == "bf16"


def test_the_shipped_configs_compute_in_ieee_fp32_or_with_a_recorded_pass():
    for name in ("config", "lite", "paper", "smoke"):
        plan = planmod.Plan(load(name))  # the plan refuses an unrecorded precision
        assert {precision_name(plan.run_config(r)["train"]) for r in plan.trained_runs} == {
            "fp32"}, name
