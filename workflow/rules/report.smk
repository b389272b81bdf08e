# The report: one self-contained HTML page (inline CSS, figures as base64 PNG), with the per-seed
# raw numbers written as CSV next to it (results/report_data/).


rule report:
    """results/report.html: what ran, paper versus reproduced, tables, figures, provenance,
    compute, run health; CSVs of every seed in results/report_data/."""
    input:
        unpack(report_inputs),
    output:
        html=report(
            REPORT_HTML,
            caption="../report/report_html.rst",
            category="Report",
        ),
        per_seed=f"{REPORT_DATA_DIR}/per_seed_runs.csv",
        cells=f"{REPORT_DATA_DIR}/cells.csv",
        curves=f"{REPORT_DATA_DIR}/curves.csv",
        compute=f"{REPORT_DATA_DIR}/compute_per_run.csv",
    params:
        wf=WORKFLOW_JSON,
        code=REPORT_CODE,
        bench=bench_arg,
    log:
        f"{LOGS_DIR}/report.log",
    conda:
        CONDA_ENV
    shell:
        "auxbench report --workflow-config-json {params.wf:q} --runs {RUNS_DIR} "
        "--aggregate {AGGREGATE_DIR} --tables {TABLES_DIR} --figures {FIGURES_DIR} "
        "{params.bench} --benchmarks {TRAIN_BENCHMARKS_DIR} --logs {LOGS_DIR} "
        "--data-dir {REPORT_DATA_DIR} --out {output.html} > {log} 2>&1"
