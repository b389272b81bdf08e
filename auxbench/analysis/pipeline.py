"""Entry points the workflow rules call with paths. All logic lives in the modules they call."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from auxbench.atomic import write_json

from .core import Analysis, analyze, compute_summary
from .options import AnalysisConfig
from .tables import write_csv


def _records(df: pd.DataFrame | None) -> list[dict]:
    if df is None or df.empty:
        return []
    out = []
    for rec in df.to_dict(orient="records"):
        clean = {}
        for k, v in rec.items():
            if isinstance(v, (np.floating, float)):
                v = None if not math.isfinite(float(v)) else float(v)
            elif isinstance(v, np.integer):
                v = int(v)
            elif isinstance(v, np.bool_):
                v = bool(v)
            elif v is pd.NA or v is pd.NaT:
                v = None
            clean[str(k)] = v
        out.append(clean)
    return out


def _config_record(cfg: AnalysisConfig) -> dict:
    d = {k: getattr(cfg, k) for k in cfg.__dataclass_fields__}
    d["paper_datasets"] = dict(cfg.paper_datasets)
    d["seeds"] = list(cfg.seeds) if cfg.seeds is not None else None
    d["comparable_datasets"] = (sorted(cfg.comparable_datasets)
                                if cfg.comparable_datasets is not None else None)
    return d


def _analysis(runs_dir, experiment_config, bench_json, benchmarks_dir, load_curves=False):
    if isinstance(runs_dir, Analysis):
        return runs_dir
    return analyze(runs_dir, experiment_config, bench_json=bench_json,
                   benchmarks_dir=benchmarks_dir, load_curves=load_curves)


def aggregate(
    runs_dir: str | Path | Analysis,
    out_dir: str | Path,
    experiment_config: Mapping[str, Any] | AnalysisConfig | None = None,
    *,
    bench_json: str | Path | None = None,
    benchmarks_dir: str | Path | None = None,
) -> dict[str, str]:
    """Numbers only: per-seed runs, per-cell summaries, comparisons, verdicts, claims, failures.

    Writes into `out_dir`: runs.csv, cells.csv, comparisons.csv, best.csv,
    paper_vs_reproduced.csv, claims.csv, claims_summary.csv, failed_runs.csv, compute.csv and
    summary.json (everything above as JSON, plus the analysis options used). Returns the paths.
    """
    a = _analysis(runs_dir, experiment_config, bench_json, benchmarks_dir)
    out_dir = Path(out_dir)
    comparisons = pd.concat(
        [df.assign(family=exp) for exp, df in a.comparisons.items() if not df.empty]
        or [pd.DataFrame()], ignore_index=True)
    best = pd.concat([df for df in a.best.values() if not df.empty] or [pd.DataFrame()],
                     ignore_index=True)
    frames = {
        "runs": a.runs, "cells": a.cells, "comparisons": comparisons, "best": best,
        "paper_vs_reproduced": a.paper_vs, "claims": a.claims,
        "claims_summary": a.claims_rollup, "failed_runs": a.failed,
        "compute": compute_summary(a),
    }
    paths = {}
    for name, df in frames.items():
        p = out_dir / f"{name}.csv"
        write_csv(df if df is not None else pd.DataFrame(), p)
        paths[name] = str(p)
    summary = {
        "options": _config_record(a.cfg),
        "n_runs": len(a.runs),
        "n_completed": int((a.runs["status"] == "completed").sum()) if not a.runs.empty else 0,
        "n_failed": int((a.runs["status"] == "failed").sum()) if not a.runs.empty else 0,
        "n_missing": int((a.runs["status"] == "missing").sum()) if not a.runs.empty else 0,
        "experiments": a.experiments,
        "verdict_counts": (a.paper_vs["verdict"].value_counts().sort_index().to_dict()
                           if a.paper_vs is not None and not a.paper_vs.empty else {}),
        "claims_summary": _records(a.claims_rollup),
        **{name: _records(df) for name, df in frames.items() if name != "claims_summary"},
    }
    summary["verdict_counts"] = {str(k): int(v) for k, v in summary["verdict_counts"].items()}
    p = out_dir / "summary.json"
    write_json(p, summary)
    paths["summary"] = str(p)
    return paths


def make_tables(
    runs_dir: str | Path | Analysis,
    out_dir: str | Path,
    experiment_config: Mapping[str, Any] | AnalysisConfig | None = None,
    *,
    bench_json: str | Path | None = None,
    benchmarks_dir: str | Path | None = None,
) -> dict[str, dict[str, str]]:
    """Every table as `<name>.md`, `<name>.tex`, `<name>.csv`, plus `runs.csv` and
    `manifest.json` (table name -> paths); the names: auxbench.experiments.table_names."""
    from .tables import write_tables

    a = _analysis(runs_dir, experiment_config, bench_json, benchmarks_dir)
    written = write_tables(a, out_dir)
    write_json(Path(out_dir) / "manifest.json", written)
    return written


def make_figures(
    runs_dir: str | Path | Analysis,
    out_dir: str | Path,
    experiment_config: Mapping[str, Any] | AnalysisConfig | None = None,
    *,
    bench_json: str | Path | None = None,
) -> list[dict]:
    """Every figure as PNG (150 dpi) and PDF, plus `manifest.json` (one record per figure: name,
    png, pdf, caption, n, interval, test, status). A figure without data is still written, as a
    panel saying so (status "no data")."""
    from .figures import write_figures

    a = _analysis(runs_dir, experiment_config, bench_json, None, load_curves=True)
    if a.curves is None and a.runs_dir is not None:
        from .runs import load_curves

        a.curves = load_curves(a.runs_dir)
    records = [r.as_dict() for r in write_figures(a, out_dir)]
    write_json(Path(out_dir) / "manifest.json", records)
    return records
