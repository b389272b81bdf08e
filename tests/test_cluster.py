"""The checks before a workflow submits to SLURM (auxbench/cluster.py), against the answers of
the SLURM commands, and the attempts a cluster job learns from the main process."""

from __future__ import annotations

import subprocess

import pytest

from auxbench import cluster


def slurm(ping="Slurmctld(primary) at head is UP", partitions="cpu\ngpu\n", accounts="lab\n",
          missing=()):
    """A runner answering scontrol ping, sinfo and sacctmgr like a cluster would."""
    def run(cmd):
        if cmd[0] in missing:
            raise FileNotFoundError(cmd[0])
        out = {"scontrol": ping, "sinfo": partitions, "sacctmgr": accounts}[cmd[0]]
        rc = 1 if cmd[0] == "scontrol" and "DOWN" in ping else 0
        return subprocess.CompletedProcess(cmd, rc, out, "")
    return run


def test_a_cluster_with_the_jobs_account_and_partitions_passes():
    assert cluster.slurm_problems({"lab"}, {"cpu", "gpu", None}, slurm()) == []


def test_an_unreachable_cluster_is_the_only_problem_named():
    down = slurm(ping="Slurmctld(primary) at head is DOWN")
    problems = cluster.slurm_problems({"nope"}, {"nope"}, down)
    assert len(problems) == 1 and "SLURM is not reachable" in problems[0]
    assert "DOWN" in problems[0] and "SLURM_CONF" in problems[0]
    absent = cluster.slurm_problems({"lab"}, {"cpu"}, slurm(missing=("scontrol",)))
    assert absent == [absent[0]] and "`scontrol` is not installed here" in absent[0]


def test_an_unknown_partition_names_the_ones_there_are():
    (problem,) = cluster.slurm_problems({"lab"}, {"cpu", "a100"}, slurm())
    assert "partition 'a100' does not exist" in problem and "cpu, gpu" in problem
    assert "slurm_partition" in problem


@pytest.mark.parametrize("account, says", [
    (None, "no SLURM account given"),
    ("your_account", "account 'your_account' is not one of yours (lab)"),
])
def test_a_missing_or_wrong_account_says_which_accounts_are_yours(account, says):
    (problem,) = cluster.slurm_problems({account}, {"cpu"}, slurm())
    assert says in problem and "slurm_account" in problem and "lab" in problem


def test_every_problem_is_named_once_in_one_error(monkeypatch):
    monkeypatch.setattr(cluster, "run_command", slurm())
    with pytest.raises(cluster.ConfigError) as err:
        cluster.check_slurm({"x", "y"}, {"a100"})
    text = str(err.value)
    assert text.count("\n  - ") == 3 and "'x'" in text and "'y'" in text and "'a100'" in text


def test_a_cluster_job_has_the_attempts_of_the_main_process(monkeypatch):
    """The main process runs with --retries 2; the job's own Snakemake with none."""
    monkeypatch.delenv(cluster.ATTEMPTS_ENV, raising=False)
    assert cluster.job_attempts(main_process=True, retries=2) == 3
    assert cluster.job_attempts(main_process=False, retries=0) == 3  # inherited environment
    monkeypatch.delenv(cluster.ATTEMPTS_ENV)
    assert cluster.job_attempts(main_process=False, retries=0) == 1  # run by hand: its own
