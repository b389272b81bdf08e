"""The seeds of one cell trained by one job (`auxbench train --seeds`, the workflow's grouped
training jobs, `compute.group_seeds`): as one grouped model, except the seeds already finished.

Snakemake deletes every output of a job before it reruns it, so a grouped job rerun for one
member would otherwise retrain all of them. A member whose folder holds the finished record of
the same config and code (paths.FINISHED_RECORD) is written back from it byte for byte and not
retrained: deleting one seed's folder and rerunning retrains that seed alone. A job in which
every member is finished is a forced rerun, and retrains them all, as a rerun of one run does.
"""

from __future__ import annotations

import copy
from pathlib import Path

from auxbench.atomic import write_text
from auxbench.train.engine import TrainingRun, train_group


def member_runs(cfg: dict, seeds: list[int], run_dir: str, checkpoint_dir: str
                ) -> list[TrainingRun]:
    """One run per seed: the config with `run.seed` set, and the folders with `{seed}`
    filled in."""
    runs = []
    for seed in seeds:
        member = copy.deepcopy(cfg)
        member["run"]["seed"] = seed
        runs.append(TrainingRun(member, Path(run_dir.format(seed=seed)),
                                Path(checkpoint_dir.format(seed=seed))))
    return runs


def write_back(run: TrainingRun, record: dict) -> None:
    """A finished member's files from its record; a file already equal to it is not touched."""
    for name, text in record["files"].items():
        path = run.run_dir / name
        if not path.exists() or path.read_text() != text:
            write_text(path, text)


def train_seeds(runs: list[TrainingRun], record_failure: bool = False,
                retry_oom: bool = False) -> list[dict]:
    """Train the members not finished before as one group; the metrics of those trained."""
    records = [run.finished_record() for run in runs]
    todo = [run for run, record in zip(runs, records) if record is None] or runs
    for run, record in zip(runs, records):
        if run not in todo:
            write_back(run, record)
            run.log(f"[{run.label}] finished before with this config and code: kept")
    return train_group(todo, record_failure, retry_oom)
