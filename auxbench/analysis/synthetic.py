"""Synthetic run folders in the real formats, for tests and for trying the report.

`write_run` writes one seed folder (metrics.json, curve.csv, asrun.json) exactly as
docs/architecture.md specifies; `write_demo_tree` fills a whole results/runs tree for every
experiment and `write_demo_bench` a resource benchmark JSON. The numbers are made up: never
report them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from auxbench.atomic import write_json, write_text
from auxbench.formats import CURVE_COLUMNS
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
                "running_loss_aux": 3.0 / e if method != "lstm" else "",
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


# Means (fractions) of the made-up demo, shaped like the paper's orderings.
_TABLE2 = {
    "embedded_mnist": {("lstm", "full"): 0.97, ("lstm", "t300"): 0.40, ("rlstm", "full"): 0.975,
                       ("rlstm", "t300"): 0.95, ("plstm", "full"): 0.97, ("plstm", "t300"): 0.94,
                       ("rplstm", "full"): 0.976, ("rplstm", "t300"): 0.955,
                       ("transformer", "full"): 0.98},
    "embedded_pmnist": {("lstm", "full"): 0.88, ("lstm", "t300"): 0.87, ("rlstm", "full"): 0.94,
                        ("rlstm", "t300"): 0.92, ("plstm", "full"): 0.92,
                        ("plstm", "t300"): 0.915, ("rplstm", "full"): 0.945,
                        ("rplstm", "t300"): 0.925, ("transformer", "full"): 0.96},
    "embedded_cifar": {("lstm", "full"): 0.58, ("lstm", "t300"): 0.49, ("rlstm", "full"): 0.71,
                       ("rlstm", "t300"): 0.65, ("plstm", "full"): 0.67, ("plstm", "t300"): 0.64,
                       ("rplstm", "full"): 0.72, ("rplstm", "t300"): 0.66,
                       ("transformer", "full"): 0.62},
}


def write_demo_tree(runs_dir: str | Path, seeds: int = 3, rng_seed: int = 0,
                    sd: float = 0.005) -> Path:
    """A whole runs tree: table2, fig3, table4, fig4, table6, fig5, fig6, with one failed seed
    (fig3, Transformer at the longest length) and otherwise plausible made-up accuracies."""
    rng = np.random.default_rng(rng_seed)
    runs_dir = Path(runs_dir)

    def acc(mu: float) -> float:
        return float(np.clip(mu + rng.normal(0.0, sd), 0.0, 1.0))

    for dataset, cells in _TABLE2.items():
        seq = 1024 if "cifar" in dataset else 784
        for (method, setting), mu in cells.items():
            for s in range(seeds):
                pre = 1 if method in ("rlstm", "plstm", "rplstm") else 0
                write_run(runs_dir, "table2", dataset, method, setting, s, acc(mu), seq_len=seq,
                          pretrain_epochs=pre)
    for side, seq in ((8, 64), (16, 256), (32, 1024)):
        ds = f"embedded_stanford_dogs-s{side}"
        for (method, setting), mu in {("lstm", "full"): 0.30, ("rlstm", "t300"): 0.35,
                                      ("transformer", "full"): 0.33}.items():
            for s in range(seeds):
                if method == "transformer" and side == 32:
                    write_run(runs_dir, "fig3", ds, method, setting, s, None, status="failed",
                              seq_len=seq, n_classes=12)
                    continue
                write_run(runs_dir, "fig3", ds, method, setting, s,
                          acc(mu - 0.02 * np.log2(side / 8)), seq_len=seq, n_classes=12)
    for (method, setting), mu in {("lstm", "full"): 0.80, ("rlstm", "t300"): 0.84}.items():
        for s in range(seeds):
            write_run(runs_dir, "table4", "embedded_dbpedia", method, setting, s, acc(mu),
                      seq_len=400, n_classes=14)
    for k in (300, 100, 20, 0):
        for method, base in (("lstm", 0.49), ("rlstm", 0.65)):
            mu = 0.1 + (base - 0.1) * (k / 300) ** 0.5 if method == "lstm" else \
                0.4 + (base - 0.4) * (k / 300)
            for s in range(seeds):
                write_run(runs_dir, "fig4", "embedded_cifar", method, f"t{k}", s, acc(mu),
                          seq_len=1024)
    for method, mu in (("lstm", 0.58), ("rlstm", 0.71)):
        for s in range(seeds):
            write_run(runs_dir, "fig4", "embedded_cifar", method, "full", s, acc(mu),
                      seq_len=1024)
    for (n, length), mu in {(1, 600): 0.65, (2, 300): 0.655, (3, 200): 0.65,
                            (6, 100): 0.63}.items():
        for s in range(seeds):
            write_run(runs_dir, "table6", "embedded_cifar", "rlstm", f"n{n}l{length}", s,
                      acc(mu), seq_len=1024)
    for method, mu in (("lstm", 0.49), ("rlstm", 0.65)):
        for s in range(seeds):
            write_run(runs_dir, "fig5", "embedded_cifar", method, "t300", s, acc(mu),
                      seq_len=1024, epochs=8, pretrain_epochs=2 if method == "rlstm" else 0)
    for setting, mu in {"full_method": 0.65, "no_pretrain": 0.62, "no_aux_in_training": 0.58,
                        "no_shared_embedding": 0.645}.items():
        for s in range(seeds):
            write_run(runs_dir, "fig6", "embedded_cifar", "rlstm", setting, s, acc(mu),
                      seq_len=1024)
    return runs_dir


def write_demo_bench(path: str | Path) -> Path:
    """A made-up `auxbench bench` JSON: constant memory for r-LSTM t300, linear for LSTM full,
    quadratic for the Transformer (out of memory at the longest length)."""
    records = []
    for n in (1024, 4096, 16384):
        records.append({"method": "lstm", "setting": "full", "seq_len": n, "batch_size": 32,
                        "device": "cpu", "step_time_s": 1e-4 * n, "samples_per_s": 32 / (1e-4 * n),
                        "peak_memory_mb": 0.05 * n, "gflop": 0.01 * n, "gflops_per_s": 1.0,
                        "status": "ok"})
        records.append({"method": "rlstm", "setting": "t300", "seq_len": n, "batch_size": 32,
                        "device": "cpu", "step_time_s": 6e-5 * n, "samples_per_s": 32 / (6e-5 * n),
                        "peak_memory_mb": 40.0, "gflop": 0.006 * n, "gflops_per_s": 1.0,
                        "status": "ok"})
        ok = n < 16384
        rec = {"method": "transformer", "setting": "full", "seq_len": n, "batch_size": 32,
               "device": "cpu", "step_time_s": 1e-8 * n * n if ok else None,
               "samples_per_s": 32 / (1e-8 * n * n) if ok else None,
               "peak_memory_mb": 1e-5 * n * n if ok else None, "gflop": None,
               "gflops_per_s": None, "status": "ok" if ok else "oom"}
        if not ok:
            rec["error"] = "out of memory"
        records.append(rec)
    write_json(path, records)
    return Path(path)
