"""auxbench.experiments: one catalogue, agreeing with the configs and with what is written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from auxbench.experiments import CATALOGUE, EXPERIMENTS, experiment, figure_names, table_names

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "config").glob("*.yaml"))


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_every_configured_experiment_is_catalogued_with_its_kind(config):
    for name, exp in yaml.safe_load(config.read_text())["experiments"].items():
        assert experiment(name) in CATALOGUE and experiment(name).kind == exp["kind"], name


def test_names_are_unique_and_titles_say_which_table_or_figure():
    for field in ("name", "table", "title"):
        values = [getattr(e, field) for e in CATALOGUE]
        assert len(set(values)) == len(values), field
    every = figure_names(EXPERIMENTS)
    assert len(set(every)) == len(every)
    for e in CATALOGUE:
        if not e.name.startswith(("table", "fig")):  # not the paper's: says so first
            assert e.title.startswith("Beyond the paper: "), e.title
            continue
        number = e.name.removeprefix("table").removeprefix("fig")
        assert e.title.startswith(("Table " if e.name.startswith("table") else "Figure ")
                                  + number + ":"), e.title


def test_tables_written_follow_what_ran():
    assert table_names([]) == ["table2", "table3", "paper_vs_reproduced", "claims",
                               "failed_runs", "compute", "published"]
    assert table_names(["rnn_cells"])[2] == "rnn_cells"
    assert table_names(["fig4", "mine"])[:4] == ["table2", "table3", "fig4_data", "mine_data"]
    assert experiment("mine").title == "mine: test accuracy (%)"
