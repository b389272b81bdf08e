"""Evaluation every `train.eval_every` epochs and after the last: the same final metrics and
parameters as evaluating every epoch (the evaluation draws no random number the training uses),
empty evaluation cells that every curve reader copes with, exact resume, every epoch where an
analysis draws the curve, and an estimate that counts the evaluations made."""

from __future__ import annotations

import copy
import csv
import json

import pytest
import torch

from auxbench import data
from auxbench import plan as planmod
from auxbench.analysis.curves import curve_bands
from auxbench.analysis.options import AnalysisConfig
from auxbench.analysis.runs import load_curves
from auxbench.experiments import EXPERIMENTS
from auxbench.paths import RunKey
from auxbench.resource_benchmark import estimate as est
from auxbench.resource_benchmark.flops import step_flops
from auxbench.train import engine
from auxbench.train.checkpoint import load_checkpoint
from auxbench.train.eval_schedule import evaluated_epochs, evaluates
from tests.test_estimate import rates
from tests.test_plan import load
from tests.test_resume import outputs, sigterm_after_batches, tiny_config

EVALUATED = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")


def test_every_kth_epoch_and_the_last_are_evaluated():
    assert [e for e in range(1, 15) if evaluates(e, 14, 5)] == [5, 10, 14]
    assert evaluated_epochs(14, 5) == 3
    assert evaluated_epochs(14, 1) == 14
    assert evaluated_epochs(14, 7) == 2  # the last is a multiple: counted once
    assert evaluated_epochs(12, 100) == 1


def rows(run_dir) -> list[dict]:
    with open(run_dir / "curve.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def final(run_dir, ckpt):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    model = load_checkpoint(ckpt / "final.pt")["model"]
    return metrics, model


@pytest.mark.parametrize("method", ["rlstm", "lstm"])
def test_skipping_evaluations_leaves_the_final_metrics_and_parameters_unchanged(tmp_path, method):
    every = tiny_config(tmp_path, method=method, epochs=3)
    sparse = tiny_config(tmp_path, method=method, epochs=3, eval_every=2)
    engine.train_run(every, tmp_path / "every", tmp_path / "ckpt_every")
    engine.train_run(sparse, tmp_path / "sparse", tmp_path / "ckpt_sparse")
    (m1, p1), (m2, p2) = (final(tmp_path / "every", tmp_path / "ckpt_every"),
                          final(tmp_path / "sparse", tmp_path / "ckpt_sparse"))
    for key in ("test_accuracy", "test_loss", "train_accuracy", "config_hash"):
        assert m1[key] == m2[key], key
    assert all(torch.equal(p1[k], p2[k]) for k in p1)
    a, b = rows(tmp_path / "every"), rows(tmp_path / "sparse")
    total = len(a)
    assert total == (4 if method == "rlstm" else 3)
    for i, (ra, rb) in enumerate(zip(a, b, strict=True)):
        assert ra["running_accuracy"] == rb["running_accuracy"]  # trained alike every epoch
        assert all(ra[c] for c in EVALUATED)
        if evaluates(i + 1, total, 2):
            assert all(ra[c] == rb[c] for c in EVALUATED)
        else:
            assert not any(rb[c] for c in EVALUATED)  # empty cells, the row kept


def test_resume_mid_epoch_with_sparse_evaluation_equals_uninterrupted(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path, method="rlstm", epochs=3, eval_every=2)
    engine.train_run(cfg, tmp_path / "straight", tmp_path / "ckpt_straight")
    sigterm_after_batches(monkeypatch, 3 + 3 + 1)  # into epoch 3, after an unevaluated epoch
    with pytest.raises(engine.Preempted):
        engine.train_run(cfg, tmp_path / "resumed", tmp_path / "ckpt")
    monkeypatch.undo()
    engine.train_run(cfg, tmp_path / "resumed", tmp_path / "ckpt")
    assert outputs(tmp_path / "resumed") == outputs(tmp_path / "straight")


def test_curve_readers_cope_with_unevaluated_epochs(tmp_path):
    cfg = tiny_config(tmp_path, method="rlstm", epochs=3, eval_every=2)
    cfg["run"].update(experiment="fig5", dataset="d", setting="t16")
    key = RunKey("fig5", "d", "rlstm", "t16", 0)
    engine.train_run(cfg, key.folder(tmp_path / "runs"), tmp_path / "ckpt")
    curves = load_curves(tmp_path / "runs", [key])
    assert curves["test_accuracy"].isna().tolist() == [True, False, True, False]
    assert curves["running_loss_aux"].notna().all()
    bands = curve_bands(curves, "fig5", AnalysisConfig())
    test = bands[bands["metric"] == "test_accuracy"]
    assert test["x"].tolist() == [1, 3]  # the evaluated epochs 2 and 4, aligned on training


def test_runs_whose_curve_is_drawn_evaluate_every_epoch_and_stay_shared():
    cfg = load("paper")
    plan = planmod.Plan(cfg)
    drawn = {plan.trained_from[r] for r in plan.runs if EXPERIMENTS[r.experiment].curves}
    assert drawn and all(r.experiment == "table2" for r in drawn)  # Figure 5's are Table 2's
    for run in plan.runs:
        every = plan.run_config(run)["train"]["eval_every"]
        assert every == (1 if plan.trained_from[run] in drawn else 10), run.rel
    unchanged = copy.deepcopy(cfg)
    del unchanged["base"]["train"]["eval_every"]
    assert planmod.Plan(unchanged).trained_from == plan.trained_from


def test_the_estimate_counts_the_evaluations_made(tmp_path):
    cfg = tiny_config(tmp_path, method="lstm", epochs=10, pretrain_epochs=0)
    sparse = copy.deepcopy(cfg)
    sparse["train"]["eval_every"] = 4  # epochs 4, 8 and 10
    a, b = est.run_cost(cfg, rates(1.0)), est.run_cost(sparse, rates(1.0))
    length, channels = data.sequence_shape(cfg["dataset"])
    training = a["steps"] * step_flops(cfg, cfg["train"]["batch_size"], length, channels) / 1e9
    assert a["steps"] == b["steps"]
    assert b["gflop"] - training == pytest.approx((a["gflop"] - training) * 3 / 10)
