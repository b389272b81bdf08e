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
        **{name: f"{paths.REPORT_DATA_DIR}/{name}.csv" for name in paths.REPORT_DATA},
    params:
        code=CODE["report"],
        runs=paths.RUNS_DIR,
        logs=paths.LOGS_DIR,
    log:
        paths.job_log("report"),
    conda:
        CONDA_ENV
    shell:
        "auxbench report --runs {params.runs} --aggregate $(dirname {input.summary}) "
        "--tables $(dirname {input.tables}) --figures $(dirname {input.figures}) "
        "--logs {params.logs} --data-dir $(dirname {output.cell_stats}) --out {output.html} "
        "> {log} 2>&1"
