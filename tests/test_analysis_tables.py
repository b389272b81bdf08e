"""Table writers on a tiny synthetic run tree in the real formats: the expected cells come out."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from auxbench.analysis import aggregate, analyze, make_tables
from auxbench.analysis.synthetic import write_demo_resources, write_run
from auxbench.analysis.tables import Table, format_cell, latex_escape, to_latex, to_markdown

CFG = {"scale": "paper", "analysis": {"n_resamples": 500}}


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    cells = {
        ("mnist", "lstm", "full"): [0.982, 0.983, 0.984],
        ("mnist", "rlstm", "full"): [0.995, 0.996, 0.997],
        ("mnist", "lstm", "t300"): [0.10, 0.12, 0.11],
        ("pmnist", "lstm", "full"): [0.894, 0.896],
        ("pmnist", "rlstm", "full"): [0.895, 0.893, 0.897],
    }
    for (ds, method, setting), accs in cells.items():
        for seed, acc in enumerate(accs):
            write_run(root, "table2", ds, method, setting, seed, acc)
    write_run(root, "table2", "pmnist", "rlstm", "full", 3, None, status="failed",
              error="CUDA out of memory")
    resources = write_demo_resources(root.parent / "resources.json")
    a = analyze(root, CFG, resources_json=resources)
    out = root.parent / "tables"
    written = make_tables(a, out)
    return root, a, out, written


def test_table2_cells_and_paper_column(tree):
    out = tree[2]
    md = (out / "table2.md").read_text()
    # n=2: the percentile interval is [min, max]; no CIFAR-10 runs: "not run" beside the paper
    assert ("| LSTM Full BP | 98.3 [98.2, 98.4] n=3 | 98.3 | 89.5 [89.4, 89.6] n=2 | 89.4 | "
            "not run | 58.8 |") in md
    assert "n=3/4†" in md  # the failed seed is shown, not averaged away silently
    # p-LSTM was never run: its row is there with the paper's value and no number of ours
    row = next(line for line in md.splitlines() if line.startswith("| p-LSTM Full BP"))
    assert "| — | 98.0 |" in row
    tidy = pd.read_csv(out / "table2.csv")
    lstm = tidy[(tidy["dataset"] == "mnist") & (tidy["method"] == "lstm")
                & (tidy["setting"] == "full")].iloc[0]
    assert lstm["paper"] == pytest.approx(98.3) and lstm["n"] == 3
    assert lstm["mean"] == pytest.approx(98.3)


def test_bold_only_where_best_is_significant_after_holm(tree):
    _, a, out, _ = tree
    best = a.best["table2"].set_index("dataset")
    assert bool(best.loc["mnist", "bold"]) and not bool(best.loc["pmnist", "bold"])
    assert best.loc["mnist", "best_method"] == "rlstm"
    md = (out / "table2.md").read_text()
    bold_cells = [c for line in md.splitlines() for c in line.split(" | ") if c.startswith("**")]
    assert len(bold_cells) == 1 and bold_cells[0].startswith("**99.6 [")
    tex = (out / "table2.tex").read_text()
    assert tex.count("\\textbf{") == 1 and "\\textbf{99.6" in tex
    tidy = pd.read_csv(out / "table2.csv")
    assert tidy["bold"].sum() == 1


def test_latex_is_booktabs_and_escaped(tree):
    _, _, out, _ = tree
    tex = (out / "table2.tex").read_text()
    for token in ("\\toprule", "\\midrule", "\\bottomrule", "\\begin{tabular}{l"):
        assert token in tex
    assert "$^\\dagger$" in tex
    assert latex_escape("no_pretrain 50% & more") == "no\\_pretrain 50\\% \\& more"


def test_paper_vs_reproduced_and_claims_tables(tree):
    _, _, out, _ = tree
    pv = pd.read_csv(out / "paper_vs_reproduced.csv")
    get = pv.set_index(["paper_dataset", "method", "setting"])["verdict"]
    assert get[("mnist", "lstm", "full")] == "reproduced"
    assert get[("mnist", "rlstm", "full")] == "better"
    assert get[("mnist", "lstm", "t300")] == "reproduced"
    assert get[("cifar10", "lstm", "full")] == "not run"
    claims = pd.read_csv(out / "claims.csv")
    assert (claims["verdict"] == "not run").any()
    assert set(claims["claim"]) == set("pabcdefgh")  # every claim listed, even when not run
    md = (out / "claims.md").read_text()
    assert "(e) With no supervised BPTT" in md and "**not run**" in md
    # The smallest difference each test detects stands beside its effect
    c = claims[(claims["claim"] == "c") & (claims["comparison"] == "r-LSTM Full BP > LSTM Full BP")
               & (claims["dataset"] == "mnist")].iloc[0]
    assert 0 < c["detectable_pp"] < 1.0  # SDs of 0.1 pp, 3 vs 3 seeds, alpha 0.05 / 3
    row = next(line for line in md.splitlines() if "r-LSTM Full BP > LSTM Full BP" in line
               and "| MNIST |" in line)
    assert f"| {c['detectable_pp']:.1f} |" in row and "Detects Δ ≥" in md


def test_failed_runs_resources_and_runs_csv(tree):
    root, _, out, written = tree
    assert "CUDA out of memory" in (out / "failed_runs.md").read_text()
    t3 = (out / "table3.md").read_text()
    row = next(line for line in t3.splitlines() if line.startswith("| Transformer"))
    assert row.rstrip().endswith("| OOM |")
    assert "40 MB" in t3  # r-LSTM Truncate 300: constant memory in the demo benchmark
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == sum(1 for _ in root.glob("*/*/*/seed*"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest) >= {"table2", "table3", "paper_vs_reproduced", "claims", "runs"}
    assert manifest == written


def test_aggregate_writes_numbers_and_a_valid_summary(tree, tmp_path):
    _, a, _, _ = tree
    paths = aggregate(a, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["n_failed"] == 1 and summary["options"]["scale"] == "paper"
    assert summary["verdict_counts"]["reproduced"] >= 2
    cells = pd.read_csv(paths["cell_stats"])
    pm = cells[(cells["dataset"] == "pmnist") & (cells["method"] == "rlstm")].iloc[0]
    assert (pm["n"], pm["n_failed"], pm["failed_seeds"]) == (3, 1, 3)


def test_format_cell_and_writers_on_a_handmade_table():
    assert format_cell(97.31, 96.8, 97.9, 3) == "97.3 [96.8, 97.9] n=3"
    assert format_cell(97.3, float("nan"), float("nan"), 1) == "97.3 (no CI) n=1"
    assert format_cell(float("nan"), float("nan"), float("nan"), 0, 3) == "failed n=0/3†"
    assert format_cell(float("nan"), float("nan"), float("nan"), 0) == "—"
    t = Table("t", "T", ["Model", "A"], [["x", "1 | 2"]], bold={(0, 1)})
    assert "**1 \\| 2**" in to_markdown(t)
    assert "\\textbf{1 | 2}" in to_latex(t)


def test_empty_runs_folder_still_gives_every_artefact(tmp_path):
    (tmp_path / "runs").mkdir()
    a = analyze(tmp_path / "runs")
    paths = aggregate(a, tmp_path / "agg")
    written = make_tables(a, tmp_path / "tables")
    assert set(paths) >= {"cell_stats", "claims", "paper_vs_reproduced", "summary"}
    assert {"table2", "table3", "claims"} <= set(written)
    roll = pd.read_csv(paths["claims_summary"])
    assert set(roll["verdict"]) == {"not run"}
    assert set(roll["scope"]) == {"all", "mnist", "pmnist", "cifar10"}
    pv = pd.read_csv(paths["paper_vs_reproduced"])
    assert set(pv["verdict"]) == {"not run", "context"}


def test_paper_truncate_300_stands_on_the_configured_truncated_setting(tmp_path):
    for seed, acc in enumerate([0.10, 0.10, 0.11]):
        write_run(tmp_path, "table2", "mnist", "lstm", "t20", seed, acc)
    cfg = {"scale": "paper", "analysis": {"n_resamples": 200, "truncated_setting": "t20"}}
    make_tables(analyze(tmp_path, cfg), tmp_path / "tables")
    md = (tmp_path / "tables" / "table2.md").read_text()
    row = next(line for line in md.splitlines() if line.startswith("| LSTM Truncate 20 |"))
    assert "| 11.3 |" in row  # the paper's LSTM Truncate 300 on MNIST
    assert not any(line.startswith("| LSTM Truncate 300 |") for line in md.splitlines())
    assert "Truncate 300 values stand on our Truncate 20 rows" in md
