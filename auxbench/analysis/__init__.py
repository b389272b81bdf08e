"""Statistics, the paper's numbers and claims, verdicts, tables and figures.

Entry points for the workflow (each takes paths; `runs_dir` may also be an `Analysis`):

    aggregate(runs_dir, out_dir, experiment_config=None, *, bench_json=None,
              benchmarks_dir=None) -> dict[str, str]
        CSVs runs, cells, comparisons, best, paper_vs_reproduced, claims, claims_summary,
        failed_runs, compute, and summary.json, in out_dir. Returns name -> path.

    make_tables(runs_dir, out_dir, experiment_config=None, *, bench_json=None,
                benchmarks_dir=None) -> dict[str, dict[str, str]]
        <name>.md / .tex (booktabs) / .csv for table2, table3, table4, table6, the figure data
        tables, paper_vs_reproduced, claims, failed_runs, compute; runs.csv; manifest.json.

    make_figures(runs_dir, out_dir, experiment_config=None, *, bench_json=None) -> list[dict]
        auxbench.experiments.FIGURE_NAMES as .png (150 dpi) and .pdf; manifest.json
        with one record per figure {name, png, pdf, caption, n, interval, test, status}.

    analyze(runs_dir, experiment_config=None, bench_json=None, benchmarks_dir=None,
            load_curves=True) -> Analysis
        Everything computed once, in memory (runs, cells, comparisons, best, paper_vs,
        claims, claims_rollup, failed, bench, compute, curves).

Arguments: `runs_dir` is `results/runs`; `experiment_config` is the workflow config mapping (see
`auxbench.analysis.options` for the keys read: scale, seeds, paper_datasets, analysis: {...});
`bench_json` is the `auxbench bench` output; `benchmarks_dir` holds Snakemake `benchmark:` TSVs.

    core.analyze_frames(runs, cfg, bench=None, compute=None, curves=None, runs_dir=None)
        -> Analysis: the same from an in-memory run table (auxbench.plan uses it to analyse
        only the planned runs).

Modules: runs (loading, RUN_COLUMNS), stats (intervals, tests, Holm), options (AnalysisConfig),
paper (the paper's numbers and claims as data), cells (per-cell summaries, table comparisons,
best cells), verdicts (numeric verdicts, claims, failed runs), core (Analysis), tables, figures,
style (names, colours, markers), pipeline (the entry points above), synthetic (run folders in
the real formats, for tests and demos).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Analysis", "AnalysisConfig", "aggregate", "analyze", "make_figures",
           "make_tables"]



def __getattr__(name: str) -> Any:  # lazy: importing the package does not load matplotlib
    if name in ("aggregate", "make_tables", "make_figures"):
        from . import pipeline

        return getattr(pipeline, name)
    if name in ("analyze", "Analysis"):
        from . import core

        return getattr(core, name)
    if name == "AnalysisConfig":
        from .options import AnalysisConfig

        return AnalysisConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
