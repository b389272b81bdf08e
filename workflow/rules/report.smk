# The report: one self-contained HTML page (inline CSS, figures as base64 PNG), with the per-seed
# raw numbers written as CSV next to it (results/report_data/).


rule report:
    """results/report.html: what ran, paper versus reproduced, tables, figures, provenance,
    compute, run health; CSVs of every seed in results/report_data/."""
    input:
        unpack(report_inputs),
    output:
        html=report(
            paths.REPORT_HTML,
            caption="../report/report_html.rst",
            category="Report",
        ),
        per_seed=f"{paths.REPORT_DATA_DIR}/per_seed_runs.csv",
        cells=f"{paths.REPORT_DATA_DIR}/cells.csv",
        curves=f"{paths.REPORT_DATA_DIR}/curves.csv",
        compute=f"{paths.REPORT_DATA_DIR}/compute_per_run.csv",
    params:
        code=REPORT_CODE,
        bench=bench_arg,
        runs=paths.RUNS_DIR,
        benchmarks=paths.TRAIN_BENCHMARKS_DIR,
        logs=paths.LOGS_DIR,
    log:
        paths.job_log("report"),
    conda:
        CONDA_ENV
    shell:
        "auxbench report --configfile {input.wf} --runs {params.runs} "
        "--aggregate $(dirname {input.summary}) --tables $(dirname {input.tables}) "
        "--figures $(dirname {input.figures}) {params.bench} --benchmarks {params.benchmarks} "
        "--logs {params.logs} --data-dir $(dirname {output.per_seed}) --out {output.html} "
        "> {log} 2>&1"
