"""The Snakemake workflow plans what auxbench.plan says, lints clean, and refuses a wrong config
before any job starts. Dry runs only (no training); each takes a few seconds."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from auxbench import plan as planmod

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"

pytestmark = pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not found")


def snakemake(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["snakemake", "-s", str(SNAKEFILE), *args], cwd=cwd,
                          check=False, capture_output=True, text=True, timeout=timeout)


def job_stats(output: str) -> dict[str, int]:
    """The `Job stats` table of a Snakemake dry run: rule -> job count."""
    if "Job stats:" not in output:
        return {}
    section = output.split("Job stats:", 1)[1]
    counts = {}
    for line in section.splitlines()[3:]:
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not m:
            break
        counts[m.group(1)] = int(m.group(2))
    return counts


@pytest.mark.parametrize("name", ["config", "lite", "paper", "smoke"])
def test_dry_run_plans_the_expected_jobs(name, tmp_path):
    config = REPO / "config" / f"{name}.yaml"
    expected = planmod.plan_from_files([config]).job_counts()
    res = snakemake("-n", "--quiet", "rules", "--configfile", str(config), cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    stats = job_stats(res.stdout + res.stderr)
    total = stats.pop("total")
    assert stats == expected
    assert total == sum(expected.values())


def test_default_config_is_used_without_configfile(tmp_path):
    """`snakemake` alone runs config/config.yaml (the embedded scale)."""
    (tmp_path / "config").mkdir()
    shutil.copy(REPO / "config" / "config.yaml", tmp_path / "config" / "config.yaml")
    res = snakemake("-n", "--quiet", "rules", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    expected = planmod.plan_from_files([REPO / "config" / "config.yaml"]).job_counts()
    stats = job_stats(res.stdout + res.stderr)
    stats.pop("total")
    assert stats == expected


def test_configfile_replaces_the_default_config(tmp_path):
    """A --configfile is not merged into config/config.yaml (its experiments would leak in)."""
    (tmp_path / "config").mkdir()
    shutil.copy(REPO / "config" / "config.yaml", tmp_path / "config" / "config.yaml")
    res = snakemake("-n", "--quiet", "rules", "--configfile", str(REPO / "config/smoke.yaml"),
                    cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    stats = job_stats(res.stdout + res.stderr)
    assert stats["train"] == len(planmod.plan_from_files([REPO / "config/smoke.yaml"]).trained_runs)


def test_results_only_dry_run_trains_nothing(tmp_path):
    res = snakemake("-n", "--quiet", "rules", "--configfile", str(REPO / "config/smoke.yaml"),
                    "--config", "results_only=True", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    stats = job_stats(res.stdout + res.stderr)
    stats.pop("total")
    assert stats == {"workflow_config": 1, "aggregate": 1, "tables": 1, "figures": 1,
                     "report": 1, "all": 1}


def test_lint_is_clean(tmp_path):
    res = subprocess.run(["snakemake", "--lint"], cwd=REPO, check=False, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]


@pytest.mark.parametrize("mutate, expect", [
    (lambda c: c["experiments"]["table2"].update(seedz=[0]),
     "experiments.table2: unknown key(s) ['seedz']"),
    (lambda c: c["base"]["train"].update(epochz=3), "unknown key(s) ['epochz']"),
    (lambda c: c["datasets"]["emb_mnist"]["spec"].update(sidez=3), "sidez"),
    (lambda c: c["experiments"]["fig4"].update(settings=["t32", "tiny"]), "'tiny'"),
])
def test_wrong_config_fails_before_any_job(mutate, expect, tmp_path):
    cfg = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    mutate(cfg)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    res = snakemake("--cores", "1", "--configfile", str(bad), cwd=tmp_path)
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "Invalid workflow config" in out and expect in out
    assert not (tmp_path / "results").exists() and not (tmp_path / "data").exists()


def test_unknown_run_target_is_refused(tmp_path):
    res = snakemake("results/runs/table2/emb_mnist/lstm-full/seed9/metrics.json", "-n",
                    "--configfile", str(REPO / "config/smoke.yaml"), cwd=tmp_path)
    assert res.returncode != 0
    assert "not part of this workflow config" in res.stdout + res.stderr


def test_the_gpu_box_profile_plans_the_paper_scale(tmp_path):
    """workflow/profiles/gpu: every training job still asks for one GPU; the profile's limit
    runs several at once (they spread themselves over the GPUs, tests/test_gpu_slots.py)."""
    profile = yaml.safe_load((REPO / "workflow/profiles/gpu/config.yaml").read_text())
    assert profile["resources"] == ["gpu=4"] and profile["retries"] >= 1
    config = REPO / "config" / "paper.yaml"
    res = snakemake("-n", "--quiet", "rules", "--workflow-profile",
                    str(REPO / "workflow/profiles/gpu"), "--configfile", str(config), cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    stats = job_stats(res.stdout + res.stderr)
    assert stats["train"] == planmod.plan_from_files([config]).job_counts()["train"]


def test_training_jobs_know_their_attempt_and_how_many_there_are(tmp_path):
    """An out-of-memory exits for a retry only before the last attempt: the job is told both
    (resources, so that changing --retries retrains nothing)."""
    config = REPO / "config" / "smoke.yaml"
    res = snakemake("-n", "-p", "--configfile", str(config), "--retries", "2", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    commands = [line for line in (res.stdout + res.stderr).splitlines()
                if "auxbench train" in line]
    assert commands and all("--attempt 1 --attempts 3" in c for c in commands)


def test_grouped_seeds_plan_one_rule_per_cell(tmp_path):
    """compute.group_seeds: Snakemake plans the jobs auxbench.plan counts, a train_group_<i>
    rule per recurrent cell with its members' run files as outputs."""
    cfg = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    cfg["compute"]["group_seeds"] = True
    config = tmp_path / "grouped.yaml"
    config.write_text(yaml.safe_dump(cfg))
    expected = planmod.plan_from_files([config]).job_counts()
    assert any(name.startswith("train_group_") for name in expected)
    res = snakemake("-n", "--quiet", "rules", "--configfile", str(config), cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    stats = job_stats(res.stdout + res.stderr)
    stats.pop("total")
    assert stats == expected
    res = snakemake("-n", "-p", "--configfile", str(config), cwd=tmp_path)
    assert "--seeds 0,1" in res.stdout and "seed{seed}" in res.stdout
