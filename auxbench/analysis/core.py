"""Everything the tables, figures and report need, computed once from the run folders."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from auxbench.experiments import REFERENCE_SETTINGS, experiment
from auxbench.paths import RunKey

from . import cells as cells_mod
from . import runs as runs_mod
from . import verdicts
from .curves import BAND_COLUMNS, curve_bands
from .options import AnalysisConfig


@dataclass
class Analysis:
    """Everything the tables, figures and report show, computed once (`analyze`) and kept on
    disk by `auxbench.analysis.result`, which the tables, figures and report jobs load."""

    cfg: AnalysisConfig
    runs: pd.DataFrame
    cells: pd.DataFrame
    comparisons: dict[str, pd.DataFrame] = field(default_factory=dict)
    best: dict[str, pd.DataFrame] = field(default_factory=dict)
    paper_vs: pd.DataFrame | None = None
    claims: pd.DataFrame | None = None
    claims_rollup: pd.DataFrame | None = None
    failed: pd.DataFrame | None = None
    resources: pd.DataFrame | None = None        # the resource benchmark (Table 3)
    job_usage: pd.DataFrame | None = None        # Snakemake's record of each training job
    compute_summary: pd.DataFrame | None = None  # compute per experiment
    curves: pd.DataFrame | None = None           # every training curve, long form
    curve_bands: pd.DataFrame | None = None      # curves over seeds (auxbench.analysis.curves)
    plan: dict = field(default_factory=dict)     # what the workflow planned (Plan.summary)
    left_out: list[str] = field(default_factory=list)  # run folders not planned, not read

    @property
    def experiments(self) -> list[str]:
        return sorted(set(self.runs["experiment"])) if not self.runs.empty else []

    def cells_of(self, experiment: str) -> pd.DataFrame:
        return self.cells[self.cells["experiment"] == experiment]


def reference_cell(cells: pd.DataFrame, experiment: str) -> tuple[str, str] | None:
    """The cell every other cell of `experiment` is compared with (REFERENCE_SETTINGS)."""
    sub = cells[cells["experiment"] == experiment]
    for ref in REFERENCE_SETTINGS:
        hit = sub[sub["setting"] == ref]
        if not hit.empty:
            return (hit.iloc[0]["method"], ref)
    return None


def analyze(
    runs_dir: str | Path,
    experiment_config: Mapping[str, Any] | AnalysisConfig | None = None,
    resources_json: str | Path | None = None,
    job_usage_dir: str | Path | None = None,
    keys: Iterable[RunKey] | None = None,
    shared: Mapping[RunKey, RunKey] | None = None,
) -> Analysis:
    """Load the runs `keys` (a planned run without a folder is `missing`; None: every run under
    `runs_dir`), a run in `shared` from the folder of the run it maps to, and compute cells,
    comparisons, verdicts, claims and curve bands."""
    cfg = AnalysisConfig.from_mapping(experiment_config)
    keys = None if keys is None else list(keys)
    shared = dict(shared or {})
    trained = None if keys is None else [k for k in keys if k not in shared]
    a = analyze_frames(
        runs_mod.load_runs(runs_dir, keys, shared), cfg,
        resources=runs_mod.load_resources(resources_json),
        job_usage=runs_mod.load_job_usage(job_usage_dir, trained),
        curves=runs_mod.load_curves(runs_dir, keys, shared))
    a.left_out = [] if keys is None else runs_mod.unplanned_dirs(runs_dir, keys)
    return a


def analyze_frames(runs: pd.DataFrame, cfg: AnalysisConfig,
                   resources: pd.DataFrame | None = None, job_usage: pd.DataFrame | None = None,
                   curves: pd.DataFrame | None = None) -> Analysis:
    runs = runs_mod.normalize_runs(runs)
    runs_mod.check_consistent(runs)
    cells = cells_mod.summarize_cells(runs, cfg)
    a = Analysis(cfg=cfg, runs=runs, cells=cells,
                 resources=resources if resources is not None else runs_mod.load_resources(None),
                 job_usage=job_usage, curves=curves)
    for exp in a.experiments:
        if experiment(exp).compares == "pairs":
            a.comparisons[exp] = cells_mod.table_comparisons(runs, cells, exp, cfg)
        a.best[exp] = cells_mod.best_marks(runs, cells, exp, cfg)
    for exp in a.experiments:  # after the pairs: the order comparisons.csv has always had
        compares = experiment(exp).compares
        ref = reference_cell(cells, exp) if compares == "reference" else None
        if ref is not None:
            a.comparisons[exp] = cells_mod.reference_comparisons(runs, cells, exp, ref, cfg)
        if compares == "methods":
            a.comparisons[exp] = cells_mod.method_comparisons(
                runs, cells, exp, experiment(exp).method_pairs, cfg)
    a.paper_vs = verdicts.paper_vs_reproduced(cells, cfg)
    a.claims, a.claims_rollup = verdicts.evaluate_claims(runs, cfg)
    a.failed = verdicts.failed_runs(runs)
    a.compute_summary = compute_summary(runs, job_usage)
    bands = [curve_bands(curves, e, cfg) for e in a.experiments
             if experiment(e).curves and curves is not None]
    a.curve_bands = pd.concat(bands, ignore_index=True) if bands else pd.DataFrame(
        columns=BAND_COLUMNS)
    return a


def compute_summary(runs: pd.DataFrame, job_usage: pd.DataFrame | None) -> pd.DataFrame:
    """Compute accounting per experiment: jobs, wall and CPU hours, peak memory.

    From the Snakemake benchmark TSVs when present, else from the runs' own metrics.json.
    """
    cols = ["experiment", "source", "jobs", "wall_hours", "cpu_hours", "max_rss_mb",
            "max_peak_memory_mb"]
    rows = []
    if job_usage is not None and not job_usage.empty:
        for exp, g in job_usage.groupby(job_usage["experiment"].fillna("(other)")):
            rows.append({"experiment": exp, "source": "snakemake benchmark", "jobs": len(g),
                         "wall_hours": g["s"].sum() / 3600.0,
                         "cpu_hours": g["cpu_time"].sum() / 3600.0,
                         "max_rss_mb": g["max_rss"].max(), "max_peak_memory_mb": math.nan})
    elif not runs.empty:
        trained = runs[runs["shared_from"].isna()]  # a shared run's cost is its twin's
        for exp, g in trained.groupby("experiment"):
            rows.append({"experiment": exp, "source": "metrics.json", "jobs": len(g),
                         "wall_hours": g["wall_time_s"].sum() / 3600.0, "cpu_hours": math.nan,
                         "max_rss_mb": math.nan,
                         "max_peak_memory_mb": g["peak_memory_mb"].max()})
    return pd.DataFrame(rows, columns=cols)
