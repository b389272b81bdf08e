"""The cluster path on a real SLURM (`-m slurm`): cluster/local-slurm brings up a one-node cluster
(SLURM 22.05 from Debian, munge, slurmdbd on MariaDB); the workflow runs through
workflow/profiles/slurm and snakemake-executor-plugin-slurm with only the account and partition
given on the command line; a training job signalled through SLURM checkpoints, is retried or
requeued, resumes and ends where an uninterrupted run ends; wrong settings stop the workflow with
one message before any job is queued.

Needs root, the Debian packages `.ci/run` installs and the executor plugin (the `slurm` extra);
skipped without any of them, with the reason and the command that installs it, unless
AUXBENCH_REQUIRE_SLURM=1 (CI), which makes anything missing a failure. AUXBENCH_SLURM_SCOPE=subset
(CI, for time) runs Table 2's first seed of the smoke DAG instead of the whole of it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from auxbench import plan as planmod

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"
SMOKE = REPO / "config" / "smoke.yaml"
LOCAL_SLURM = REPO / "cluster" / "local-slurm"
ACCOUNT = PARTITION = "auxbench"  # cluster/local-slurm's
# only the account and partition are set here; the profile sets the rest (the two status
# settings only make the test quicker than the plugin's 40 s first wait)
SLURM_ARGS = ["--workflow-profile", str(REPO / "workflow/profiles/slurm"),
              "--slurm-init-seconds-before-status-checks", "2",
              "--seconds-between-status-checks", "2"]
PLACE = ["--default-resources", f"slurm_account={ACCOUNT}", f"slurm_partition={PARTITION}",
         "--set-resources", f"train:slurm_partition={PARTITION}",
         f"resource_benchmark:slurm_partition={PARTITION}"]
VOLATILE = ("wall_time_s", "peak_memory_mb", "resumed", "data_loading_fraction")

PACKAGES = "slurm-wlm slurmdbd munge mariadb-server"  # .ci/run's


def missing_cluster() -> list[str]:
    """What the one-node cluster and the SLURM profile need and this machine lacks, each with the
    command that supplies it."""
    missing = []
    tools = ("sbatch", "sacct", "slurmctld", "slurmd", "slurmdbd", "munged", "mariadbd")
    absent = [t for t in tools if shutil.which(t) is None and shutil.which(t, path="/usr/sbin")
              is None]
    if absent:
        missing.append(f"the SLURM Debian packages ({', '.join(absent)} not found): "
                       f"apt-get install {PACKAGES}")
    if os.geteuid() != 0:
        missing.append("root: cluster/local-slurm starts daemons; run the tests as root")
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        missing.append("the Snakemake executor plugin for SLURM: pip install -e \".[slurm]\"")
    return missing


def on_the_cluster(test):
    """The marks of a test that runs jobs on the cluster (every test here but the rule's own)."""
    return pytest.mark.slurm(pytest.mark.slow(test))


def require_cluster() -> None:
    """Skip when anything the SLURM tests need is missing; fail instead under
    AUXBENCH_REQUIRE_SLURM=1 (CI), where a missing piece must not pass unnoticed."""
    missing = missing_cluster()
    if not missing:
        return
    why = "the SLURM tests need " + "; ".join(missing)
    if os.environ.get("AUXBENCH_REQUIRE_SLURM") == "1":
        pytest.fail(f"{why} (AUXBENCH_REQUIRE_SLURM=1)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def slurm_env():
    """A running one-node cluster (started here and stopped after, unless it was already up)
    and the environment its commands need."""
    require_cluster()
    env = {**os.environ, "PATH": f"{os.environ['PATH']}:/usr/sbin"}
    status = subprocess.run([LOCAL_SLURM, "status"], capture_output=True, text=True, env=env,
                            check=True)
    was_up = "slurmd: running" in status.stdout
    up = subprocess.run([LOCAL_SLURM, "up"], capture_output=True, text=True, env=env,
                        timeout=300, check=False)
    assert up.returncode == 0, up.stdout + up.stderr
    conf = subprocess.run([LOCAL_SLURM, "env"], capture_output=True, text=True, env=env,
                          check=True)
    env["SLURM_CONF"] = conf.stdout.strip().split("=", 1)[1]
    yield env
    if not was_up:
        subprocess.run([LOCAL_SLURM, "down"], env=env, timeout=120, check=True)


def snakemake(wd: Path, *args: str, env: dict, configs: list[str], timeout: int = 900,
              background: bool = False):
    cmd = ["snakemake", "-s", str(SNAKEFILE), "--directory", str(wd), *args,
           "--configfile", *configs]
    if background:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=env)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                          check=False)


def sacct(env: dict, wd: Path, *fields: str) -> list[list[str]]:
    """The SLURM jobs submitted from the workflow folder `wd`, in order: the given fields."""
    out = subprocess.run(["sacct", "-n", "-P", "-X", "-S", "now-1hour", "-o",
                          ",".join(("WorkDir", *fields))],
                         capture_output=True, text=True, env=env, check=True).stdout
    rows = [line.split("|") for line in out.splitlines() if line.strip()]
    return [row[1:] for row in rows if row[0] == str(wd)]


def smoke_configs(tmp: Path) -> list[str]:
    if os.environ.get("AUXBENCH_SLURM_SCOPE", "whole") != "subset":
        return [str(SMOKE)]
    cfg = yaml.safe_load(SMOKE.read_text())
    for name, experiment in cfg["experiments"].items():
        experiment["enabled"] = name == "table2"
    cfg["seeds"] = [0]
    subset = tmp / "smoke-subset.yaml"
    subset.write_text(yaml.safe_dump(cfg))
    return [str(subset)]


@on_the_cluster
def test_the_smoke_dag_runs_as_slurm_jobs(slurm_env, tmp_path):
    configs = smoke_configs(tmp_path)
    wd = tmp_path / "wd"
    res = snakemake(wd, *SLURM_ARGS, *PLACE, env=slurm_env, configs=configs)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    assert "smoke-test" in (wd / "results/report.html").read_text()
    plan = planmod.plan_from_files(configs)
    jobs = sacct(slurm_env, wd, "JobID", "Comment", "State", "Account", "Partition")
    rules = [comment.split("_wildcards_")[0].removeprefix("rule_")
             for _, comment, _, _, _ in jobs]
    expected = plan.job_counts()
    assert rules.count("train") == expected["train"]
    assert rules.count("prepare_dataset") == expected["prepare_dataset"]
    assert rules.count("resource_benchmark") == expected.get("resource_benchmark", 0)
    assert not {"aggregate", "tables", "figures", "report"} & set(rules)  # the login node's
    assert {(state, account, partition) for _, _, state, account, partition in jobs} == {
        ("COMPLETED", ACCOUNT, PARTITION)}


def preempt_config(tmp: Path) -> tuple[list[str], str]:
    """One r-LSTM run of the smoke scale, long enough (1 + 8 epochs of 1,024 examples) to be
    signalled mid-run; returns the config and the run."""
    cfg = yaml.safe_load(SMOKE.read_text())
    for name, experiment in cfg["experiments"].items():
        experiment["enabled"] = name == "table2"
    cfg["experiments"]["table2"].update(methods=["rlstm"], settings=["t32"])
    cfg["seeds"] = [0]
    cfg["base"]["train"]["epochs"] = 8
    cfg["datasets"]["emb_mnist"]["spec"]["n_train"] = 1024
    path = tmp / "preempt.yaml"
    path.write_text(yaml.safe_dump(cfg))
    run = planmod.plan_from_files([str(path)]).find_run("table2", "emb_mnist", "rlstm", "t32", 0)
    return [str(path)], run


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The run trained on this machine without SLURM and without a signal."""
    tmp = tmp_path_factory.mktemp("uninterrupted")
    configs, run = preempt_config(tmp)
    res = snakemake(tmp / "wd", "--cores", "1", f"{run.run_dir}/metrics.json",
                    env=dict(os.environ), configs=configs)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return json.loads((tmp / "wd" / run.run_dir / "metrics.json").read_text())


def running_job(env: dict, wd: Path, checkpoint: Path, proc: subprocess.Popen) -> str:
    """The id of the training job submitted from `wd`, once it has written its first
    checkpoint (after epoch 1)."""
    for _ in range(900):
        assert proc.poll() is None, proc.stdout.read()[-3000:]
        running = subprocess.run(["squeue", "-h", "-t", "R", "-o", "%i %k %Z"], env=env,
                                 capture_output=True, text=True, check=True).stdout.split("\n")
        train = [job for job, comment, workdir in (line.split() for line in running if line)
                 if comment.startswith("rule_train") and workdir == str(wd)]
        if train and checkpoint.is_file():
            return train[0]
        time.sleep(0.2)
    raise AssertionError("the training job never checkpointed")


@on_the_cluster
@pytest.mark.parametrize("signal", [
    ["scancel", "--signal=TERM"],    # what a time limit's early warning sends to the job's step
    ["scontrol", "requeue"],         # what preemption with requeue does
], ids=["sigterm", "requeue"])
def test_a_signalled_job_resumes_and_ends_equal_to_an_uninterrupted_run(slurm_env, tmp_path,
                                                                       uninterrupted, signal):
    configs, run = preempt_config(tmp_path)
    wd = tmp_path / "wd"
    proc = snakemake(wd, f"{run.run_dir}/metrics.json", *SLURM_ARGS, *PLACE, env=slurm_env,
                     configs=configs, background=True)
    job = running_job(slurm_env, wd, wd / run.checkpoint_dir / "last.pt", proc)
    subprocess.run([*signal, job], env=slurm_env, check=True)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-4000:]

    metrics = json.loads((wd / run.run_dir / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["resumed"] == 1
    resume = json.loads((wd / run.run_dir / "asrun.json").read_text())["resumes"][0]
    assert 1 <= resume["epoch"] < 9
    assert {k: v for k, v in metrics.items() if k not in VOLATILE} == \
        {k: v for k, v in uninterrupted.items() if k not in VOLATILE}
    states = [state for comment, state in sacct(slurm_env, wd, "Comment", "State")
              if comment.startswith("rule_train")]
    # a step sent SIGTERM fails its job (exit 75) and the profile's retry submits a new one; a
    # requeued job restarts under its own id
    assert states == (["FAILED", "COMPLETED"] if signal[0] == "scancel" else ["COMPLETED"])


def slurm_conf_with_dead_controller(env: dict, tmp: Path) -> dict:
    """SLURM_CONF of a copy whose controller port nothing listens on (and that gives up
    sooner than the default 10 s per try)."""
    text = Path(env["SLURM_CONF"]).read_text()
    port = next(line for line in text.splitlines() if line.startswith("SlurmctldPort="))
    dead = tmp / "slurm.conf"
    dead.write_text(text.replace(port, "SlurmctldPort=9") + "MessageTimeout=2\n")
    return {**env, "SLURM_CONF": str(dead)}


@on_the_cluster
@pytest.mark.parametrize("case, says", [
    ("profile's account", "account 'your_account' is not one of yours"),
    ("no account", "no SLURM account given"),
    ("profile's partitions", "partition 'gpu' does not exist on this cluster"),
    ("no cluster", "SLURM is not reachable"),
])
def test_wrong_settings_stop_the_workflow_before_any_job_is_queued(slurm_env, tmp_path, case,
                                                                   says):
    """The profile as shipped names a placeholder account and partitions `cpu` and `gpu`
    (a --default-resources or --set-resources given here replaces the profile's)."""
    partitions = ["--set-resources", *(f"{rule}:slurm_partition={PARTITION}"
                                       for rule in ("prepare_dataset", "train",
                                                    "resource_benchmark"))]
    args = {"profile's account": partitions,
            "no account": ["--default-resources", f"slurm_partition={PARTITION}", *partitions],
            "profile's partitions": ["--default-resources", f"slurm_account={ACCOUNT}",
                                     f"slurm_partition={PARTITION}"],
            "no cluster": PLACE}[case]
    env = slurm_conf_with_dead_controller(slurm_env, tmp_path) if case == "no cluster" \
        else slurm_env
    res = snakemake(tmp_path / "wd", *SLURM_ARGS, *args, env=env, configs=[str(SMOKE)],
                    timeout=300)
    output = res.stdout + res.stderr
    assert res.returncode != 0
    assert output.count(says) == 1, output[-3000:]
    assert "the SLURM jobs cannot be submitted" in output
    assert sacct(slurm_env, tmp_path / "wd", "JobID") == []


@pytest.mark.parametrize("required", [False, True])
def test_a_missing_plugin_skips_or_under_require_fails(monkeypatch, required):
    monkeypatch.setitem(sys.modules, "snakemake_executor_plugin_slurm", None)  # hidden
    monkeypatch.setenv("AUXBENCH_REQUIRE_SLURM", "1" if required else "0")
    outcome = pytest.fail.Exception if required else pytest.skip.Exception
    with pytest.raises(outcome) as raised:
        require_cluster()
    assert 'executor plugin for SLURM: pip install -e ".[slurm]"' in str(raised.value)
