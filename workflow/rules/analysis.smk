# Aggregation, tables and figures (auxbench.analysis), from the planned runs only: run folders
# of an earlier config in the same results/runs are left out, and planned runs without a folder
# are reported as missing. With results_only: true, these rules read the run files present.


rule workflow_config:
    """Save the workflow config in effect (files + --config) next to the results."""
    output:
        WORKFLOW_CONFIG,
    params:
        wf=WORKFLOW_JSON,
    log:
        f"{LOGS_DIR}/workflow_config.log",
    conda:
        CONDA_ENV
    shell:
        "printf '%s\\n' {params.wf:q} > {output} 2> {log}"


rule aggregate:
    """Per-seed runs -> per-cell n, mean, SD, bootstrap CI, tests, verdicts, claims (CSV, JSON)."""
    input:
        unpack(analysis_inputs),
    output:
        summary=f"{AGGREGATE_DIR}/summary.json",
        runs=f"{AGGREGATE_DIR}/runs.csv",
        cells=f"{AGGREGATE_DIR}/cells.csv",
        comparisons=f"{AGGREGATE_DIR}/comparisons.csv",
        paper_vs=f"{AGGREGATE_DIR}/paper_vs_reproduced.csv",
        claims=f"{AGGREGATE_DIR}/claims.csv",
    params:
        code=CODE["aggregate"],
        bench=bench_arg,
        runs=RUNS_DIR,
        benchmarks=TRAIN_BENCHMARKS_DIR,
    log:
        f"{LOGS_DIR}/aggregate.log",
    conda:
        CONDA_ENV
    shell:
        "auxbench aggregate --configfile {input.wf} --runs {params.runs} "
        "{params.bench} --benchmarks {params.benchmarks} --out $(dirname {output.summary}) "
        "> {log} 2>&1"


rule tables:
    """The paper's tables with our numbers beside its own (Markdown, LaTeX, CSV)."""
    input:
        unpack(analysis_inputs),
    output:
        manifest=f"{TABLES_DIR}/manifest.json",
        md=[
            report(
                f"{TABLES_DIR}/{name}.md",
                caption="../report/table.rst",
                category="Tables",
                labels={"table": name},
            )
            for name in table_names()
        ],
        csv=[f"{TABLES_DIR}/{name}.csv" for name in table_names()],
        tex=[f"{TABLES_DIR}/{name}.tex" for name in table_names()],
    params:
        code=CODE["tables"],
        bench=bench_arg,
        runs=RUNS_DIR,
        benchmarks=TRAIN_BENCHMARKS_DIR,
    log:
        f"{LOGS_DIR}/tables.log",
    conda:
        CONDA_ENV
    shell:
        "auxbench tables --configfile {input.wf} --runs {params.runs} "
        "{params.bench} --benchmarks {params.benchmarks} --out $(dirname {output.manifest}) "
        "> {log} 2>&1"


rule figures:
    """The paper's figures, with error bars or bands over seeds (PNG and PDF)."""
    input:
        unpack(analysis_inputs),
    output:
        manifest=f"{FIGURES_DIR}/manifest.json",
        png=[
            report(
                f"{FIGURES_DIR}/{name}.png",
                caption="../report/figure.rst",
                category="Figures",
                labels={"figure": name},
            )
            for name in FIGURE_NAMES
        ],
        pdf=[f"{FIGURES_DIR}/{name}.pdf" for name in FIGURE_NAMES],
    params:
        code=CODE["figures"],
        bench=bench_arg,
        runs=RUNS_DIR,
        benchmarks=TRAIN_BENCHMARKS_DIR,
    log:
        f"{LOGS_DIR}/figures.log",
    conda:
        CONDA_ENV
    shell:
        "auxbench figures --configfile {input.wf} --runs {params.runs} "
        "{params.bench} --out $(dirname {output.manifest}) > {log} 2>&1"
