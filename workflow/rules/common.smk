# Helpers of the workflow: the config check, the plan, input functions, params and resources.
# The logic lives in auxbench (the plan: plan.py; where files go: paths.py; which tables and
# figures: experiments.py; tested without Snakemake); this file only adapts it to Snakemake.
# Rules never compute anything themselves.

import json
import shlex
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from auxbench import experiments, paths, workflow_config
from auxbench import plan as planmod
from auxbench.cluster import check_slurm, job_attempts
from auxbench.errors import ConfigError
from auxbench.versioning import command_version

CONDA_ENV = "../../environment.yml"  # relative to workflow/rules/ (for --sdm conda)
SCHEMA = "../schemas/config.schema.yaml"  # relative to this file (snakemake.utils.validate)
SCHEMA_PATH = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"


def _coerce_cli_bool(value):
    """`--config results_only=true` arrives as the string 'true'; accept the usual spellings."""
    if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.lower() in ("true", "yes", "1")
    return value


if "results_only" in config:
    config["results_only"] = _coerce_cli_bool(config["results_only"])


def _config_error(err):
    files = [str(f) for f in workflow.config_settings.configfiles] or ["config/config.yaml"]
    msg = str(err).removeprefix("workflow config: ")
    return WorkflowError(f"Invalid workflow config ({', '.join(files)}):\n  {msg}\n"
                         f"Nothing was run. See workflow/schemas/config.schema.yaml for the keys.")


# 1. Validate the config before any job starts: a readable one-line message first (it names the
#    key), then Snakemake's own validation against the same schema (the convention).
try:
    workflow_config.check_schema(config, SCHEMA_PATH)
except ConfigError as err:
    raise _config_error(err) from None
validate(config, SCHEMA)

# 2. The plan: every run, its paths and its resolved run config (also validated here).
try:
    PLAN = planmod.Plan(config, check_structure=False)
except ConfigError as err:
    raise _config_error(err) from None

RESULTS_ONLY = PLAN.results_only
DATA_ROOT = PLAN.data_root

# The code each job runs: the version of the `auxbench` command its rule calls (the modules that
# command imports, see auxbench.versioning). Snakemake reruns a job when its params change, so
# passing these versions as params retrains after a model edit but not after a plot edit.
CODE = {command: command_version(command)
        for command in ("prepare", "train", "resources", "aggregate", "tables", "figures", "report")}

# The whole workflow config, saved as results/workflow_config.json for the aggregate job (it
# rebuilds the plan from it, and passes what was planned on to tables, figures and report) and
# for whoever reads the results later.
WORKFLOW_JSON = json.dumps(config, sort_keys=True, separators=(",", ":"))
# Runtime settings (device, data folder) of `auxbench train`/`resources`, as --set arguments.
RUNTIME_SET = " ".join(f"--set {shlex.quote(item)}" for item in PLAN.runtime_overrides())
PREPARE_ARGS = f"--data-root {shlex.quote(DATA_ROOT)}" + (
    f" --mirror {shlex.quote(str(PLAN.data_mirror))}" if PLAN.data_mirror else "")
RESOURCE_BENCHMARK = PLAN.resource_experiment()


# ----------------------------------------------------------------------------- data
def prepare_spec(wildcards):
    prepared = PLAN.prepared()
    if wildcards.key not in prepared:
        raise WorkflowError(f"dataset {wildcards.key!r} is not used by this workflow config")
    return prepared[wildcards.key]


def prepare_name(wildcards):
    return prepare_spec(wildcards)["name"]


def prepare_options(wildcards):
    """`-o key=value` arguments of `auxbench prepare` (values as JSON, which YAML reads back)."""
    spec = prepare_spec(wildcards)
    return " ".join(f"-o {shlex.quote(f'{k}={json.dumps(v)}')}"
                    for k, v in spec.items() if k != "name")


# ----------------------------------------------------------------------------- training
def run_of(wildcards):
    try:
        return PLAN.find_run(wildcards.experiment, wildcards.dataset, wildcards.method,
                             wildcards.setting, wildcards.seed)
    except ConfigError as err:
        raise WorkflowError(str(err)) from None


def train_manifest(wildcards):
    return PLAN.dataset_manifest(run_of(wildcards).dataset)


def train_config_json(wildcards):
    return PLAN.train_json(run_of(wildcards))


def train_run_dir(wildcards):
    return run_of(wildcards).run_dir


def train_checkpoint_dir(wildcards):
    return run_of(wildcards).checkpoint_dir


def train_threads(wildcards):
    return PLAN.compute("train", run_of(wildcards))["threads"]


def train_attempts(wildcards) -> int:
    return job_attempts(workflow.is_main_process, workflow.execution_settings.retries)


def train_mem_mb(wildcards):
    return PLAN.compute("train", run_of(wildcards))["mem_mb"]


def train_runtime(wildcards):
    return PLAN.compute("train", run_of(wildcards))["runtime"]


def train_gpu(wildcards):
    return PLAN.compute("train", run_of(wildcards))["gpu"]


# ----------------------------------------------------------------------------- resource benchmark
def resource_config_json(wildcards):
    return json.dumps(PLAN.resource_config(), sort_keys=True, separators=(",", ":"))


def resource_cases(wildcards):
    return ",".join(RESOURCE_BENCHMARK[1]["cases"])


def resource_lengths(wildcards):
    return ",".join(str(n) for n in RESOURCE_BENCHMARK[1]["lengths"])


# ----------------------------------------------------------------------------- analysis
def existing_run_files(name):
    """Run files already on disk (results-only mode reads what is there)."""
    return sorted(str(p) for p in Path(paths.RUNS_DIR).glob(f"{paths.RUN_GLOB}/{name}"))


def analysis_inputs(wildcards):
    """What aggregate reads: every run that trains (or, results only, the run files present), the
    training jobs' usage (Snakemake benchmark TSVs), and the resource benchmark when run."""
    if RESULTS_ONLY:
        inputs = {"wf": paths.WORKFLOW_CONFIG, "metrics": existing_run_files("metrics.json"),
                  "curves": existing_run_files("curve.csv")}
        if Path(paths.RESOURCES_JSON).is_file():
            inputs["resources"] = paths.RESOURCES_JSON
        return inputs
    trained = PLAN.trained_runs  # a run shared by two experiments is trained once
    inputs = {"wf": paths.WORKFLOW_CONFIG,
              "metrics": [f"{r.run_dir}/metrics.json" for r in trained],
              "curves": [f"{r.run_dir}/curve.csv" for r in trained],
              "job_usage": sorted({PLAN.job_usage(r) for r in trained})}
    if RESOURCE_BENCHMARK is not None:
        inputs["resources"] = paths.RESOURCES_JSON
    return inputs


def resources_arg(wildcards, input):
    return f"--resources {shlex.quote(input.resources)}" if "resources" in input.keys() else ""


AGGREGATE_SUMMARY = f"{paths.AGGREGATE_DIR}/{paths.SUMMARY_JSON}"
AGGREGATE_CURVES = f"{paths.AGGREGATE_DIR}/{paths.CURVES_CSV}"
TABLES_MANIFEST = f"{paths.TABLES_DIR}/{paths.MANIFEST_JSON}"
FIGURES_MANIFEST = f"{paths.FIGURES_DIR}/{paths.MANIFEST_JSON}"


def report_inputs(wildcards):
    """The analysis's result, the tables and figures, and (when prepared here) the datasets'
    manifests, which the report cites."""
    inputs = {"summary": AGGREGATE_SUMMARY, "curves": AGGREGATE_CURVES,
              "tables": TABLES_MANIFEST, "figures": FIGURES_MANIFEST}
    if not RESULTS_ONLY:
        inputs["manifests"] = sorted({PLAN.manifest_path(k) for k in PLAN.prepared()})
    return inputs


# What the tables and figures rules write (auxbench.experiments, as the analysis does).
TABLE_NAMES = experiments.table_names({r.experiment for r in PLAN.runs})
FIGURE_NAMES = experiments.figure_names(PLAN.experiments())


def final_targets():
    return [paths.REPORT_HTML, AGGREGATE_SUMMARY, TABLES_MANIFEST, FIGURES_MANIFEST]

