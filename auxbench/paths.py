"""Where everything lives: the results layout, a run's key with its paths, and the parser back.

The layout is the user's contract (docs/workflow.md). The Snakemake rules, the plan, the training
engine, the analysis, the report and the command line's defaults all take their paths from here,
so a change to it is made once. Importable without torch or pandas (the Snakefile imports it).
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass, fields, replace
from pathlib import Path
from typing import Any

from auxbench.methods import NAMES as METHODS

RESULTS = "results"
RUNS_DIR = f"{RESULTS}/runs"
CHECKPOINTS_DIR = f"{RESULTS}/checkpoints"
LOGS_DIR = f"{RESULTS}/logs"
# Snakemake's record of each training job (its `benchmark:` file: wall and CPU time, memory).
TRAIN_JOB_USAGE_DIR = f"{RESULTS}/job_usage/train"
# Table 3's resource benchmark (`auxbench resources`): its records and the run config it used.
RESOURCES_JSON = f"{RESULTS}/resource_benchmark/resources.json"
RESOURCES_CONFIG = f"{RESULTS}/resource_benchmark/config.json"
AGGREGATE_DIR = f"{RESULTS}/aggregate"
TABLES_DIR = f"{RESULTS}/tables"
FIGURES_DIR = "figures"  # top level: the figures are what a reader looks for first
SUMMARY_JSON = "summary.json"  # in AGGREGATE_DIR, with CURVES_CSV: the analysis's result
CURVES_CSV = "curves.csv"
MANIFEST_JSON = "manifest.json"  # in TABLES_DIR and FIGURES_DIR: what was written
REPORT_HTML = f"{RESULTS}/report.html"
REPORT_DATA_DIR = f"{RESULTS}/report_data"
REPORT_DATA = ("per_seed_runs", "cell_stats", "curves", "compute_per_run")  # CSVs the report links
WORKFLOW_CONFIG = f"{RESULTS}/workflow_config.json"
# The files every training run writes (docs/architecture.md), by the name the train rule gives them.
RUN_FILES = {"metrics": "metrics.json", "curve": "curve.csv", "asrun": "asrun.json"}
# A completed run's copy of those files, beside them and not a Snakemake output: when a grouped
# job reruns (Snakemake first deletes every member's outputs), members whose copy is current are
# written back from it, not retrained (auxbench.train.seeds).
FINISHED_RECORD = ".finished.json"

# A run's folder below RUNS_DIR (and CHECKPOINTS_DIR, and its log and job usage below theirs).
# As written it is also the Snakemake output pattern; RunKey.parse reads it back.
RUN_PATTERN = "{experiment}/{dataset}/{method}-{setting}/seed{seed}"
RUN_GLOB = "*/*/*/seed*"  # every candidate folder, well named or not (parse refuses the others)
_FIELD_RE = {"method": "[^/-]+", "seed": "[0-9]+"}  # the method is the part before the first -
_RUN_RE = re.compile("(?:^|/)" + re.sub(
    r"\\\{(\w+)\\\}", lambda m: f"(?P<{m[1]}>{_FIELD_RE.get(m[1], '[^/]+')})",
    re.escape(RUN_PATTERN)) + "$")
RUN_TEMPLATE = RUN_PATTERN.replace("{", "<").replace("}", ">")  # for messages

# Snakemake's wildcard constraints of the paths above: seeds are numbers, methods the known ones,
# experiments and settings plain names (the workflow schema's `name`).
NAME = r"[A-Za-z0-9_]+"
WILDCARDS = {"experiment": NAME, "dataset": r"[A-Za-z0-9_.]+", "method": "|".join(METHODS),
             "setting": NAME, "seed": r"[0-9]+"}


@dataclass(frozen=True, order=True)
class RunKey:
    """One training run's identity: (experiment, dataset id, method, setting, seed)."""

    experiment: str
    dataset: str
    method: str
    setting: str
    seed: int

    @property
    def rel(self) -> str:
        """The run's folder below RUNS_DIR, e.g. `table2/mnist/rlstm-t300/seed0`."""
        return RUN_PATTERN.format(**self.as_keys())

    @property
    def run_dir(self) -> str:
        return run_dir(self.rel)

    @property
    def checkpoint_dir(self) -> str:
        return checkpoint_dir(self.rel)

    @property
    def log(self) -> str:
        return train_log(self.rel)

    @property
    def job_usage(self) -> str:
        return train_job_usage(self.rel)

    def with_seed(self, seed: int | str) -> RunKey:
        """The same cell's run of another seed; a text seed ("{seed}") makes a folder pattern."""
        return replace(self, seed=seed)

    def folder(self, runs_dir: str | Path) -> Path:
        """The run's folder below another runs folder (an archive, a test's tree)."""
        return Path(runs_dir) / self.rel

    def outputs(self) -> list[str]:
        return list(run_outputs(self.rel).values())

    def as_keys(self) -> dict[str, Any]:
        return dict(zip(KEY_FIELDS, astuple(self)))

    def as_dict(self) -> dict[str, Any]:
        return {**self.as_keys(), "run_dir": self.run_dir}

    @classmethod
    def of(cls, row) -> RunKey:
        """The key of a mapping (or table row) with the five key fields."""
        return cls(*(row[k] for k in KEY_FIELDS[:-1]), int(row["seed"]))

    @classmethod
    def parse(cls, path: str | Path) -> RunKey | None:
        """The run key a path ends with (`.../<experiment>/.../seed<k>`), or None."""
        m = _RUN_RE.search(Path(path).as_posix())
        return None if m is None else cls(**{**m.groupdict(), "seed": int(m["seed"])})


KEY_FIELDS = tuple(f.name for f in fields(RunKey))


def run_dir(rel: str) -> str:
    return f"{RUNS_DIR}/{rel}"


def checkpoint_dir(rel: str) -> str:
    return f"{CHECKPOINTS_DIR}/{rel}"


def run_outputs(rel: str) -> dict[str, str]:
    return {name: f"{run_dir(rel)}/{file}" for name, file in RUN_FILES.items()}


def job_log(job: str, logs_dir: str | Path = LOGS_DIR) -> str:
    return f"{logs_dir}/{job}.log"


def train_log(rel: str, logs_dir: str | Path = LOGS_DIR) -> str:
    return job_log(f"train/{rel}", logs_dir)


def prepare_log(key: str) -> str:
    return job_log(f"prepare/{key}")


def train_job_usage(rel: str) -> str:
    """Snakemake's `benchmark:` file of a training job (wall time, CPU time, memory)."""
    return f"{TRAIN_JOB_USAGE_DIR}/{rel}.tsv"


def prepared_dir(data_root: str, key: str) -> str:
    """The prepared cache of one dataset (docs/architecture.md)."""
    return f"{data_root}/prepared/{key}"


def manifest_path(data_root: str, key: str) -> str:
    return f"{prepared_dir(data_root, key)}/manifest.json"
