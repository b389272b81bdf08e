# Training: one job per (experiment, dataset, method, setting, seed). The resolved run config is
# the only science parameter (params.cfg); params.code is the version of the training code.
# Checkpoints live in results/checkpoints/, which no rule declares: Snakemake deletes the outputs
# of a killed job, never the checkpoint, so rerunning the job (--rerun-incomplete) resumes it.
# After a successful run the engine renames the checkpoint final.pt, so a forced rerun starts
# afresh; a checkpoint made by other training code is set aside, never resumed.


rule train:
    """Train one run: metrics.json, curve.csv (one row per epoch), asrun.json."""
    input:
        manifest=train_manifest,
    output:
        **paths.run_outputs(paths.RUN_PATTERN),
    params:
        cfg=train_config_json,
        code=CODE["train"],
        run_dir=train_run_dir,
        ckpt=train_checkpoint_dir,
        runtime=RUNTIME_SET,
    log:
        paths.train_log(paths.RUN_PATTERN),
    benchmark:
        paths.train_job_usage(paths.RUN_PATTERN)
    threads: train_threads
    resources:
        mem_mb=train_mem_mb,
        runtime=train_runtime,
        gpu=train_gpu,
        # an out-of-memory before the last attempt exits 76 and Snakemake retries (--retries);
        # resources, not params, so that changing --retries retrains nothing
        attempt=lambda wildcards, attempt: attempt,
        attempts=train_attempts,
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} MKL_NUM_THREADS={threads} "
        "auxbench train --config-json {params.cfg:q} {params.runtime} "
        "--run-dir {params.run_dir:q} --checkpoint-dir {params.ckpt:q} --threads {threads} "
        "--record-failure --attempt {resources.attempt} --attempts {resources.attempts} "
        "> {log} 2>&1"


# With compute.group_seeds, the seeds of a recurrent cell train in one job as one grouped model
# (auxbench/train/seeds.py): one rule per group, named train_group_<i>, whose outputs are its
# members' run files, preferred to `train` for them. Deleting one member's run folder and
# rerunning retrains that member alone; the others are written back from their finished records.
for index, job in enumerate(PLAN.grouped_jobs):

    rule:
        name:
            f"train_group_{index}"
        input:
            manifest=PLAN.dataset_manifest(job[0].dataset),
        output:
            [f for run in job for f in paths.run_outputs(run.rel).values()],
        params:  # functions: a text with braces would be read as wildcards
            cfg=lambda wildcards, job=job: PLAN.train_json(job[0]),
            code=CODE["train"],
            seeds=",".join(str(run.seed) for run in job),
            run_dir=lambda wildcards, job=job: job[0].with_seed("{seed}").run_dir,
            ckpt=lambda wildcards, job=job: job[0].with_seed("{seed}").checkpoint_dir,
            runtime=RUNTIME_SET,
        log:
            paths.train_log(job[0].with_seed("-".join(str(run.seed) for run in job)).rel),
        benchmark:
            PLAN.job_usage(job[0])
        threads: PLAN.group_compute(job)["threads"]
        resources:
            mem_mb=PLAN.group_compute(job)["mem_mb"],
            runtime=PLAN.group_compute(job)["runtime"],
            gpu=PLAN.group_compute(job)["gpu"],
            attempt=lambda wildcards, attempt: attempt,
            attempts=train_attempts,
        conda:
            CONDA_ENV
        shell:
            "OMP_NUM_THREADS={threads} MKL_NUM_THREADS={threads} "
            "auxbench train --config-json {params.cfg:q} {params.runtime} --seeds {params.seeds} "
            "--run-dir {params.run_dir:q} --checkpoint-dir {params.ckpt:q} --threads {threads} "
            "--record-failure --attempt {resources.attempt} --attempts {resources.attempts} "
            "> {log} 2>&1"

    workflow.ruleorder(f"train_group_{index}", "train")


rule resource_benchmark:
    """Table 3: training-step time and peak memory against sequence length (auxbench resources)."""
    output:
        json=paths.RESOURCES_JSON,
        cfg=paths.RESOURCES_CONFIG,
    params:
        cfg=resource_config_json,
        cases=resource_cases,
        lengths=resource_lengths,
        code=CODE["resources"],
        runtime=RUNTIME_SET,
    log:
        paths.job_log("resource_benchmark"),
    threads: PLAN.compute("bench")["threads"]
    resources:
        mem_mb=PLAN.compute("bench")["mem_mb"],
        runtime=PLAN.compute("bench")["runtime"],
        gpu=PLAN.compute("bench")["gpu"],
    conda:
        CONDA_ENV
    shell:
        "printf '%s\\n' {params.cfg:q} > {output.cfg}; "
        "OMP_NUM_THREADS={threads} MKL_NUM_THREADS={threads} "
        "auxbench resources --config {output.cfg} {params.runtime} --set runtime.threads={threads} "
        "--cases {params.cases} --lengths {params.lengths} --out {output.json} > {log} 2>&1"
