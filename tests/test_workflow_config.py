"""auxbench.workflow_config: the config files are read, merged and hold every required key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from auxbench import workflow_config
from auxbench.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
CONFIGS = {name: REPO / "config" / f"{name}.yaml" for name in ("config", "lite", "paper", "smoke")}


def load(name: str) -> dict:
    return yaml.safe_load(CONFIGS[name].read_text())


def test_config_files_put_explicit_values():
    """Every key the schema knows at the top level is written in every config file."""
    schema = workflow_config.load_schema()
    for name in CONFIGS:
        cfg = load(name)
        assert set(schema["required"]) <= set(cfg), name
        for exp in cfg["experiments"].values():
            assert "enabled" in exp and "kind" in exp


def test_files_merge_in_order_then_overrides(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("experiments: {table3: {enabled: false}}\nseeds: [5]\n")
    cfg = workflow_config.load([CONFIGS["smoke"], extra], ["results_only=true"])
    assert cfg["experiments"]["table3"] == {**load("smoke")["experiments"]["table3"],
                                           "enabled": False}
    assert cfg["seeds"] == [5] and cfg["results_only"] is True


def test_left_out_only_on_a_disabled_experiment():
    """A disabled experiment may say why it is left out; on an enabled one that would be a
    false line in the report, so it is a config error naming the key."""
    from auxbench.plan import Plan

    cfg = load("smoke")
    cfg["experiments"]["table4"].update(enabled=False, left_out="its runs double the time")
    workflow_config.check_schema(cfg)
    assert workflow_config.left_out(cfg) == {"table4": "its runs double the time"}
    assert not [r for r in Plan(cfg).runs if r.experiment == "table4"]

    cfg["experiments"]["table3"]["enabled"] = False  # disabled without a reason: allowed
    assert workflow_config.left_out(cfg) == {"table4": "its runs double the time",
                                             "table3": None}
    cfg["experiments"]["table3"]["left_out"] = ""
    with pytest.raises(ConfigError, match="experiments.table3.left_out"):
        workflow_config.check_schema(cfg)

    cfg = load("smoke")
    cfg["experiments"]["fig5"]["left_out"] = "too slow"
    with pytest.raises(ConfigError) as err:
        workflow_config.check_schema(cfg)
    assert str(err.value) == ("workflow config: experiments.fig5.left_out: only an experiment "
                              "with enabled: false is left out; remove left_out or set "
                              "enabled: false")


def test_configs_that_run_an_experiment():
    assert workflow_config.configs_that_run("embedded", "fig4") == ("config/lite.yaml",
                                                                    "config/paper.yaml")
    assert workflow_config.configs_that_run("embedded", "fig3") == ("config/paper.yaml",)
    assert workflow_config.configs_that_run("paper", "fig3") == ()


def test_experiments_left_out_say_why_and_run_at_the_larger_scales():
    """The report sends the reader to the larger scales' configs for each of them."""
    assert set(workflow_config.LARGER_CONFIGS) == set(
        workflow_config.load_schema()["properties"]["scale"]["enum"])
    for name in CONFIGS:
        cfg = load(name)
        workflow_config.check_schema(cfg)
        for exp, reason in workflow_config.left_out(cfg).items():
            assert reason, f"{name}.yaml: experiments.{exp} is disabled without left_out"
            running = workflow_config.configs_that_run(cfg["scale"], exp)
            assert "config/paper.yaml" in running, (name, exp)


def test_methods_left_out_of_an_experiment_say_why_and_run_at_the_paper_scale():
    """Every method the paper scale's experiment runs and a smaller scale's does not has a
    reason there, and the report can send the reader to a config that runs it."""
    paper = load("paper")["experiments"]
    for name in ("config", "lite"):
        cfg = load(name)
        reasons = workflow_config.left_out_methods(cfg)
        for exp, spec in cfg["experiments"].items():
            if spec.get("enabled", True) and spec.get("kind") == "train":
                missing = set(paper[exp]["methods"]) - set(spec["methods"])
                assert missing == {m for e, m in reasons if e == exp}, (name, exp)
        for exp, method in reasons:
            assert workflow_config.configs_that_run(cfg["scale"], exp, method) == \
                ("config/paper.yaml",)
    assert workflow_config.configs_that_run("embedded", "table2", "rplstm") == \
        ("config/paper.yaml",)  # the lite scale runs Table 2, but not rp-LSTM in it


def test_a_left_out_method_that_a_layered_config_runs_is_not_left_out():
    cfg = workflow_config.load([CONFIGS["lite"]],
                               ["experiments.table2.methods=[lstm, rlstm, plstm, rplstm]"])
    workflow_config.check_schema(cfg)
    assert set(workflow_config.left_out_methods(cfg)) == {("table2", "lmlstm"),
                                                          ("table2", "transformer")}
    cfg["experiments"]["table2"]["left_out_methods"]["lstn"] = "typo"
    with pytest.raises(ConfigError, match="left_out_methods"):
        workflow_config.check_schema(cfg)
