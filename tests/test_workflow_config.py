"""auxbench.workflow_config: the config files are read, merged and hold every required key."""

from __future__ import annotations

from pathlib import Path

import yaml

from auxbench import workflow_config

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
