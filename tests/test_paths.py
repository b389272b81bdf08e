"""auxbench.paths: the results layout, a run's paths, and the parser that reads a key back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from auxbench import paths
from auxbench import plan as planmod
from auxbench.paths import RunKey

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "config").glob("*.yaml"))


def test_run_paths_follow_the_architecture():
    run = RunKey("table2", "emb_mnist", "rlstm", "t32", 1)
    assert run.run_dir == "results/runs/table2/emb_mnist/rlstm-t32/seed1"
    assert run.checkpoint_dir == "results/checkpoints/table2/emb_mnist/rlstm-t32/seed1"
    assert run.outputs() == [f"{run.run_dir}/{f}" for f in ("metrics.json", "curve.csv",
                                                             "asrun.json")]
    assert run.job_usage == "results/job_usage/train/table2/emb_mnist/rlstm-t32/seed1.tsv"
    assert run.log == "results/logs/train/table2/emb_mnist/rlstm-t32/seed1.log"


@pytest.mark.parametrize("key", [
    RunKey("table2", "emb_mnist", "rlstm", "t32", 1),
    RunKey("fig6", "embedded_cifar", "rlstm", "no_aux-in_training", 12),
    RunKey("fig3", "embedded_dogs-s8", "transformer", "full", 0),
])
def test_parse_inverts_the_paths(key):
    assert RunKey.parse(key.rel) == key
    assert RunKey.parse(key.run_dir) == key
    assert RunKey.parse(key.job_usage.removesuffix(".tsv")) == key
    assert RunKey.of(key.as_dict()) == key


@pytest.mark.parametrize("rel", ["table2/mnist/lstmfull/seed0", "table2/mnist/lstm-full/seedx",
                                 "table2/mnist/lstm-full", "mnist/lstm-full/seed0/"])
def test_parse_refuses_what_is_not_a_run_folder(rel):
    assert RunKey.parse(rel) is None


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_wildcard_constraints_cover_every_planned_run(config):
    plan = planmod.Plan(yaml.safe_load(config.read_text()))
    for run in plan.runs:
        for field, value in run.as_keys().items():
            assert re.fullmatch(paths.WILDCARDS[field], str(value)), (field, value)
