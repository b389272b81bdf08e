# Aggregation, tables and figures (auxbench.analysis). The aggregate reads the planned runs only
# (run folders of an earlier config in the same results/runs are left out, planned runs without
# a folder are reported as missing; with results_only: true it reads the run files present) and
# computes everything once; the tables and figures draw on its result.


rule workflow_config:
    """Save the workflow config in effect (files + --config) next to the results."""
    output:
        paths.WORKFLOW_CONFIG,
    params:
        wf=WORKFLOW_JSON,
    log:
        paths.job_log("workflow_config"),
    conda:
        CONDA_ENV
    shell:
        "printf '%s\\n' {params.wf:q} > {output} 2> {log}"


rule aggregate:
    """Per-seed runs -> per-cell n, mean, SD, bootstrap CI, tests, verdicts, claims, curve bands:
    the analysis's one result (summary.json, curves.csv), read by tables, figures and report."""
    input:
        unpack(analysis_inputs),
    output:
        summary=AGGREGATE_SUMMARY,
        curves=AGGREGATE_CURVES,
        runs=f"{paths.AGGREGATE_DIR}/runs.csv",
        cell_stats=f"{paths.AGGREGATE_DIR}/cell_stats.csv",
        comparisons=f"{paths.AGGREGATE_DIR}/comparisons.csv",
        paper_vs=f"{paths.AGGREGATE_DIR}/paper_vs_reproduced.csv",
        claims=f"{paths.AGGREGATE_DIR}/claims.csv",
    params:
        code=CODE["aggregate"],
        resources=resources_arg,
        runs=paths.RUNS_DIR,
        job_usage=paths.TRAIN_JOB_USAGE_DIR,
    log:
        paths.job_log("aggregate"),
    conda:
        CONDA_ENV
    shell:
        "auxbench aggregate --configfile {input.wf} --runs {params.runs} "
        "{params.resources} --job-usage {params.job_usage} --out $(dirname {output.summary}) "
        "> {log} 2>&1"


rule tables:
    """The paper's tables with our numbers beside its own (Markdown, LaTeX, CSV)."""
    input:
        summary=AGGREGATE_SUMMARY,
    output:
        manifest=TABLES_MANIFEST,
        md=[
            report(
                f"{paths.TABLES_DIR}/{name}.md",
                caption="../report/table.rst",
                category="Tables",
                labels={"table": name},
            )
            for name in TABLE_NAMES
        ],
        csv=[f"{paths.TABLES_DIR}/{name}.csv" for name in TABLE_NAMES],
        tex=[f"{paths.TABLES_DIR}/{name}.tex" for name in TABLE_NAMES],
    params:
        code=CODE["tables"],
    log:
        paths.job_log("tables"),
    conda:
        CONDA_ENV
    shell:
        "auxbench tables --aggregate $(dirname {input.summary}) "
        "--out $(dirname {output.manifest}) > {log} 2>&1"


rule figures:
    """The paper's figures, with error bars or bands over seeds (PNG and PDF)."""
    input:
        summary=AGGREGATE_SUMMARY,
        curves=AGGREGATE_CURVES,
    output:
        manifest=FIGURES_MANIFEST,
        png=[
            report(
                f"{paths.FIGURES_DIR}/{name}.png",
                caption="../report/figure.rst",
                category="Figures",
                labels={"figure": name},
            )
            for name in FIGURE_NAMES
        ],
        pdf=[f"{paths.FIGURES_DIR}/{name}.pdf" for name in FIGURE_NAMES],
    params:
        code=CODE["figures"],
    log:
        paths.job_log("figures"),
    conda:
        CONDA_ENV
    shell:
        "auxbench figures --aggregate $(dirname {input.summary}) "
        "--out $(dirname {output.manifest}) > {log} 2>&1"
