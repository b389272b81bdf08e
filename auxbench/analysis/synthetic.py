"""Synthetic run folders in the real formats, for the tests.

`write_run` writes one seed folder (metrics.json, curve.csv, asrun.json) exactly as
docs/architecture.md specifies, and `write_demo_resources` a resource benchmark JSON. The numbers are
made up: never report them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from auxbench.atomic import write_json, write_text
from auxbench.formats import CURVE_COLUMNS
from auxbench.methods import METHODS
from auxbench.paths import RunKey


def write_run(
    runs_dir: str | Path,
    experiment: str,
    dataset: str,
    method: str,
    setting: str,
    seed: int,
    test_accuracy: float | None,
    *,
    status: str = "completed",
    error: str | None = None,
    seq_len: int = 784,
    n_classes: int = 10,
    epochs: int = 4,
    pretrain_epochs: int = 0,
    curve: list[dict] | None = None,
    code_version: str = "1" * 64,
) -> Path:
    """One run folder. `test_accuracy` is a fraction; `curve` rows override the default curve."""
    d = RunKey(experiment, dataset, method, setting, seed).folder(runs_dir)
    metrics = {
        "status": status, "experiment": experiment, "dataset": dataset, "method": method,
        "setting": setting, "seed": seed, "epochs": epochs, "pretrain_epochs": pretrain_epochs,
        "wall_time_s": 12.5, "peak_memory_mb": 100.0, "config_hash": "0" * 64,
        "code_version": code_version, "resumed": 0, "n_parameters": 1000, "seq_len": seq_len,
        "n_classes": n_classes,
    }
    if status == "completed":
        metrics.update(test_accuracy=test_accuracy, test_loss=1.0 - float(test_accuracy),
                       train_accuracy=min(1.0, float(test_accuracy) + 0.02))
    else:
        metrics["error"] = error or "CUDA out of memory"
    write_json(d / "metrics.json", metrics)
    if curve is None:
        curve = []
        acc = float(test_accuracy or 0.1)
        for e in range(1, pretrain_epochs + epochs + 1):
            pre = e <= pretrain_epochs
            frac = (e - pretrain_epochs) / max(epochs, 1)
            curve.append({
                "epoch": e, "phase": "pretrain" if pre else "train",
                "train_loss": 2.0 * (1 - frac) + 0.1 if not pre else "",
                "train_accuracy": min(1.0, acc * frac + 0.02) if not pre else "",
                "test_loss": 2.1 * (1 - frac) + 0.2 if not pre else "",
                "test_accuracy": acc * frac if not pre else "",
                "running_loss_sup": "" if pre else 2.0 * (1 - frac) + 0.15,
                "running_loss_aux": 3.0 / e if METHODS[method].auxiliary else "",
                "running_accuracy": "" if pre else min(1.0, acc * frac),
                "lr": 1e-3, "wall_time_s": 1.0 * e,
            })
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CURVE_COLUMNS, lineterminator="\n")
    w.writeheader()
    for row in curve:
        w.writerow(row)
    write_text(d / "curve.csv", buf.getvalue())
    write_json(d / "asrun.json", {"config": {"run": {"experiment": experiment, "seed": seed}},
                                  "device": "cpu", "synthetic": True})
    return d


def write_demo_resources(path: str | Path) -> Path:
    """A made-up `auxbench resources` JSON: constant memory for r-LSTM t300, linear for LSTM full,
    quadratic for the Transformer (out of memory at the longest length)."""
    records = []
    for n in (1024, 4096, 16384):
        records.append({"method": "lstm", "setting": "full", "seq_len": n, "batch_size": 32,
                        "device": "cpu", "step_time_s": 1e-4 * n, "samples_per_s": 32 / (1e-4 * n),
                        "peak_memory_mb": 0.05 * n, "activation_mb": 0.04 * n, "gflop": 0.01 * n,
                        "gflops_per_s": 1.0, "status": "ok"})
        records.append({"method": "rlstm", "setting": "t300", "seq_len": n, "batch_size": 32,
                        "device": "cpu", "step_time_s": 6e-5 * n, "samples_per_s": 32 / (6e-5 * n),
                        "peak_memory_mb": 40.0, "activation_mb": 30.0, "gflop": 0.006 * n,
                        "gflops_per_s": 1.0, "status": "ok"})
        ok = n < 16384
        rec = {"method": "transformer", "setting": "full", "seq_len": n, "batch_size": 32,
               "device": "cpu", "step_time_s": 1e-8 * n * n if ok else None,
               "samples_per_s": 32 / (1e-8 * n * n) if ok else None,
               "peak_memory_mb": 1e-5 * n * n if ok else None,
               "activation_mb": 8e-6 * n * n if ok else None, "gflop": None,
               "gflops_per_s": None, "status": "ok" if ok else "oom"}
        if not ok:
            rec["error"] = "out of memory"
        records.append(rec)
    write_json(path, records)
    return Path(path)
