"""auxbench plan --estimate: the cost of a config before it runs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from auxbench import plan as planmod
from auxbench.config import resolve
from auxbench.errors import ConfigError
from auxbench.methods import METHODS as TABLE
from auxbench.resource_benchmark import estimate as est
from auxbench.resource_benchmark.flops import step_flops

REPO = Path(__file__).resolve().parents[1]
METHODS = ("lstm", "rlstm", "plstm", "rplstm", "transformer")


def rates(seconds_per_gflop: float, gflop: float = 1.0) -> list[dict]:
    return [{"method": m, "gflop": gflop, "step_time_s": seconds_per_gflop * gflop,
             "device": "test"} for m in METHODS]


def test_a_run_counts_its_steps_and_flops_exactly():
    cfg = resolve({"method": "rlstm",
                   "dataset": {"name": "embedded_mnist", "side": 8, "region": 1.0, "tail": 20,
                               "n_train": 2000,
                               "n_test": 1000},
                   "model": {"hidden": 64, "embed_dim": 32, "aux_hidden": 64},
                   "train": {"epochs": 12, "pretrain_epochs": 2, "batch_size": 32, "bptt": 20,
                             "aux_bptt": 20, "aux_len": 64}})
    cost = est.run_cost(cfg, rates(2.0))
    assert cost["steps"] == 14 * 63  # pretraining counts: 2 + 12 epochs of ceil(2000 / 32)
    step = step_flops(cfg, 32, 84, 1) / 1e9
    lstm = {**cfg, "method": "lstm", "train": {**cfg["train"], "bptt": "full"}}
    evaluation = step_flops(lstm, 1, 84, 1) / 1e9 / 3 * 2 * 1000 * 14
    assert cost["gflop"] == pytest.approx(cost["steps"] * step + evaluation)
    assert cost["seconds"] == pytest.approx(2.0 * cost["gflop"])
    cfg["train"]["train_size"] = 640  # a subset trains fewer steps
    assert est.run_cost(cfg, rates(2.0))["steps"] == 14 * 20


def test_the_rate_of_the_nearest_measured_size_is_used():
    records = [{"method": "lstm", "gflop": 1.0, "step_time_s": 3.0},
               {"method": "lstm", "gflop": 100.0, "step_time_s": 10.0}]
    assert est.rate_for(records, "lstm", 2.0) == pytest.approx(3.0)
    assert est.rate_for(records, "lstm", 50.0) == pytest.approx(0.1)
    with pytest.raises(ConfigError, match="no measurement of rlstm"):
        est.rate_for(records, "rlstm", 1.0)


def test_a_cell_the_table_lacks_takes_the_lstm_rate_of_its_loss_and_is_named(capsys, monkeypatch,
                                                                            tmp_path):
    records = [{"method": "rlstm", "gflop": 1.0, "step_time_s": 3.0, "device": "test"},
               {"method": "lstm", "gflop": 1.0, "step_time_s": 1.0, "device": "test"},
               {"method": "gru", "gflop": 1.0, "step_time_s": 2.0, "device": "test"}]
    assert est.stand_in(records, "rgru") == "rlstm" and est.stand_in(records, "gru") == "gru"
    assert est.rate_for(records, "rlru", 1.0) == pytest.approx(3.0)
    assert est.rate_for(records, "gru", 1.0) == pytest.approx(2.0)
    assert est.stand_in(records, "plstm") == "rlstm"  # a loss never measured: r-LSTM's rate
    assert est.stand_in(records, "transformer") == "transformer"  # no stand-in: rate_for says so
    from auxbench.cli import main

    table = tmp_path / "rates.json"
    table.write_text(json.dumps(rates(1.0)))
    monkeypatch.chdir(REPO)
    assert main(["plan", "--estimate", "--configfile", "config/paper.yaml",  # runs the cells
                 "--rates", str(table)]) == 0
    out = capsys.readouterr().out
    assert "not measured on this device: gru, lmlstm, lru, rgru, rlru; the same loss on" in out


def test_the_estimate_counts_each_trained_run_once():
    plan = planmod.Plan(yaml.safe_load((REPO / "config" / "config.yaml").read_text()))
    df = est.estimate(plan, rates(1.0))
    assert df["runs"].sum() == len(plan.trained_runs) < len(plan.runs)
    total = sum(est.run_cost(plan.run_config(r), rates(1.0))["seconds"]
                for r in plan.trained_runs)
    assert df["seconds"].sum() == pytest.approx(total)
    assert set(df["experiment"]) == {r.experiment for r in plan.trained_runs}


@pytest.mark.parametrize("name", list(est.SHIPPED_RATES))
def test_each_shipped_rate_table_covers_every_method_and_the_paper_config_has_a_total(name):
    """The H200's was measured before the GRU, the LRU and lm-LSTM's loss existed: their LSTM
    rows, or r-LSTM's, stand in."""
    records, source = est.load_rates(name)
    measured = {r["method"] for r in records}
    paper = {"lstm", "rlstm", "plstm", "rplstm", "transformer"}
    assert paper <= measured
    assert measured == set(TABLE) or name == "h200"
    assert {est.stand_in(records, m) for m in TABLE} <= measured
    assert est.SHIPPED_RATES[name][0] in source
    plan = planmod.Plan(yaml.safe_load((REPO / "config" / "paper.yaml").read_text()))
    df = est.estimate(plan, records)
    assert math.isfinite(df["seconds"].sum()) and df["seconds"].sum() > 0


def test_the_h200_table_was_measured_on_cuda_with_no_host_sync():
    """diagnostics/gpu_check.py's rate table, IEEE fp32."""
    records = est.shipped_rates("h200")
    assert {r["device"] for r in records} == {"cuda"}
    assert all(r["host_syncs"] == 0 and r["precision"] == "ieee" for r in records)


def test_a_missing_rate_table_says_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError, match="auxbench counts --out"):
        est.load_rates(tmp_path / "nope.json")


def test_plan_estimate_prints_the_total_of_the_paper_config(capsys, monkeypatch):
    from auxbench.cli import main

    monkeypatch.chdir(REPO)
    assert main(["plan", "--estimate", "--configfile", "config/paper.yaml"]) == 0
    out = capsys.readouterr().out
    total = [line for line in out.splitlines() if line.strip().startswith("total")]
    assert len(total) == 1 and "EFLOP" in total[0]
    assert "shipped table" in out


def test_a_grouped_job_is_priced_at_its_groups_measured_rate_or_as_separate_runs(capsys):
    cfg = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    cfg["compute"]["group_seeds"] = True
    plan = planmod.Plan(cfg)
    separate = est.estimate(plan, rates(1.0))["seconds"].sum()
    grouped = rates(1.0) + [{**r, "group": 2, "step_time_s": r["step_time_s"] / 4}
                            for r in rates(1.0) if r["method"] != "transformer"]
    cheaper = est.estimate(plan, grouped)["seconds"].sum()
    members = sum(est.run_cost(plan.run_config(r), rates(1.0))["seconds"]
                  for job in plan.grouped_jobs for r in job)
    assert cheaper == pytest.approx(separate - members * 3 / 4)
    assert est.group_measured(grouped, "rlstm", 2) == 2
    assert est.group_measured(rates(1.0), "rlstm", 2) == 1
