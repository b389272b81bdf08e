# auxbench: the reproduction of Trinh et al. (2018), "Learning Longer-term Dependencies in RNNs
# with Auxiliary Losses", as one Snakemake workflow: prepare data -> train every run -> aggregate
# -> tables, figures -> results/report.html.
#
#   snakemake --cores all                                   # default scale (real 8x8 digits)
#   snakemake --cores all --configfile config/lite.yaml     # real data, reduced
#   snakemake --workflow-profile workflow/profiles/slurm --configfile config/paper.yaml  # SLURM
#   snakemake --cores all --config results_only=True        # tables/figures/report from saved runs
#
# docs/workflow.md explains scales, cluster use, targeted reruns and the outputs.

from snakemake.utils import min_version

min_version("9.14.8")


# A --configfile replaces the default config (it is not merged into it); several --configfile
# are merged in order, and --config KEY=VALUE overrides top-level keys.
if not workflow.config_settings.configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"


# Seeds are numbers, methods the known five, settings and experiments plain names.
wildcard_constraints:
    **paths.WILDCARDS,


include: "workflow/rules/data.smk"


# Results only: no rule makes run files, so the saved ones are read as they are and nothing is
# retrained, even when the prepared data beside them is newer (copied from elsewhere, say).
if not RESULTS_ONLY:

    include: "workflow/rules/train.smk"


include: "workflow/rules/analysis.smk"
include: "workflow/rules/report.smk"


report: "workflow/report/workflow.rst"


# Quick jobs run on the submitting machine, not as cluster jobs.
localrules:
    all,
    workflow_config,
    aggregate,
    tables,
    figures,
    report,


# Submitting to SLURM: the cluster, the jobs' accounts and partitions are checked once, before
# any job is queued (auxbench/cluster.py), so a wrong setting is one message, not one per job.
onstart:
    if workflow.executor_plugin is not None and workflow.executor_plugin.name == "slurm":
        slurm_jobs = [job for job in workflow.dag.needrun_jobs() if not job.is_local]
        try:
            check_slurm({job.resources.get("slurm_account") for job in slurm_jobs},
                        {job.resources.get("slurm_partition") for job in slurm_jobs})
        except ConfigError as err:
            raise WorkflowError(str(err)) from None


rule all:
    """The report and everything it needs (default target)."""
    default_target: True
    input:
        final_targets(),
