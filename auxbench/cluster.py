"""What the workflow needs to know about running as cluster jobs: whether the cluster is
reachable and the jobs' account and partitions exist (checked once, before any job is queued;
the executor plugin would otherwise reject every job, and every retry, on its own), and how many
attempts a job has."""

from __future__ import annotations

import getpass
import os
import subprocess
from collections.abc import Callable, Iterable

from auxbench.errors import ConfigError

Runner = Callable[[list[str]], subprocess.CompletedProcess]
ACCOUNT_HINT = "set slurm_account in workflow/profiles/slurm or pass --default-resources " \
               "slurm_account=NAME"
PARTITION_HINT = "set slurm_partition in workflow/profiles/slurm (default-resources, and " \
                 "set-resources for train and resource_benchmark) or on the command line"


def run_command(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


def _listed(run: Runner, cmd: list[str]) -> tuple[set[str] | None, str]:
    """The non-empty lines `cmd` prints, or None and why it failed."""
    try:
        out = run(cmd)
    except FileNotFoundError:
        return None, f"`{cmd[0]}` is not installed here"
    if out.returncode != 0:
        return None, f"`{' '.join(cmd)}` says: {(out.stderr or out.stdout).strip()}"
    return {line.strip() for line in out.stdout.splitlines() if line.strip()}, ""


def slurm_problems(accounts: Iterable[str | None], partitions: Iterable[str | None],
                   run: Runner | None = None) -> list[str]:
    """What stops the jobs with these accounts and partitions (None: not given) from being
    submitted; empty when nothing does. `run` runs a SLURM command (default: run_command)."""
    run = run or run_command
    ping, why = _listed(run, ["scontrol", "ping"])
    if ping is None or not any("UP" in line for line in ping):
        return [(f"SLURM is not reachable: {why or ' '.join(sorted(ping))}. Run on a machine "
                 f"that can submit jobs (a login node), or point SLURM_CONF at the cluster's "
                 f"slurm.conf.")]
    problems = []
    known, why = _listed(run, ["sinfo", "-h", "-o", "%R"])
    for partition in sorted({p for p in partitions if p}):
        if known is None:
            problems.append(f"cannot list the partitions: {why}")
            break
        if partition not in known:
            problems.append(f"partition {partition!r} does not exist on this cluster (it has: "
                            f"{', '.join(sorted(known))}); {PARTITION_HINT}")
    mine, why = _listed(run, ["sacctmgr", "-n", "-P", "show", "assoc",
                              f"user={getpass.getuser()}", "format=account"])
    for account in sorted({a or "" for a in accounts}):
        if not account:
            problems.append(f"no SLURM account given; {ACCOUNT_HINT}"
                            + (f" (yours: {', '.join(sorted(mine))})" if mine else ""))
        elif mine is None:
            problems.append(f"cannot check account {account!r}: {why}")
        elif account not in mine:
            problems.append(f"account {account!r} is not one of yours ("
                            f"{', '.join(sorted(mine)) or 'none'}); {ACCOUNT_HINT}")
    return problems


def check_slurm(accounts: Iterable[str | None], partitions: Iterable[str | None]) -> None:
    problems = slurm_problems(accounts, partitions)
    if problems:
        raise ConfigError("the SLURM jobs cannot be submitted:\n  - " + "\n  - ".join(problems))


ATTEMPTS_ENV = "AUXBENCH_ATTEMPTS"


def job_attempts(main_process: bool, retries: int) -> int:
    """How many attempts a job has (--retries + 1) as the main Snakemake process knows it. A
    cluster job's own Snakemake runs with no retries, so the main process leaves the number in
    the environment that its jobs inherit (the SLURM plugin submits with --export=ALL)."""
    if main_process:
        os.environ[ATTEMPTS_ENV] = str(retries + 1)
    return int(os.environ.get(ATTEMPTS_ENV, retries + 1))
