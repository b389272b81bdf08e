"""Every method of a config trains its joint phase at the same learning rates: pretraining has a
schedule of its own, and joint training starts again from train.lr."""

from __future__ import annotations

import csv
import math

import pytest
from test_resume import tiny_config

from auxbench.methods import METHODS
from auxbench.train import engine

LR = 1e-3


def cosine(k: int, length: int) -> float:
    return LR * 0.5 * (1 + math.cos(math.pi * k / length))


def halving(k: int, _length: int) -> float:
    return LR * 0.5 ** k


SCHEDULES = {"cosine": ({}, cosine), "step": ({"lr_step_epochs": 1, "lr_gamma": 0.5}, halving)}


def learning_rates(run_dir) -> dict[str, list[float]]:
    with open(run_dir / "curve.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {phase: [float(r["lr"]) for r in rows if r["phase"] == phase]
            for phase in ("pretrain", "train")}


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_joint_phase_learning_rates_are_the_same_for_every_method(tmp_path, schedule):
    keys, expected = SCHEDULES[schedule]
    for method in METHODS:
        cfg = tiny_config(tmp_path, method=method, epochs=4, pretrain_epochs=2, lr=LR,
                          lr_schedule=schedule, bptt="full", **keys)
        engine.train_run(cfg, tmp_path / method, tmp_path / f"ckpt-{method}")
        lrs = learning_rates(tmp_path / method)
        assert lrs["train"] == pytest.approx([expected(k, 4) for k in range(4)], rel=1e-5), method
        pretrain = [expected(k, 2) for k in range(2)] if METHODS[method].auxiliary else []
        assert lrs["pretrain"] == pytest.approx(pretrain, rel=1e-5), method
