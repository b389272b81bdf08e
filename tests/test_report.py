"""auxbench.report: the self-contained HTML report, from synthetic run folders (no training)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from auxbench import paths
from auxbench import plan as planmod

REPO = Path(__file__).resolve().parents[1]


def test_one_html_renderer_for_the_tables():
    """Bold cells, verdict colours, notes with **bold** and `code`; text escaped, links not."""
    from auxbench.analysis.tables import Table
    from auxbench.report.html import Html, split_rows, table_html

    t = Table(name="x", title="Table X", header=["Model", "Acc", "Verdict"],
              rows=[["LSTM <1>", "10.0 [9.0, 11.0] n=3", "not run"],
                    ["r-LSTM", "50.0 [49.0, 51.0] n=3", "reproduced"],
                    [Html('<a href="log">log</a>'), "—", "worse"]],
              bold={(1, 1)}, notes=["Note one.", "**Bold** note with `code`."], align="lrl")
    html = table_html(t)
    assert '<td class="right best"><strong>50.0 [49.0, 51.0] n=3</strong></td>' in html
    assert "LSTM &lt;1&gt;" in html and '<a href="log">log</a>' in html
    assert '<td class="left v-ok">reproduced</td>' in html
    assert "<strong>Bold</strong> note with <code>code</code>" in html
    shown, hidden = split_rows(t, "Verdict", ("not run",))
    assert [r[0] for r in hidden.rows] == ["LSTM <1>"] and shown.bold == {(0, 1)}


# r-LSTM Truncate 32 of Table 2 learns on one seed and stays at chance on the other.
COLLAPSED, LEARNED = "table2/emb_mnist/rlstm-t32/seed0", "table2/emb_mnist/rlstm-t32/seed1"


LEFT_OUT = "its text runs would double the time"
NO_RP = "claim (f) would double the time"


def _smoke_plan() -> planmod.Plan:
    """The smoke config, its Truncate 32 playing the paper's Truncate 300, Table 4 and Table 2's
    rp-LSTM left out."""
    cfg = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    cfg["analysis"]["truncated_setting"] = "t32"
    cfg["experiments"]["table4"].update(enabled=False, left_out=LEFT_OUT)
    cfg["experiments"]["table2"]["left_out_methods"] = {"rplstm": NO_RP, "lmlstm": "a stale reason"}
    return planmod.Plan(cfg)


def _fake_runs(p: planmod.Plan, root: Path, skip: int = 1, fail: int = 1,
               resume: int = 1) -> None:
    """Metrics, curves and as-run records for every planned run but `skip` (left missing);
    `fail` of them failed, `resume` resumed once."""
    for i, run in enumerate(p.runs[skip:]):
        d = run.folder(root / paths.RUNS_DIR)
        d.mkdir(parents=True)
        failed = i < fail
        acc = {COLLAPSED: 0.10, LEARNED: 0.60}.get(
            run.rel, 0.1 + 0.05 * (run.method != "lstm") + 0.01 * run.seed)
        m = {"status": "failed" if failed else "completed", "experiment": run.experiment,
             "dataset": run.dataset, "method": run.method, "setting": run.setting,
             "seed": run.seed, "test_accuracy": None if failed else acc,
             "test_loss": 2.0, "train_accuracy": None if failed else acc,
             "error": "non-finite loss (nan) at epoch 1, batch 3" if failed else None,
             "epochs": 1, "pretrain_epochs": 0, "wall_time_s": 2.0 + i,
             "peak_memory_mb": 300.0, "seq_len": 80, "n_classes": 10,
             "resumed": 1 if fail <= i < fail + resume else 0, "config_hash": "abc",
             "code_version": "v1"}
        (d / "metrics.json").write_text(json.dumps(m))
        (d / "curve.csv").write_text(
            "epoch,phase,train_loss,train_accuracy,test_loss,test_accuracy,running_loss_sup,"
            "running_loss_aux,running_accuracy,lr,wall_time_s\n"
            f"1,train,2.0,{acc},2.1,{acc},2.05,,{acc},0.003,0.5\n"
            f"2,train,1.9,{acc},2.0,{acc},1.95,,{acc},0.003,0.5\n")
        (d / "asrun.json").write_text(json.dumps({
            "environment": {"device": "cpu", "device_name": "Test CPU", "threads": 1,
                            "hostname": "testhost", "platform": "Linux", "python": "3.11",
                            "torch": "2.x", "numpy": "2.x", "auxbench": "0.1.0",
                            "git": {"commit": "0123456789abcdef", "dirty": False}},
            "code_version": "v1", "resumes": [{"at": 0, "epoch": 1, "step": 0}]
            if m["resumed"] else [],
            "dataset_manifest": {"arrays": {"train_x": {"file": "train_x.npy",
                                                        "sha256": "f" * 64}},
                                 "split_hashes": {"train": "a" * 64, "test": "b" * 64}}}))
        usage = root / run.job_usage
        usage.parent.mkdir(parents=True, exist_ok=True)
        usage.write_text("s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\t"
                         "mean_load\tcpu_time\n"
                         f"{5.0 + i}\t0:00:05\t320.0\t900\t200\t250\t0\t0\t50\t{3.0 + i}\n")
    stray = root / "results/runs/table2/emb_mnist/lstm-full/seed7"
    stray.mkdir(parents=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    p = _smoke_plan()
    _fake_runs(p, root)
    from auxbench.analysis import aggregate, analyze, load, make_figures, make_tables
    from auxbench.report import build_report

    runs = root / "results" / "runs"
    usage_dir = root / paths.TRAIN_JOB_USAGE_DIR
    a = analyze(runs, p.analysis_options(), job_usage_dir=usage_dir, keys=p.runs)
    a.plan = p.summary()
    aggregate(a, root / "results" / "aggregate")
    a = load(root / "results" / "aggregate")
    make_tables(a, root / "results" / "tables")
    make_figures(a, root / "figures")
    (root / p.runs[1].log).parent.mkdir(parents=True)
    (root / p.runs[1].log).write_text("log\n")
    out = build_report(out_html=root / "results" / "report.html",
                       data_dir=root / "results" / "report_data", runs_dir=runs,
                       aggregate_dir=root / "results" / "aggregate",
                       tables_dir=root / "results" / "tables", figures_dir=root / "figures",
                       logs_dir=root / "results" / "logs")
    return p, root, out, out.read_text()


def test_report_is_self_contained(built):
    _, _, _, html = built
    assert "<style>" in html and "<script" not in html.lower()
    assert not re.search(r'<link[^>]+stylesheet', html)
    assert not re.search(r'src="(?!data:)', html), "every image must be embedded"
    assert not re.search(r'href="https?://', html)
    imgs = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(imgs) >= 4
    assert base64.b64decode(imgs[0])[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_sections_and_scale(built):
    _, _, _, html = built
    for anchor in ("summary", "what", "larger", "paper-vs", "claims", "tables", "figures",
                   "datasets", "compute", "health", "data"):
        assert f'id="{anchor}"' in html
    assert "smoke-test" in html and "config/lite.yaml" in html and "config/paper.yaml" in html
    assert "Table 2" in html and "Figure 4" in html
    assert "Test CPU" in html and "0123456789ab" in html


def test_report_lists_the_experiments_left_out_with_their_reason(built):
    _, _, _, html = built
    larger = html[html.index('id="larger"'):html.index('id="paper-vs"')]
    assert ("<li><code>table4</code> (Table 4: test accuracy (%) on DBpedia (character level)): "
            f"{LEFT_OUT}; <code>config/paper.yaml</code> runs it.</li>") in larger
    assert "fig5" not in larger  # run at this scale
    assert ("<li><code>rplstm</code> (rp-LSTM) in <code>table2</code>: "
            f"{NO_RP}; <code>config/paper.yaml</code> runs it.</li>") in larger
    assert "a stale reason" not in larger  # lm-LSTM is in the smoke test's Table 2


def test_report_run_health(built):
    p, _, _, html = built
    assert "non-finite loss (nan) at epoch 1, batch 3" in html  # failed and why
    assert p.runs[0].rel in html                                # missing
    assert "Resumed runs" in html
    assert "seed7" in html and "not</strong> used" in html     # unplanned folder left out
    assert 'href="logs/train/' in html                          # link to a job log


def test_report_flags_a_run_that_collapsed_while_its_cell_learned(built):
    _, _, _, html = built
    health = html[html.index('id="health"'):]
    row = next(r for r in health.split("<tr>") if COLLAPSED in r)
    assert ">10.0<" in row
    assert ("ended at chance (10.0%, chance 10.0%) while other seeds of its cell learned (1 "
            "above chance + 10 pp, best 60.0%)") in row
    assert LEARNED not in health.split('id="collapsed"')[1].split("</table>")[0]


def test_report_data_files_next_to_report(built):
    p, root, _, html = built
    data = root / "results" / "report_data"
    per_seed = pd.read_csv(data / "per_seed_runs.csv")
    assert len(per_seed) == len(p.runs)
    assert set(per_seed["status"]) == {"completed", "failed", "missing"}
    assert "dataset_key" in per_seed and "paper_dataset" in per_seed
    assert len(pd.read_csv(data / "curves.csv")) == 2 * (len(p.runs) - 1)
    compute = pd.read_csv(data / "compute_per_run.csv")
    assert compute["job_wall_s"].notna().sum() == len(p.runs) - 1
    for name in ("per_seed_runs.csv", "cell_stats.csv", "curves.csv", "compute_per_run.csv"):
        assert f'href="report_data/{name}"' in html


def test_report_provenance_from_asrun_when_not_prepared(built):
    _, _, _, html = built
    assert "a" * 64 in html and "asrun.json (copy)" in html


def test_report_cli(built, tmp_path):
    """`auxbench report` as the rule calls it: from the aggregate's result, no config."""
    from auxbench.cli import main

    _, root, _, _ = built
    out = tmp_path / "r.html"
    rc = main(["report", "--runs", str(root / "results/runs"),
               "--aggregate", str(root / "results/aggregate"),
               "--tables", str(root / "results/tables"), "--figures", str(root / "figures"),
               "--data-dir", str(tmp_path / "data"), "--out", str(out)])
    assert rc == 0 and out.is_file()


def test_report_missing_aggregate_is_a_clear_error(tmp_path, capsys):
    from auxbench.cli import main

    rc = main(["report", "--aggregate", str(tmp_path / "nope"), "--out", str(tmp_path / "r.html")])
    assert rc == 1
    assert "summary.json not found" in capsys.readouterr().err


def test_summary_gives_each_claim_a_verdict_per_dataset_and_its_deciding_test():
    """A claim supported on one dataset and inconclusive on another reads inconclusive overall;
    the summary still shows the decided dataset with the test its verdict turns on, and skips
    datasets (and claims) where nothing ran."""
    from auxbench.report.summary import claim_rows

    def roll(claim, scope, verdict, counts, dataset=None):
        s, c, i, n = counts
        return {"claim": claim, "claim_text": f"claim {claim}", "source": "", "scope": scope,
                "paper_dataset": "mnist" if dataset else None, "dataset": dataset,
                "verdict": verdict, "n_comparisons": s + c + i + n, "n_supported": s,
                "n_contradicted": c, "n_against": 0, "n_inconclusive": i, "n_not_run": n,
                "min_p_holm": float("nan")}

    def test(claim, dataset, comparison, verdict, p, diff, detectable, n2=5):
        return {"claim": claim, "dataset": dataset, "comparison": comparison,
                "verdict": verdict, "p_holm": p, "p_opposite_holm": 1.0, "diff": diff,
                "diff_low": diff - 10, "diff_high": diff + 10, "detectable_pp": detectable,
                "n1": 5, "n2": n2}

    rollup = pd.DataFrame([
        roll("a", "all", "inconclusive", (1, 0, 1, 1)),
        roll("a", "embedded_mnist", "supported", (1, 0, 0, 0), "embedded_mnist"),
        roll("a", "embedded_cifar", "inconclusive", (0, 0, 1, 0), "embedded_cifar"),
        roll("a", "pmnist", "not run", (0, 0, 0, 1)),
        roll("b", "all", "not run", (0, 0, 0, 2)),
        roll("e", "all", "inconclusive", (0, 0, 1, 0)),
        roll("e", "embedded_mnist", "inconclusive", (0, 0, 1, 0), "embedded_mnist")])
    claims = pd.DataFrame([
        test("a", "embedded_mnist", "r > l", "supported", 0.0042, 31.04, 18.25),
        test("a", "embedded_cifar", "r > l", "inconclusive", 0.75, -4.87, 40.0),
        test("a", None, "r > l", "not run", float("nan"), float("nan"), float("nan")),
        test("e", "embedded_mnist", "r0 > chance", "inconclusive", 0.94, -5.8, 12.0, n2=0)])
    rows = claim_rows(claims, rollup)
    assert [r[:4] for r in rows] == [
        ["(a) claim a", "all datasets", "inconclusive", "1 of 2 supported; 1 not run"],
        ["", "MNIST (embedded_mnist)", "supported", "1 of 1 supported"],
        ["", "MNIST (embedded_cifar)", "inconclusive", "0 of 1 supported"],
        ["(e) claim e", "all datasets", "inconclusive", "0 of 1 supported"],
        ["", "MNIST (embedded_mnist)", "inconclusive", "0 of 1 supported"]]
    assert rows[1][4:] == ["r > l", "31.0 [21.0, 41.0]", "0.004", "18.2 pp at 5 vs 5 seeds"]
    assert rows[2][4:] == ["r > l", "-4.9 [-14.9, 5.1]", "0.750", "40.0 pp at 5 vs 5 seeds"]
    assert rows[4][7] == "12.0 pp at 5 seeds"  # one sample against chance


def test_report_opens_with_the_summary(built):
    """(i) the claims in scope, (ii) what ran, (iii) the result per claim and dataset, (iv) what
    was easy and what was hard, before anything else; labels name Truncate 32, not 300."""
    p, _, _, html = built
    body = html[html.index("<body>"):]
    assert body.index('id="summary"') < body.index('class="banner') < body.index('id="what"')
    summary = body[body.index('id="summary"'):body.index("</section>")]
    assert "Claims in scope</strong>: " in summary
    assert "<strong>smoke</strong> scale, whose accuracies are not comparable" in summary
    assert ("<code>table2</code>: LSTM, r-LSTM, lm-LSTM, Transformer at Full BP, Truncate 32 on MNIST "
            "(emb_mnist) with 2 seeds per cell and 1 epoch; <code>fig4</code>: LSTM, r-LSTM at "
            "Truncate 32, Truncate 0 on CIFAR-10 (emb_cifar) with 1 seed per cell") in summary
    assert ("(a) r-LSTM Truncate 32 beats LSTM Truncate 32 (the paper&#x27;s Truncate 300)"
            in summary)
    assert "Truncate 300 beats" not in html and "LSTM Truncate 300<" not in html
    assert "r-LSTM Truncate 32 &gt; LSTM Truncate 32" in summary  # the deciding test
    assert "Detects Δ ≥" in summary and "pp at 2 vs 2 seeds" in summary
    assert "<td class=\"right\">— [" not in summary and "(no interval)" in summary
    assert f"{len(p.runs) - 2} of {len(p.runs)} planned runs completed" in summary
    assert "1 failed, 1 missing; 1 ended at chance while other seeds of their cell learned: " \
        f"<code>{COLLAPSED}</code>" in summary
    assert f"<code>table4</code> ({LEFT_OUT}); <code>rplstm</code> in <code>table2</code>" \
        in summary
    assert "stayed at chance</strong>" in summary and "The cells by name" in summary
    assert summary.count("<table>") == 1  # one compact table


def test_paper_vs_keeps_a_failed_cell_in_sight(built):
    """The smoke runs' LSTM Full BP has no completed seed: that row is news, so the section is
    not folded away though nothing else compares."""
    _, _, _, html = built
    sec = html[html.index('id="paper-vs"'):html.index('id="claims"')]
    assert "None of the paper's" not in sec
    assert sec.index('class="left v-bad">failed<') < sec.index("<details>")


def test_paper_vs_shows_its_rows_when_one_compares(tmp_path):
    from types import SimpleNamespace

    from auxbench.analysis.tables import Table
    from auxbench.report.builder import section_paper_vs

    def section(verdicts):
        t = Table(name="paper_vs_reproduced", title="", header=["Model", "Verdict"],
                  rows=[[f"m{i}", v] for i, v in enumerate(verdicts)])
        inp = SimpleNamespace(a=SimpleNamespace(paper_vs=pd.DataFrame({"verdict": verdicts})),
                              tables={t.name: t}, tables_dir=tmp_path, base=tmp_path)
        return section_paper_vs(inp)

    shown = section(["reproduced", "not comparable (scale)", "context"])
    assert "None of the paper's" not in shown and "<details>" not in shown
    assert ">reproduced<" in shown and ">context<" in shown
    folded = section(["not comparable (scale)", "not comparable (scale)", "context", "not run"])
    assert ("None of the paper's 4 numbers can be compared with ours here (2 <span "
            'class="v-muted">not comparable (scale)</span>, 1 <span class="v-muted">context'
            '</span>, 1 <span class="v-muted">not run</span>)') in folded
    assert folded.index("<details><summary>The 4 rows</summary>") < folded.index("<table>")
    assert "<details open" not in folded and folded.count("<tr>") == 5


def test_summary_gives_the_test_that_points_against_a_claim():
    """Claim (c) with r-LSTM Full BP below LSTM Full BP, significant alone but not after Holm:
    the summary says 'against' and gives the opposite test's p beside the claim's."""
    from auxbench.analysis.verdicts import AGAINST
    from auxbench.report.summary import claim_rows

    rollup = pd.DataFrame([{
        "claim": "c", "claim_text": "claim c", "source": "", "scope": scope,
        "paper_dataset": "mnist" if scope != "all" else None,
        "dataset": "digits" if scope != "all" else None, "verdict": AGAINST,
        "n_comparisons": 2, "n_supported": 1, "n_contradicted": 0, "n_against": 1,
        "n_inconclusive": 0, "n_not_run": 0, "min_p_holm": 0.01} for scope in ("all", "digits")])
    claims = pd.DataFrame([
        {"claim": "c", "dataset": "digits", "comparison": "r > l", "verdict": AGAINST,
         "p_holm": 1.0, "p_opposite": 0.02, "p_opposite_holm": 0.08, "diff": -13.4,
         "diff_low": -24.0, "diff_high": -2.9, "detectable_pp": 21.0, "n1": 5, "n2": 5},
        {"claim": "c", "dataset": "digits", "comparison": "r > t", "verdict": "supported",
         "p_holm": 0.001, "p_opposite": 0.99, "p_opposite_holm": 1.0, "diff": 40.0,
         "diff_low": 30.0, "diff_high": 50.0, "detectable_pp": 21.0, "n1": 5, "n2": 5}])
    rows = claim_rows(claims, rollup)
    assert rows[0][2] == rows[1][2] == AGAINST
    assert rows[0][3] == "1 of 2 supported, 1 against (not significant after Holm)"
    assert rows[1][4:7] == ["r > l", "-13.4 [-24.0, -2.9]", "1.000; against: p 0.020, Holm 0.080"]
