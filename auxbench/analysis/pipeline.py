"""What the workflow's analysis jobs call: aggregate computes, tables and figures draw on it."""

from __future__ import annotations

from pathlib import Path

from auxbench.atomic import write_json
from auxbench.paths import MANIFEST_JSON

from . import result
from .core import Analysis


def aggregate(a: Analysis, out_dir: str | Path) -> dict[str, str]:
    """Numbers only: the analysis's result (auxbench.analysis.result) in `out_dir`: summary.json,
    curves.csv and runs, cells, comparisons, best, paper_vs_reproduced, claims, claims_summary,
    failed_runs, compute as CSV. Returns name -> path."""
    return result.save(a, out_dir)


def make_tables(a: Analysis, out_dir: str | Path) -> dict[str, dict[str, str]]:
    """Every table as `<name>.md`, `<name>.tex`, `<name>.csv`, plus `runs.csv` and
    `manifest.json` (table name -> paths); the names: auxbench.experiments.table_names."""
    from .tables import write_tables

    written = write_tables(a, out_dir)
    write_json(Path(out_dir) / MANIFEST_JSON, written)
    return written


def make_figures(a: Analysis, out_dir: str | Path) -> list[dict]:
    """Every figure as PNG (150 dpi) and PDF, plus `manifest.json` (one record per figure: name,
    png, pdf, caption, n, interval, test, status). A figure without data is still written, as a
    panel saying so (status "no data")."""
    from .figures import write_figures

    records = [r.as_dict() for r in write_figures(a, out_dir)]
    write_json(Path(out_dir) / MANIFEST_JSON, records)
    return records
