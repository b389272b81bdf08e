"""Where truncation starts to cost the plain LSTM on real images: the real-image Figure 3.

    python diagnostics/length_study.py run OUT [--sides 14 20 24] [--seeds 0 1 2] [--jobs 2]
        [--cells lstm_full lstm_trunc] [--epochs 12]
    python diagnostics/length_study.py summarize OUT

`run` trains LSTM Full BP, LSTM Truncate and r-LSTM Truncate on real MNIST area-downsampled to
each side, with the truncation and the auxiliary subsequence in the paper's proportions of the
length (300/784 and 600/784), through `auxbench train`, one thread per run, `--jobs` at a time.
A run with a metrics.json is skipped, so an interrupted study resumes. The sizes and budget are
the lite scale's (docs/calibration.md section 14). `summarize` writes a table (Markdown and CSV)
and a figure (PNG) into OUT: the mean test accuracy with its 95% BCa interval per cell and
length, the precondition's test (LSTM Full BP above LSTM Truncate, one-sided Welch, Holm over the
lengths) with the difference the seeds could detect, and the shortest length where it holds
marked. `--epochs` (default the lite's 6) asks whether a longer schedule changes the answer:
give each budget its own OUT.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from auxbench.analysis.stats import compare, detectable_difference, holm, summarize

# The lite scale's sizes and budget, read from its config (one place): 8,000 images, 1 + 6
# epochs; the truncation and the subsequence are set per length below.
LITE = yaml.safe_load((Path(__file__).resolve().parents[1] / "config" / "lite.yaml").read_text())
BASE = {"model": LITE["base"]["model"], "train": {**LITE["base"]["train"], "eval_every": 1},
        "runtime": {"data_root": "data", "threads": 1, "progress": "none"}}
CELLS = {"lstm_full": ("lstm", False), "lstm_trunc": ("lstm", True),
         "rlstm_trunc": ("rlstm", True)}
LABELS = {"lstm_full": "LSTM Full BP", "lstm_trunc": "LSTM Truncate 0.38T",
          "rlstm_trunc": "r-LSTM Truncate 0.38T"}
ALPHA = 0.05


def run_config(side: int, cell: str, seed: int, epochs: int) -> dict:
    """One run: the paper's 300/784 truncation and 600/784 subsequence at side x side steps."""
    method, truncated = CELLS[cell]
    length = side * side
    bptt = round(length * 300 / 784)
    train = {**BASE["train"], "epochs": epochs, "bptt": bptt if truncated else "full",
             "aux_bptt": bptt, "aux_len": round(length * 600 / 784)}
    if method == "lstm":
        train["pretrain_epochs"] = 0
    return {"run": {"experiment": "length_study", "seed": seed}, "method": method,
            "dataset": {"name": "mnist", "side": side}, "model": BASE["model"], "train": train,
            "runtime": BASE["runtime"]}


def train_one(out: Path, side: int, cell: str, seed: int, epochs: int) -> str:
    run_dir = out / f"s{side}" / cell / f"seed{seed}"
    if (run_dir / "metrics.json").exists():
        return f"{run_dir}: done before"
    run_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "auxbench", "train", "--threads", "1", "--run-dir", str(run_dir),
           "--config-json", json.dumps(run_config(side, cell, seed, epochs))]
    with open(run_dir / "log.txt", "w") as log:
        rc = subprocess.run(cmd, check=False, stdout=log, stderr=subprocess.STDOUT).returncode
    return f"{run_dir}: exit {rc}"


def run(args) -> None:
    grid = [(side, cell, seed) for seed in args.seeds for side in args.sides for cell in args.cells]
    with ThreadPoolExecutor(args.jobs) as pool:
        for line in pool.map(lambda g: train_one(args.out, *g, args.epochs), grid):
            print(line, flush=True)


def accuracies(out: Path) -> dict[tuple[int, str], list[float]]:
    found: dict[tuple[int, str], list[float]] = {}
    for path in sorted(out.glob("s*/*/seed*/metrics.json")):
        metrics = json.loads(path.read_text())
        if metrics.get("status") == "completed" and metrics.get("test_accuracy") is not None:
            side, cell = int(path.parts[-4][1:]), path.parts[-3]
            found.setdefault((side, cell), []).append(100.0 * metrics["test_accuracy"])
    return found


def summarize_study(args) -> None:
    acc = accuracies(args.out)
    sides = sorted({side for side, _ in acc})
    present = [c for c in CELLS if any(cell == c for _, cell in acc)]  # a --cells study: fewer
    tests = [compare(acc.get((s, "lstm_full"), []), acc.get((s, "lstm_trunc"), []), "greater")
             for s in sides]
    adjusted = holm([t.welch_p for t in tests])
    rows = []
    for side, test, p_holm in zip(sides, tests, adjusted):
        cells = {c: summarize(acc.get((side, c), [])) for c in present}
        sds = [cells["lstm_full"].std, cells["lstm_trunc"].std]
        detectable = detectable_difference(sds, [cells["lstm_full"].n, cells["lstm_trunc"].n],
                                           ALPHA)
        rows.append({"side": side, "steps": side * side,
                     **{f"{c}_{k}": getattr(s, k) for c, s in cells.items()
                        for k in ("n", "mean", "ci_low", "ci_high")},
                     "cost_pp": test.diff, "cost_low": test.diff_low,
                     "cost_high": test.diff_high, "p": test.welch_p, "p_holm": p_holm,
                     "detectable_pp": detectable, "holds": bool(p_holm < ALPHA)})
    with open(args.out / "table.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (args.out / "table.md").write_text(markdown(rows, present))
    figure(rows, present, args.out / "figure.png")
    print(markdown(rows, present))


def markdown(rows: list[dict], present: list[str]) -> str:
    head = ("| side (steps) | " + " | ".join(LABELS[c] for c in present)
            + " | Full BP - Truncate, pp [95%] | Holm p | detectable, pp | (p) |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        cells = " | ".join(f"{r[f'{c}_mean']:.1f} [{r[f'{c}_ci_low']:.1f}, {r[f'{c}_ci_high']:.1f}]"
                           f" (n={r[f'{c}_n']})" for c in present)
        lines.append(f"| {r['side']} ({r['steps']}) | {cells} | {r['cost_pp']:+.1f} "
                     f"[{r['cost_low']:+.1f}, {r['cost_high']:+.1f}] | {r['p_holm']:.3g} | "
                     f"{r['detectable_pp']:.1f} | {'holds' if r['holds'] else 'not shown'} |")
    return "\n".join(lines) + "\n"


def figure(rows: list[dict], present: list[str], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    steps = [r["steps"] for r in rows]
    for cell in present:
        mean = [r[f"{cell}_mean"] for r in rows]
        err = [[m - r[f"{cell}_ci_low"] for m, r in zip(mean, rows)],
               [r[f"{cell}_ci_high"] - m for m, r in zip(mean, rows)]]
        ax.errorbar(steps, mean, yerr=err, marker="o", capsize=3, label=LABELS[cell])
    first = next((r["steps"] for r in rows if r["holds"]), None)
    if first is not None:
        ax.axvline(first, color="grey", linestyle=":", label="truncation first costs (Holm)")
    ax.axhline(11.35, color="lightgrey", linewidth=0.8, label="share of 1s (plateau)")
    ax.set_xlabel("sequence length (side x side steps)")
    ax.set_ylabel("test accuracy, % (95% BCa)")
    ax.set_title("Real MNIST: the cost of truncation against length", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=150)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run")
    go.add_argument("out", type=Path)
    go.add_argument("--sides", type=int, nargs="+", default=[14, 20, 24])
    go.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    go.add_argument("--jobs", type=int, default=2)
    go.add_argument("--cells", nargs="+", choices=list(CELLS), default=list(CELLS))
    go.add_argument("--epochs", type=int, default=BASE["train"]["epochs"])
    report = sub.add_parser("summarize")
    report.add_argument("out", type=Path)
    args = parser.parse_args()
    (run if args.command == "run" else summarize_study)(args)


if __name__ == "__main__":
    main()
