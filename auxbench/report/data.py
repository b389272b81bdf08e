"""What the report reads and the data files it writes beside itself.

It reads the analysis's result (auxbench.analysis.result: numbers, curves, what was planned)
and, for provenance only, each planned run's as-run record. Beside the page it writes the raw
numbers it links to: every seed of every planned run (per_seed_runs.csv), the per-cell
summaries (cell_stats.csv), every training curve (curves.csv) and each run's compute
(compute_per_run.csv).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from auxbench.analysis.core import Analysis
from auxbench.analysis.result import load
from auxbench.analysis.tables import Table
from auxbench.atomic import write_csv
from auxbench.paths import KEY_FIELDS, REPORT_DATA, RunKey

JOB_COLUMNS = {"s": "job_wall_s", "cpu_time": "job_cpu_s", "max_rss": "job_max_rss_mb",
               "mean_load": "job_mean_load"}


@dataclass
class Inputs:
    out_html: Path
    data_dir: Path
    runs_dir: Path
    aggregate_dir: Path
    tables_dir: Path
    figures_dir: Path
    logs_dir: Path | None
    a: Analysis | None = None
    asrun: dict = field(default_factory=dict)  # run folder (RunKey.rel) -> as-run record
    tables: dict[str, Table] = field(default_factory=dict)  # the paper's, as the tables job

    @property
    def base(self) -> Path:
        return self.out_html.parent

    @property
    def plan(self) -> dict:
        """What the workflow planned (auxbench.plan.Plan.summary)."""
        return self.a.plan

    @property
    def runs(self) -> pd.DataFrame:
        return self.a.runs

    def run_keys(self) -> list[RunKey]:
        return [RunKey.of(r) for _, r in self.runs.iterrows()]


def gather(inp: Inputs) -> Inputs:
    inp.a = load(inp.aggregate_dir)
    for key, source in zip(inp.run_keys(), inp.runs["shared_from"]):
        folder = Path(inp.runs_dir) / source if isinstance(source, str) else key.folder(inp.runs_dir)
        path = folder / "asrun.json"
        if path.is_file():
            try:
                inp.asrun[key.rel] = json.loads(path.read_text())
            except json.JSONDecodeError:
                inp.asrun[key.rel] = {"error": f"{path} is not valid JSON"}
    return inp


def status_counts(inp: Inputs) -> dict[str, int]:
    """Planned runs, and how many completed, failed, are missing and were resumed."""
    runs = inp.runs
    if runs.empty:
        return {"planned": inp.plan["n_runs"], "completed": 0, "failed": 0, "missing": 0,
                "resumed": 0}
    resumed = pd.to_numeric(runs.get("resumed"), errors="coerce").fillna(0)
    return {"planned": inp.plan["n_runs"],
            "completed": int((runs["status"] == "completed").sum()),
            "failed": int((runs["status"] == "failed").sum()),
            "missing": int((runs["status"] == "missing").sum()),
            "resumed": int((resumed > 0).sum())}


def per_run_compute(inp: Inputs) -> pd.DataFrame:
    """One row per run that trained (a run shared with another experiment's is that run's row):
    status, the run's own wall time and peak memory, and what the Snakemake recorded of the job
    (wall s, CPU s, max RSS: its job usage)."""
    cols = [*KEY_FIELDS, "status", "epochs", "pretrain_epochs", "resumed", "wall_time_s",
            "peak_memory_mb"]
    runs = inp.runs[inp.runs["shared_from"].isna()][cols].reset_index(drop=True)
    if runs.empty:
        return runs
    jobs = inp.a.job_usage
    if jobs is not None and not jobs.empty:
        jobs = jobs.dropna(subset=["experiment"]).astype({"seed": int}).rename(
            columns=JOB_COLUMNS)
        runs = runs.merge(jobs[[*KEY_FIELDS, *JOB_COLUMNS.values()]], how="left",
                          on=list(KEY_FIELDS))
    else:
        for c in JOB_COLUMNS.values():
            runs[c] = math.nan
    devices = []
    for _, row in runs.iterrows():
        env = (inp.asrun.get(RunKey.of(row).rel) or {}).get("environment") or {}
        devices.append(env.get("device_name") or env.get("device") or "")
    runs["device"] = devices
    return runs


def write_data_files(inp: Inputs) -> dict[str, Path]:
    inp.data_dir.mkdir(parents=True, exist_ok=True)
    datasets = inp.plan.get("datasets", {})
    per_seed = inp.runs.copy()
    if not per_seed.empty:
        for at, what in ((5, "paper_dataset"), (6, "key")):
            per_seed.insert(at, "dataset_key" if what == "key" else what,
                            [datasets.get(d, {}).get(what) for d in per_seed["dataset"]])
    frames = {"per_seed_runs": per_seed, "cell_stats": inp.a.cells, "curves": inp.a.curves,
              "compute_per_run": per_run_compute(inp)}
    out = {}
    for name in REPORT_DATA:
        df = frames[name]
        out[name] = inp.data_dir / f"{name}.csv"
        write_csv(df, out[name])
    return out
