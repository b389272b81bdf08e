"""The whole DAG at the smoke scale, end to end, in a temporary folder: data, training, the
resource benchmark, aggregation, tables, figures, the HTML report and `snakemake --report`; then
a targeted rerun and a results-only rebuild. A few minutes on 2 cores (`-m slow`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from auxbench import paths
from auxbench import plan as planmod
from auxbench.experiments import figure_names, table_names
from auxbench.paths import RunKey
from auxbench.versioning import command_version

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"
SMOKE = REPO / "config" / "smoke.yaml"
CORES = os.environ.get("AUXBENCH_TEST_CORES", "2")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("snakemake") is None, reason="no snakemake")]


def snakemake(wd: Path, *args: str, configs: list[str],
              timeout: int = 900) -> subprocess.CompletedProcess:
    cmd = ["snakemake", "-s", str(SNAKEFILE), "--directory", str(wd), "--cores", CORES,
           *args, "--configfile", *configs]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout)


def job_stats(output: str) -> dict[str, int]:
    if "Job stats:" not in output:
        return {}
    counts = {}
    for line in output.split("Job stats:", 1)[1].splitlines()[3:]:
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not m:
            break
        counts[m.group(1)] = int(m.group(2))
    counts.pop("total", None)
    return counts


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    wd = tmp_path_factory.mktemp("smoke")
    configs = [str(SMOKE)]
    version = command_version("train")
    res = snakemake(wd, configs=configs)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    return wd, configs, planmod.plan_from_files(configs), version


def skip_if_code_changed(version: str) -> None:
    """Snakemake rightly retrains every run when the training code changes; when someone edits
    it while this test runs, the checks below cannot hold."""
    if command_version("train") != version:
        pytest.skip("the training code changed while the test ran (its version is a param of "
                    "every training job, so everything is due for retraining)")


def test_whole_dag_writes_every_output(smoke_run):
    wd, _, plan, _ = smoke_run
    assert plan.shared_runs, "smoke shares runs between experiments"
    for run in plan.shared_runs:
        assert not (wd / run.run_dir).exists()  # trained once, under its twin
    for run in plan.trained_runs:
        for f in run.outputs():
            assert (wd / f).is_file(), f
        assert (wd / run.job_usage).is_file()
        assert (wd / run.log).is_file()
        metrics = json.loads((wd / run.run_dir / "metrics.json").read_text())
        assert metrics["status"] == "completed" and metrics["resumed"] == 0
        # the finished run's checkpoint is kept but cannot be resumed by a forced rerun
        assert (wd / run.checkpoint_dir / "final.pt").is_file()
        assert not (wd / run.checkpoint_dir / "last.pt").exists()
    for key in plan.prepared():
        assert (wd / plan.manifest_path(key)).is_file()
    for name in table_names({r.experiment for r in plan.runs}):
        assert (wd / "results/tables" / f"{name}.md").is_file()
    for name in figure_names(plan.experiments()):
        assert (wd / "figures" / f"{name}.png").is_file()
    html = (wd / "results/report.html").read_text()
    assert "smoke-test" in html and 'src="data:image/png;base64,' in html
    per_seed = pd.read_csv(wd / "results/report_data/per_seed_runs.csv")
    assert len(per_seed) == len(plan.runs) and (per_seed["status"] == "completed").all()
    shared = {RunKey.of(r).rel: r["shared_from"] for _, r in per_seed.iterrows()
              if isinstance(r["shared_from"], str)}
    assert shared == {a.rel: b.rel for a, b in plan.shared_runs.items()}
    if plan.resource_experiment() is not None:
        assert (wd / paths.RESOURCES_JSON).is_file()


def test_nothing_left_to_do(smoke_run):
    wd, configs, _, version = smoke_run
    skip_if_code_changed(version)
    res = snakemake(wd, "-n", configs=configs)
    assert res.returncode == 0
    assert "Nothing to be done" in res.stdout + res.stderr, res.stdout[-3000:]


def test_snakemake_report_zip(smoke_run):
    wd, configs, _, _ = smoke_run
    res = snakemake(wd, "--report", "report.zip", configs=configs)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    with zipfile.ZipFile(wd / "report.zip") as z:
        names = z.namelist()
    assert any(n.endswith("/report.html") for n in names), names[:20]
    assert any(n.endswith("table2.md") for n in names)
    assert any(n.endswith("fig4_shrinking_bptt.png") for n in names)


def test_targeted_rerun_reruns_only_what_depends_on_it(smoke_run):
    wd, configs, plan, version = smoke_run
    skip_if_code_changed(version)
    run = plan.find_run("table2", "emb_mnist", "lstm", "full", 0)
    target = f"{run.run_dir}/metrics.json"
    dry = snakemake(wd, "-n", "--forcerun", target, "--until", "report", configs=configs)
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert job_stats(dry.stdout + dry.stderr) == {
        "train": 1, "aggregate": 1, "tables": 1, "figures": 1, "report": 1}
    other = wd / plan.find_run("table2", "emb_mnist", "rlstm", "full", 0).run_dir
    before = {p: p.stat().st_mtime_ns for p in (wd / target, other / "metrics.json",
                                                 wd / paths.REPORT_HTML)}
    res = snakemake(wd, "--forcerun", target, "--until", "report", configs=configs)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert (wd / target).stat().st_mtime_ns > before[wd / target]
    assert (other / "metrics.json").stat().st_mtime_ns == before[other / "metrics.json"]
    assert (wd / paths.REPORT_HTML).stat().st_mtime_ns > before[wd / paths.REPORT_HTML]
    # a forced rerun trains afresh: it does not resume the finished run's checkpoint
    assert json.loads((wd / target).read_text())["resumed"] == 0


def test_results_only_rebuilds_from_run_folders(smoke_run, tmp_path):
    """Unpack only results/runs (no data, no checkpoints) and rebuild the report."""
    wd, configs, plan, _ = smoke_run
    shutil.copytree(wd / "results/runs", tmp_path / "results/runs")
    dry = snakemake(tmp_path, "-n", "--config", "results_only=True", configs=configs)
    assert job_stats(dry.stdout + dry.stderr) == {
        "workflow_config": 1, "aggregate": 1, "tables": 1, "figures": 1, "report": 1, "all": 1}
    res = snakemake(tmp_path, "--config", "results_only=True", configs=configs)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert not (tmp_path / "data").exists()
    html = (tmp_path / "results/report.html").read_text()
    assert "results-only" in html
    per_seed = pd.read_csv(tmp_path / "results/report_data/per_seed_runs.csv")
    assert (per_seed["status"] == "completed").sum() == len(plan.runs)
    original = pd.read_csv(wd / "results/aggregate/cell_stats.csv")
    rebuilt = pd.read_csv(tmp_path / "results/aggregate/cell_stats.csv")
    pd.testing.assert_frame_equal(original[["experiment", "dataset", "method", "setting", "n"]],
                                  rebuilt[["experiment", "dataset", "method", "setting", "n"]])
    # prepared data newer than the runs (copied in) retrains nothing in results-only mode
    shutil.copytree(wd / "data", tmp_path / "data")
    dry = snakemake(tmp_path, "-n", "--forcerun", "aggregate", "--config", "results_only=True",
                    configs=configs)
    assert "train" not in job_stats(dry.stdout + dry.stderr)
    # a run folder removed from the archive is reported missing, not silently dropped
    alone = next(r for r in plan.trained_runs if r not in set(plan.shared_runs.values()))
    shutil.rmtree(tmp_path / alone.run_dir)
    res = snakemake(tmp_path, "--config", "results_only=True", configs=configs)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    per_seed = pd.read_csv(tmp_path / "results/report_data/per_seed_runs.csv")
    assert (per_seed["status"] == "missing").sum() == 1
