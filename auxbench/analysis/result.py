"""The analysis's one result on disk, written by `aggregate` and loaded by tables, figures, report.

In the aggregate folder: `summary.json` holds the options, the counts, what was planned, and
every table of numbers as records with its column types (so `load` gives back the very frames
`analyze` computed, and the bootstrap runs once); `curves.csv` holds every training curve; one
CSV per table of numbers is written beside them for people and other tools.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from auxbench.atomic import write_csv, write_json
from auxbench.errors import DataError
from auxbench.paths import CURVES_CSV, SUMMARY_JSON

from .core import Analysis
from .options import AnalysisConfig

SUMMARY, CURVES = SUMMARY_JSON, CURVES_CSV


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


def _columns(df: pd.DataFrame) -> list[list[str]]:
    """[name, type] of each column, in order (JSON objects are written with sorted keys)."""
    return [[str(c), str(t)] for c, t in df.dtypes.items()]


def _frame(records: list[dict], columns: list[list[str]]) -> pd.DataFrame:
    """A frame as it was saved: object first, so that no value is guessed, then each column's
    own type (a missing float is NaN again, a missing label None or NaN as it was)."""
    df = pd.DataFrame(records, columns=[c for c, _ in columns], dtype=object)
    return df.astype(dict(columns))


def _options(cfg: AnalysisConfig) -> dict:
    d = {k: getattr(cfg, k) for k in cfg.__dataclass_fields__}
    d["paper_datasets"] = dict(cfg.paper_datasets)
    d["stand_ins"] = list(cfg.stand_ins)
    d["seeds"] = list(cfg.seeds) if cfg.seeds is not None else None
    return d


def save(a: Analysis, out_dir: str | Path) -> dict[str, str]:
    """Write the result into `out_dir`; returns name -> path of every file."""
    out_dir = Path(out_dir)
    comparisons = pd.concat(
        [df.assign(family=exp) for exp, df in a.comparisons.items() if not df.empty]
        or [pd.DataFrame()], ignore_index=True)
    best = pd.concat([df for df in a.best.values() if not df.empty] or [pd.DataFrame()],
                     ignore_index=True)
    frames = {
        "runs": a.runs, "cell_stats": a.cells, "comparisons": comparisons, "best": best,
        "paper_vs_reproduced": a.paper_vs, "claims": a.claims,
        "claims_summary": a.claims_rollup, "failed_runs": a.failed,
        "compute": a.compute_summary,
    }
    files = {}
    for name, df in frames.items():
        p = out_dir / f"{name}.csv"
        write_csv(df if df is not None else pd.DataFrame(), p)
        files[name] = str(p)
    curves = a.curves if a.curves is not None else pd.DataFrame()
    files["curves"] = str(out_dir / CURVES)
    write_csv(curves, files["curves"])
    # Kept as JSON only: what the tables, figures and report need besides the CSVs above.
    more = {"resources": a.resources, "job_usage": a.job_usage, "curve_bands": a.curve_bands}
    summary = {
        "options": _options(a.cfg),
        "n_runs": len(a.runs),
        "n_completed": int((a.runs["status"] == "completed").sum()) if not a.runs.empty else 0,
        "n_failed": int((a.runs["status"] == "failed").sum()) if not a.runs.empty else 0,
        "n_missing": int((a.runs["status"] == "missing").sum()) if not a.runs.empty else 0,
        "experiments": a.experiments,
        "verdict_counts": (a.paper_vs["verdict"].value_counts().sort_index().to_dict()
                           if a.paper_vs is not None and not a.paper_vs.empty else {}),
        "claims_summary": _records(a.claims_rollup),
        **{name: _records(df) for name, df in {**frames, **more}.items()
           if name != "claims_summary"},
        "columns": {name: _columns(df) for name, df in {**frames, **more, "curves": curves}.items()
                    if df is not None},
        "plan": a.plan,
        "left_out": a.left_out,
    }
    summary["verdict_counts"] = {str(k): int(v) for k, v in summary["verdict_counts"].items()}
    files["summary"] = str(out_dir / SUMMARY)
    write_json(files["summary"], summary)
    return files


def load(out_dir: str | Path) -> Analysis:
    """The Analysis `save` wrote into `out_dir`."""
    out_dir = Path(out_dir)
    try:
        summary = json.loads((out_dir / SUMMARY).read_text())
    except FileNotFoundError:
        raise DataError(f"{out_dir / SUMMARY} not found; run the aggregate rule first "
                        "(snakemake --until aggregate)") from None
    except json.JSONDecodeError as err:
        raise DataError(f"{out_dir / SUMMARY}: not valid JSON ({err})") from None
    columns = summary["columns"]

    def frame(name: str) -> pd.DataFrame:
        return _frame(summary[name], columns[name])

    def split(df: pd.DataFrame, column: str, drop: bool) -> dict[str, pd.DataFrame]:
        if df.empty:
            return {}
        return {k: (g.drop(columns=column) if drop else g).reset_index(drop=True)
                for k, g in df.groupby(column, sort=False)}

    curve_types = dict(columns["curves"])
    labels = {c: "str" for c, t in curve_types.items() if t in ("str", "object")}
    curves = pd.read_csv(out_dir / CURVES, dtype=labels) \
        if curve_types else pd.DataFrame()
    options = summary["options"]
    cfg = AnalysisConfig(**{**options, "seeds": None if options["seeds"] is None
                            else tuple(options["seeds"]),
                            "stand_ins": tuple(options.get("stand_ins") or ())})
    return Analysis(
        cfg=cfg, runs=frame("runs"), cells=frame("cell_stats"),
        comparisons=split(frame("comparisons"), "family", drop=True),
        best=split(frame("best"), "experiment", drop=False),
        paper_vs=frame("paper_vs_reproduced"), claims=frame("claims"),
        claims_rollup=_frame(summary["claims_summary"], columns["claims_summary"]),
        failed=frame("failed_runs"), resources=frame("resources"), job_usage=frame("job_usage"),
        compute_summary=frame("compute"), curves=curves.astype(curve_types),
        curve_bands=frame("curve_bands"), plan=summary["plan"], left_out=summary["left_out"])
