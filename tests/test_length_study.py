"""diagnostics/length_study.py: the real-image length study's runs and its summary (the
precondition's test per length, Holm over the lengths, the shortest length where it holds)."""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("length_study",
                                              REPO / "diagnostics" / "length_study.py")
study = importlib.util.module_from_spec(spec)
spec.loader.exec_module(study)


def test_a_run_keeps_the_papers_proportions_of_the_length():
    cfg = study.run_config(20, "rlstm_trunc", 3, 6)
    assert cfg["dataset"] == {"name": "mnist", "side": 20} and cfg["run"]["seed"] == 3
    assert (cfg["train"]["bptt"], cfg["train"]["aux_len"]) == (153, 306)  # 300/784, 600/784
    assert study.run_config(28, "lstm_full", 0, 6)["train"]["bptt"] == "full"
    assert study.run_config(28, "lstm_trunc", 0, 6)["train"]["bptt"] == 300
    trunc = study.run_config(14, "lstm_trunc", 0, 12)["train"]
    assert (trunc["pretrain_epochs"], trunc["epochs"]) == (0, 12)


def test_the_summary_marks_the_shortest_length_where_truncation_costs(tmp_path):
    accuracy = {14: {"lstm_full": [0.60, 0.61, 0.62], "lstm_trunc": [0.60, 0.62, 0.61]},
                20: {"lstm_full": [0.60, 0.61, 0.62], "lstm_trunc": [0.40, 0.41, 0.42]}}
    for side, cells in accuracy.items():
        for cell, values in {**cells, "rlstm_trunc": [0.5, 0.5, 0.52]}.items():
            for seed, value in enumerate(values):
                folder = tmp_path / f"s{side}" / cell / f"seed{seed}"
                folder.mkdir(parents=True)
                (folder / "metrics.json").write_text(json.dumps(
                    {"status": "completed", "test_accuracy": value}))
    failed = tmp_path / "s20" / "lstm_full" / "seed9"  # a failed run does not count
    failed.mkdir()
    (failed / "metrics.json").write_text(json.dumps({"status": "failed", "test_accuracy": None}))
    study.summarize_study(argparse.Namespace(out=tmp_path))
    rows = list(csv.DictReader((tmp_path / "table.csv").read_text().splitlines()))
    assert [(r["side"], r["holds"]) for r in rows] == [("14", "False"), ("20", "True")]
    assert float(rows[1]["cost_pp"]) == pytest.approx(20.0) and rows[1]["lstm_full_n"] == "3"
    assert float(rows[1]["p_holm"]) < 0.05 < float(rows[0]["p_holm"])
    assert (tmp_path / "figure.png").stat().st_size > 0
    assert "| 20 (400) |" in (tmp_path / "table.md").read_text()


def test_a_study_of_fewer_cells_summarizes_the_cells_it_ran(tmp_path):
    """`run --cells lstm_full lstm_trunc` (a longer schedule, say): the table has their columns
    only, and the precondition's test is still made."""
    for cell, values in {"lstm_full": [0.72, 0.79, 0.77], "lstm_trunc": [0.66, 0.68, 0.64]}.items():
        for seed, value in enumerate(values):
            folder = tmp_path / "s14" / cell / f"seed{seed}"
            folder.mkdir(parents=True)
            (folder / "metrics.json").write_text(json.dumps(
                {"status": "completed", "test_accuracy": value}))
    study.summarize_study(argparse.Namespace(out=tmp_path))
    table = (tmp_path / "table.md").read_text()
    assert "LSTM Truncate 0.38T" in table and "r-LSTM" not in table
    row = next(csv.DictReader((tmp_path / "table.csv").read_text().splitlines()))
    assert "rlstm_trunc_n" not in row and float(row["cost_pp"]) == pytest.approx(10.0)
