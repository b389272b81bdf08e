"""The self-contained HTML report of a workflow run (results/report.html).

    build_report(plan, out_html, data_dir, runs_dir, aggregate_dir, tables_dir, figures_dir,
                 bench_json=None, benchmarks_dir=None, logs_dir=None) -> Path

`plan` is an `auxbench.plan.Plan`; the folders are what the workflow's aggregate, tables and
figures rules wrote. See `auxbench.report.builder` for the sections.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_report"]


def __getattr__(name: str) -> Any:  # lazy: importing auxbench.report stays cheap
    if name == "build_report":
        from .builder import build_report

        return build_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
