"""Statistics, the paper's numbers and claims, verdicts, tables and figures.

The analysis runs once, in the workflow's aggregate job; the tables, figures and report jobs load
its result:

    analyze(runs_dir, experiment_config=None, resources_json=None, job_usage_dir=None, keys=None)
        -> Analysis: the runs `keys` (the planned ones; None: every run folder under
        `runs_dir`) and everything computed from them (cells, comparisons, best cells, paper
        versus reproduced, claims, failed runs, compute, curve bands).
    aggregate(analysis, out_dir) -> dict[str, str]
        its result in out_dir (auxbench.analysis.result): summary.json, curves.csv and a CSV
        per table of numbers.
    load(out_dir) -> Analysis
        the result back, as `analyze` computed it.
    make_tables(analysis, out_dir) -> dict[str, dict[str, str]]
        <name>.md / .tex (booktabs) / .csv of auxbench.experiments.table_names; runs.csv;
        manifest.json.
    make_figures(analysis, out_dir) -> list[dict]
        auxbench.experiments.figure_names as .png (150 dpi) and .pdf; manifest.json with one
        record per figure {name, png, pdf, caption, n, interval, test, status}.

`experiment_config` is the mapping `Plan.analysis_options` gives (auxbench.analysis.options);
`resources_json` is the resource benchmark's output; `job_usage_dir` holds Snakemake `benchmark:`
TSVs.

Modules: runs (reading run folders, RUN_COLUMNS), stats (intervals, tests, Holm), options
(AnalysisConfig), paper (the paper's numbers and claims as data), cells (per-cell summaries and
comparisons), curves (curve bands), verdicts (numeric verdicts, claims, failed runs), learning
(cells that learned or stayed at chance, runs that collapsed while their cell learned), core
(Analysis, analyze), result (saving and loading it), tables, figures, style (names, colours,
markers), pipeline (the entry points above), synthetic (run folders in the real formats, for
tests).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Analysis", "AnalysisConfig", "aggregate", "analyze", "load", "make_figures",
           "make_tables"]


def __getattr__(name: str) -> Any:  # lazy: importing the package does not load matplotlib
    if name in ("aggregate", "make_tables", "make_figures"):
        from . import pipeline

        return getattr(pipeline, name)
    if name in ("analyze", "Analysis"):
        from . import core

        return getattr(core, name)
    if name == "load":
        from .result import load

        return load
    if name == "AnalysisConfig":
        from .options import AnalysisConfig

        return AnalysisConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
