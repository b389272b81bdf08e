"""The self-contained HTML report of a workflow run (results/report.html).

    build_report(out_html, data_dir, runs_dir, aggregate_dir, tables_dir, figures_dir,
                 logs_dir=None) -> Path

The folders are what the workflow's aggregate, tables and figures rules wrote (the aggregate's
result says what was planned); the run folders are read for their as-run records only. Modules:
builder (the sections), summary (the summary the page opens with), data (what it reads and
writes beside the page), html (the one table renderer).
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_report"]


def __getattr__(name: str) -> Any:  # lazy: importing auxbench.report stays cheap
    if name == "build_report":
        from .builder import build_report

        return build_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
