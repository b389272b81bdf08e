"""auxbench.plan: the workflow config -> runs, paths, run configs, job counts, analysis inputs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from auxbench import plan as planmod
from auxbench import workflow_config
from auxbench.errors import ConfigError
from auxbench.experiments import EXPERIMENTS, seeds_text
from auxbench.paths import RunKey

REPO = Path(__file__).resolve().parents[1]
CONFIGS = {name: REPO / "config" / f"{name}.yaml" for name in ("config", "lite", "paper", "smoke")}


def load(name: str) -> dict:
    return yaml.safe_load(CONFIGS[name].read_text())


def expected_train_runs(cfg: dict) -> int:
    """Count the runs of a config directly from its YAML (independent of auxbench.plan)."""
    total = 0
    for exp in cfg["experiments"].values():
        if not exp["enabled"] or exp["kind"] != "train":
            continue
        cells = [(m, s) for m in exp["methods"] for s in exp["settings"]
                 if m != "transformer" or s == "full"]
        cells = [c for c in cells if f"{c[0]}-{c[1]}" not in exp.get("exclude", [])]
        for ds in exp["datasets"]:
            seeds = (exp.get("dataset_seeds") or {}).get(ds, exp.get("seeds", cfg["seeds"]))
            total += len(cells) * len(seeds)
    return total


@pytest.fixture(scope="module")
def smoke() -> planmod.Plan:
    return planmod.Plan(load("smoke"))


# ------------------------------------------------------------------------ the config files
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_config_files_validate_and_plan(name):
    cfg = load(name)
    workflow_config.check_schema(cfg)
    p = planmod.Plan(cfg)
    assert len(p.runs) == expected_train_runs(cfg)
    assert len(set(p.runs)) == len(p.runs)
    counts = p.job_counts()
    assert counts["train"] == len(p.trained_runs)
    assert counts["prepare_dataset"] == len({p.datasets[r.dataset].key for r in p.runs})
    assert counts["resource_benchmark"] == 1
    for key in ("all", "aggregate", "tables", "figures", "report"):
        assert counts[key] == 1
    # every run config resolves and carries its labels
    for run in p.runs[:: max(1, len(p.runs) // 25)]:
        rc = p.run_config(run)
        assert rc["run"] == {"experiment": run.experiment, "dataset": run.dataset,
                             "setting": run.setting, "seed": run.seed}
        assert rc["method"] == run.method


def test_every_scale_runs_or_gives_a_reason_for_every_experiment_of_the_catalogue():
    """The paper scale and the smoke test run every experiment; the default and lite leave out
    only what they say why (the report lists the reasons)."""
    for name in ("paper", "smoke"):
        assert set(planmod.Plan(load(name)).experiments()) == set(EXPERIMENTS), name
    for name in ("config", "lite"):
        cfg = load(name)
        left = workflow_config.left_out(cfg)
        assert set(planmod.Plan(cfg).experiments()) | set(left) == set(EXPERIMENTS)
        assert left and all(reason for reason in left.values())


def test_paper_scale_uses_the_papers_sizes():
    p = planmod.Plan(load("paper"))
    run = next(r for r in p.runs if r.experiment == "table2" and r.method == "rlstm"
               and r.setting == "t300")
    rc = p.run_config(run)
    m, t = rc["model"], rc["train"]
    assert (m["embed_dim"], m["hidden"], m["head_hidden"], m["aux_hidden"], m["aux_layers"]) == \
        (128, 128, 256, 256, 2)
    assert (t["bptt"], t["aux_bptt"], t["aux_len"], t["batch_size"], t["optimizer"], t["lr"]) == \
        (300, 300, 600, 128, "rmsprop", 1e-3)
    assert p.cfg["seeds"] == [0, 1, 2, 3, 4]
    dogs = [r for r in p.runs if r.experiment == "fig3"]
    sides = {p.datasets[r.dataset].spec["side"] for r in dogs}
    assert sides == {32, 64, 96, 128}
    rc = p.run_config(dogs[0])
    assert (rc["train"]["epochs"], rc["train"]["pretrain_epochs"]) == (100, 20)


def test_scales_are_named():
    assert [load(n)["scale"] for n in ("config", "lite", "paper", "smoke")] == \
        ["embedded", "lite", "paper", "smoke"]


# ------------------------------------------------------------------------ runs and layering
def test_builtin_settings():
    assert planmod.builtin_setting("full") == {"train": {"bptt": "full"}}
    assert planmod.builtin_setting("t0") == {"train": {"bptt": 0}}
    assert planmod.builtin_setting("t300") == {"train": {"bptt": 300}}
    assert planmod.builtin_setting("n3l200") == {"train": {"n_anchors": 3, "aux_len": 200}}
    assert planmod.builtin_setting("no_pretrain") is None
    assert planmod.builtin_setting("tx") is None
    assert planmod.builtin_setting("t300_pwin") == {
        "train": {"bptt": 300, "plstm_gradient": "window"}}
    assert planmod.builtin_setting("full_pwin") == {
        "train": {"bptt": "full", "plstm_gradient": "window"}}


def test_plstm_gradient_through_the_window_is_named_in_the_setting():
    """p-LSTM's gradient through the predicted window is outside the paper's method: its runs
    carry the `_pwin` setting, so every label made from the setting says so, and a setting that
    turns the option on without the suffix is refused."""
    from auxbench.analysis.style import cell_label

    cfg = load("smoke")
    cfg["experiments"]["table2"]["methods"].append("plstm")
    cfg["experiments"]["table2"]["settings"].append("t32_pwin")
    p = planmod.Plan(copy.deepcopy(cfg))
    run = p.find_run("table2", "emb_mnist", "plstm", "t32_pwin", 0)
    assert p.run_config(run)["train"]["plstm_gradient"] == "window"
    assert p.run_config(p.find_run("table2", "emb_mnist", "plstm", "t32", 0))[
        "train"]["plstm_gradient"] == "anchor"
    assert cell_label("plstm", "t32_pwin") == "p-LSTM Truncate 32, p-gradient through window"
    cfg["settings"]["through"] = {"train": {"plstm_gradient": "window"}}
    cfg["experiments"]["table2"]["settings"].append("through")
    with pytest.raises(ConfigError, match="_pwin"):
        planmod.Plan(cfg).run_config(RunKey("table2", "emb_mnist", "plstm", "through", 0))


def test_transformer_runs_only_full(smoke):
    settings = {r.setting for r in smoke.runs if r.method == "transformer"}
    assert settings == {"full"}


def test_dataset_seeds_give_one_dataset_of_an_experiment_more_seeds():
    cfg = load("smoke")
    for e in cfg["experiments"].values():
        if e["kind"] == "train":
            e["seeds"] = [0, 1]
    exp = cfg["experiments"]["table2"]
    exp["datasets"] = ["emb_mnist", "emb_cifar"]
    before = planmod.Plan(copy.deepcopy(cfg))
    assert before.analysis_options()["seeds"] == [0, 1]
    exp["dataset_seeds"] = {"emb_mnist": [0, 1, 2, 3, 4]}
    p = planmod.Plan(cfg)
    ds0, others = "emb_mnist", ["emb_cifar"]
    seeds = lambda plan, d: sorted({r.seed for r in plan.runs
                                    if r.experiment == "table2" and r.dataset == d})
    assert seeds(p, ds0) == [0, 1, 2, 3, 4]
    for d in others:
        assert seeds(p, d) == seeds(before, d) == p.experiment_seeds("table2")
    cells = {(r.method, r.setting) for r in before.runs if r.experiment == "table2"
             and r.dataset == ds0}
    extra = len(cells) * (5 - len(seeds(before, ds0)))
    assert len(p.runs) == len(before.runs) + extra
    assert p.summary()["experiments"]["table2"]["dataset_seeds"] == {ds0: [0, 1, 2, 3, 4]}
    assert "seeds" not in p.analysis_options()  # seed sets differ: missing seeds come from runs
    assert seeds_text(p.summary()["experiments"]["table2"]) == "0, 1; emb_mnist: 0, 1, 2, 3, 4"


def test_layer_order_setting_wins():
    cfg = load("smoke")
    cfg["base"]["train"]["aux_len"] = 10
    cfg["datasets"]["emb_cifar"]["overrides"] = {"train": {"aux_len": 11, "lr": 0.1}}
    cfg["experiments"]["table6"]["overrides"] = {"train": {"aux_len": 12, "epochs": 3}}
    cfg["experiments"]["table6"]["dataset_overrides"] = {"emb_cifar": {"train": {"epochs": 4}}}
    p = planmod.Plan(cfg)
    rc = p.run_config(p.find_run("table6", "emb_cifar", "rlstm", "n2l8", 0))
    assert rc["train"]["aux_len"] == 8          # the setting (n2l8) wins
    assert rc["train"]["n_anchors"] == 2
    assert rc["train"]["epochs"] == 4           # experiment.dataset_overrides > experiment
    assert rc["train"]["lr"] == 0.1             # dataset overrides > base
    rc = p.run_config(p.find_run("fig4", "emb_cifar", "lstm", "t0", 0))
    assert rc["train"]["bptt"] == 0 and rc["train"]["aux_len"] == 11


def test_method_overrides_apply_to_that_method_only():
    cfg = load("smoke")
    cfg["method_overrides"] = {"transformer": {"train": {"lr": 0.0005}}}
    p = planmod.Plan(cfg)
    t = p.find_run("table2", "emb_mnist", "transformer", "full", 0)
    lstm = p.find_run("table2", "emb_mnist", "lstm", "full", 0)
    assert p.run_config(t)["train"]["lr"] == 0.0005
    assert p.run_config(lstm)["train"]["lr"] == cfg["base"]["train"]["lr"]


def test_train_json_has_no_runtime_and_is_stable(smoke):
    run = smoke.runs[0]
    cfg = json.loads(smoke.train_json(run))
    assert "runtime" not in cfg
    assert smoke.train_json(run) == planmod.Plan(load("smoke")).train_json(run)
    assert cfg["dataset"] == smoke.datasets[run.dataset].spec
    assert any("runtime.data_root" in s for s in smoke.runtime_overrides())


def test_exclude_and_per_experiment_seeds():
    p = planmod.Plan(load("paper"))
    fig3 = [r for r in p.runs if r.experiment == "fig3"]
    assert fig3 and not any(r.method in ("rlstm", "plstm") and r.setting == "full" for r in fig3)
    assert any(r.method == "lstm" and r.setting == "full" for r in fig3)
    lite = planmod.Plan(load("lite"))
    seeds = {d: {r.seed for r in lite.runs if r.experiment == "table2" and r.dataset == d}
             for d in ("mnist_s14", "pmnist_s14", "cifar10_s16")}
    assert seeds == {"mnist_s14": {0, 1, 2, 3, 4}, "pmnist_s14": {0, 1, 2},
                     "cifar10_s16": {0, 1, 2}}


def test_a_run_two_experiments_share_trains_once():
    """Runs whose run configs differ only in the experiment and setting names train once (the
    first in config order); one differing value makes them separate runs."""
    cfg = load("smoke")
    p = planmod.Plan(copy.deepcopy(cfg))
    twin = {a: b for a, b in p.shared_runs.items() if a.experiment == "fig6"}
    assert twin, "smoke's fig6 full_method is the base truncation another experiment runs"
    order = list(EXPERIMENTS)
    for run, source in twin.items():
        assert order.index(source.experiment) < order.index(run.experiment)
        assert source not in p.shared_runs
        assert (source.dataset, source.method, source.seed) == (run.dataset, run.method, run.seed)
        strip = lambda c: {**c, "run": {"dataset": c["run"]["dataset"], "seed": c["run"]["seed"]}}
        assert strip(p.run_config(run)) == strip(p.run_config(source))
    assert set(p.trained_runs) == set(p.runs) - set(p.shared_runs)
    assert p.job_counts()["train"] == len(p.trained_runs) < len(p.runs)
    assert p.summary()["n_trained"] == len(p.trained_runs)
    # the same config with its experiments in another order (a saved workflow_config.json
    # sorts its keys) shares the same way: the workflow and the aggregate agree
    shuffled = {**cfg, "experiments": dict(sorted(cfg["experiments"].items(), reverse=True))}
    assert planmod.Plan(shuffled).shared_runs == p.shared_runs
    cfg["experiments"]["fig6"]["overrides"] = {"train": {"lr": 0.0123}}
    q = planmod.Plan(cfg)
    assert not any(r.experiment == "fig6" for r in q.shared_runs)


def test_disabled_experiment_plans_nothing():
    cfg = load("smoke")
    cfg["experiments"]["table4"]["enabled"] = False
    cfg["experiments"]["table3"]["enabled"] = False
    p = planmod.Plan(cfg)
    assert not any(r.experiment == "table4" for r in p.runs)
    assert "emb_text" not in p.dataset_ids()
    assert "resource_benchmark" not in p.job_counts()


def test_results_only_plans_no_training():
    cfg = load("smoke")
    cfg["results_only"] = True
    counts = planmod.Plan(cfg).job_counts()
    assert "train" not in counts and "prepare_dataset" not in counts
    assert counts["report"] == 1


def test_find_run_rejects_unplanned(smoke):
    with pytest.raises(ConfigError, match="not part of this workflow config"):
        smoke.find_run("table2", "emb_mnist", "lstm", "full", 7)


def test_compute_resources(smoke):
    cfg = load("config")
    cfg["datasets"]["digits"]["compute"] = {"mem_mb": 3000, "runtime_min": 60}
    p = planmod.Plan(cfg)
    run = next(r for r in p.runs if r.dataset == "digits")
    c = p.compute("train", run)
    assert c == {"threads": 1, "mem_mb": 3000, "runtime": 60, "gpu": 0}
    assert p.compute("prepare")["mem_mb"] == cfg["compute"]["prepare"]["mem_mb"]
    paper = planmod.Plan(load("paper"))
    assert paper.compute("train", paper.runs[0])["gpu"] == 1


def test_resource_config(smoke):
    bc = smoke.resource_config()
    assert bc["train"]["batch_size"] == 4 and "runtime" not in bc
    assert bc["model"]["hidden"] == 8


def test_analysis_options(smoke):
    opts = smoke.analysis_options()
    assert opts["scale"] == "smoke"
    assert opts["paper_datasets"]["emb_mnist"] == "mnist"
    assert "emb_mnist" in opts["stand_ins"]  # a generated set, not the paper's MNIST
    assert planmod.Plan(load("lite")).analysis_options()["stand_ins"] == []
    assert "seeds" not in opts  # experiments use different seeds: missing runs come from the plan
    from auxbench.analysis.options import AnalysisConfig

    cfg = AnalysisConfig.from_mapping(opts)
    assert cfg.n_resamples == 1000 and cfg.paper_dataset("emb_cifar") == "cifar10"


# ------------------------------------------------------------------------ errors name the key
def _err(cfg) -> str:
    with pytest.raises(ConfigError) as info:
        planmod.Plan(cfg)
    return str(info.value)


@pytest.mark.parametrize("mutate, expect", [
    (lambda c: c.update(seedz=[0]), "unknown key(s) ['seedz']"),
    (lambda c: c["experiments"]["table2"].update(seedz=[0]), "experiments.table2: unknown key"),
    (lambda c: c["experiments"]["table2"].update(methods=["lstm", "rlstmm"]), "'rlstmm'"),
    (lambda c: c["experiments"]["table3"].update(lenghts=[3]), "experiments.table3"),
    (lambda c: c["compute"]["train"].pop("gpu"), "compute.train"),
    (lambda c: c.pop("analysis"), "'analysis' is a required property"),
    (lambda c: c["analysis"].update(confidence=2), "analysis.confidence"),
    (lambda c: c["analysis"].update(tolerance_pp="wide"), "analysis.tolerance_pp"),
    (lambda c: c["analysis"].update(primary_test="z"), "analysis.primary_test"),
    (lambda c: c["analysis"].update(truncated_setting="full"), "analysis.truncated_setting"),
    (lambda c: c["datasets"]["emb_mnist"].update(paper_dataset="svhn"),
     "datasets.emb_mnist.paper_dataset"),
    (lambda c: c.update(seeds=[-1]), "seeds.0"),
    (lambda c: c.update(scale="huge"), "scale"),
])
def test_schema_errors_name_the_key(mutate, expect):
    cfg = load("smoke")
    mutate(cfg)
    assert expect in _err(cfg)


@pytest.mark.parametrize("mutate, expect", [
    (lambda c: c["base"]["train"].update(epochz=3), "base: train: unknown key(s) ['epochz']"),
    (lambda c: c["settings"].update(bad={"train": {"bptt": "half"}}), "settings.bad"),
    (lambda c: c["settings"].update(t5={"train": {}}), "settings.t5"),
    (lambda c: c["experiments"]["fig4"]["overrides"].update({"model": {"hidden": 0}})
     if "overrides" in c["experiments"]["fig4"]
     else c["experiments"]["fig4"].update(overrides={"model": {"hidden": 0}}),
     "experiments.fig4.overrides"),
    (lambda c: c["experiments"]["table2"].update(datasets=["nope"]), "dataset 'nope'"),
    (lambda c: c["experiments"]["table2"].update(settings=["full", "halfway"]), "'halfway'"),
    (lambda c: c["experiments"]["table2"].update(settings=["t32"]), "transformer"),
    (lambda c: c["experiments"]["fig4"].update(exclude=["plstm-t0"]), "exclude"),
    (lambda c: c["datasets"]["emb_mnist"]["spec"].update(sidez=3), "datasets.emb_mnist.spec"),
    (lambda c: c["datasets"]["emb_mnist"]["spec"].update(train_size=3), "train.train_size"),
    (lambda c: c["experiments"].update(bench2=copy.deepcopy(c["experiments"]["table3"])),
     "at most one enabled bench"),
    (lambda c: c["experiments"]["table2"].update(dataset_overrides={"emb_cifar": {}}),
     "dataset_overrides.emb_cifar"),
    (lambda c: c["experiments"]["table2"].update(dataset_seeds={"emb_text": [0, 1]}),
     "dataset_seeds.emb_text"),
    (lambda c: c["experiments"]["table2"].update(dataset_seeds={"emb_cifar": []}),
     "should be non-empty"),
    (lambda c: c["base"]["train"].update(aux_len=500), "aux_len"),
    (lambda c: c["experiments"]["table3"].update(lengths=[8, 64]),
     "experiments.table3: case rlstm:t32 at length 8"),
    (lambda c: c.update(seeds=[]), "seeds: [] should be non-empty"),
    (lambda c: c["base"]["train"].update(bptt=-3), "train.bptt: -3 is not valid"),
    (lambda c: c["experiments"]["table2"].update(methods=["lstm", "qlstm"]), "'qlstm'"),
    (lambda c: c["experiments"].update(table2=c["experiments"].pop("table3")),
     "experiments.table2: kind 'bench', but table2 is the paper's train experiment"),
])
def test_semantic_errors_name_the_key(mutate, expect):
    cfg = load("smoke")
    mutate(cfg)
    assert expect in _err(cfg)


def test_grouped_seeds_make_one_job_per_recurrent_cell():
    """compute.group_seeds: the seeds of a recurrent cell whose run configs differ in the seed
    alone train in one job (the Transformer's stay one a job); off, one run a job."""
    cfg = load("smoke")
    assert all(len(job) == 1 for job in planmod.Plan(cfg).train_jobs)
    cfg["compute"]["group_seeds"] = True
    p = planmod.Plan(cfg)
    assert sorted(r for job in p.train_jobs for r in job) == sorted(p.trained_runs)
    for job in p.train_jobs:
        cell = {(r.experiment, r.dataset, r.method, r.setting) for r in job}
        assert len(cell) == 1 and [r.seed for r in job] == sorted(r.seed for r in job)
        bare = [json.loads(p.train_json(r)) for r in job]
        for c in bare:
            del c["run"]["seed"]
        assert all(c == bare[0] for c in bare)
        assert len(job) == 1 or job[0].method != "transformer"
        assert {p.job_usage(r) for r in job} == {job[0].job_usage}
    grouped = p.grouped_jobs
    assert grouped and all(len(job) == 2 for job in grouped)  # smoke: two seeds
    one = p.compute("train", grouped[0][0])
    assert p.group_compute(grouped[0]) == {**one, "mem_mb": 2 * one["mem_mb"],
                                           "runtime": 2 * one["runtime"]}
    counts = p.job_counts()
    assert counts["train"] + 2 * len(grouped) == len(p.trained_runs)
    assert sum(k.startswith("train_group_") for k in counts) == len(grouped)


def test_seeds_read_at_different_epochs_do_not_share_a_job():
    """A seed whose curve a figure draws evaluates every epoch: its config differs from its
    cell's other seeds, so it trains in a job of its own."""
    cfg = load("smoke")
    cfg["compute"]["group_seeds"] = True
    cfg["base"]["train"]["eval_every"] = 2
    cfg["experiments"]["fig5"].update(datasets=["emb_mnist"], seeds=[0], overrides={})
    p = planmod.Plan(cfg)  # Figure 5 now reads Table 2's seed 0 only
    read = RunKey("table2", "emb_mnist", "lstm", "full", 0)
    assert p.run_config(read)["train"]["eval_every"] == 1
    assert p.run_config(read.with_seed(1))["train"]["eval_every"] == 2
    jobs = {r: job for job in p.train_jobs for r in job}
    assert jobs[read] == (read,) and read not in jobs[read.with_seed(1)]
    for job in p.train_jobs:
        assert len({p.run_config(r)["train"]["eval_every"] for r in job}) == 1
