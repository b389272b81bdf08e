# Data preparation: one job per prepared dataset (a prepared cache key, see auxbench.data).
# Embedded datasets are generated from their seed; real ones are taken from data.mirror, the
# data root's raw/ folder, or downloaded, and verified by SHA-256 (auxbench prepare).


rule prepare_dataset:
    """Generate or download, verify and cache one dataset under <data root>/prepared/<key>/."""
    output:
        manifest=paths.manifest_path(DATA_ROOT, "{key}"),
    params:
        name=prepare_name,
        options=prepare_options,
        code=CODE["prepare"],
        where=PREPARE_ARGS,
    log:
        paths.prepare_log("{key}"),
    threads: PLAN.compute("prepare")["threads"]
    resources:
        mem_mb=PLAN.compute("prepare")["mem_mb"],
        runtime=PLAN.compute("prepare")["runtime"],
    conda:
        CONDA_ENV
    shell:
        "auxbench prepare {params.name} {params.options} {params.where} > {log} 2>&1"
