"""The method table is the one list of methods: the schemas, the CLI default and the paper's data
name exactly its methods, and the rules that read it behave as the table says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from auxbench import config, methods
from auxbench.analysis.paper import CLAIMS
from auxbench.cli import build_parser
from auxbench.errors import ConfigError
from auxbench.resource_benchmark.flops import cell_fwd, step_flops
from auxbench.resource_benchmark.runner import parse_cases

ROOT = Path(__file__).resolve().parent.parent


def test_run_schema_takes_its_enum_from_the_table():
    schema = json.loads((ROOT / "auxbench/schemas/run.schema.json").read_text())
    assert "enum" not in schema["properties"]["method"]  # one list: the table's
    assert tuple(config.run_schema()["properties"]["method"]["enum"]) == methods.NAMES
    with pytest.raises(ConfigError, match=r"method: 'xlstm' is not one of \['lstm', 'rlstm'"):
        config.resolve({"method": "xlstm"})


def test_workflow_schema_enum_and_patterns_are_the_table():
    text = (ROOT / "workflow/schemas/config.schema.yaml").read_text()
    assert tuple(yaml.safe_load(text)["$defs"]["method"]["enum"]) == methods.NAMES
    alternations = re.findall(r'pattern: "\^\(([a-z|]+)\)', text)
    assert len(alternations) == 2  # bench cases and exclude cells
    for alt in alternations:
        assert tuple(alt.split("|")) == methods.NAMES


@pytest.mark.parametrize("command", ["resources", "counts"])
def test_cli_default_bench_cases_cover_every_loss_and_every_cell_in_a_setting_it_has(command):
    default = build_parser().parse_args([command, "--out", "x.json"]).cases
    cases = parse_cases(default)
    named = {methods.METHODS[m] for m, _ in cases}
    assert {m.name for m in named if m.cell == "lstm"} == {"lstm", "rlstm", "plstm", "rplstm"}
    assert {(m.cell, m.loss) for m in named if m.cell not in (None, "lstm")} == {
        (cell, loss) for cell in ("gru", "lru") for loss in ("", "r")}
    assert "transformer" in {m.name for m in named}
    for name, setting in cases:
        assert methods.METHODS[name].truncatable or setting == "full"


def test_claims_name_only_methods_we_run():
    named = set()  # the paper's own numbers also cite baselines we do not run (IRNN, uRNN)
    for claim in CLAIMS:
        for pair in claim.comparisons:
            named |= {cell[0] for cell in pair if cell is not None}
    assert named <= set(methods.NAMES)


def test_auxiliary_is_reconstruct_or_predict():
    assert [m.name for m in methods.METHODS.values() if m.auxiliary] == [
        "rlstm", "plstm", "rplstm", "rgru", "pgru", "rpgru", "rlru", "plru", "rplru"]
    for cell in methods.CELLS:
        for loss, (reconstructs, predicts) in methods.LOSSES.items():
            m = methods.METHODS[methods.variant(loss, cell)]
            assert (m.cell, m.loss, m.reconstructs, m.predicts) == (cell, loss, reconstructs,
                                                                    predicts)


def test_every_method_has_its_own_look_in_grey():
    looks = [(m.marker, m.linestyle) for m in methods.METHODS.values()]
    assert len(set(looks)) == len(looks)
    assert len({m.marker for m in methods.METHODS.values()}) == len(methods.NAMES)


@pytest.mark.parametrize("name", methods.NAMES)
def test_truncation_is_refused_exactly_where_the_table_says(name):
    cfg = {"method": name, "train": {"bptt": 300}}
    if methods.METHODS[name].truncatable:
        config.resolve(cfg)
    else:
        with pytest.raises(ConfigError, match="train.bptt: the .* has no truncation"):
            config.resolve(cfg)


def test_flops_grow_with_each_auxiliary_loss():
    def flops(name: str) -> float:
        return step_flops(config.resolve({"method": name}), 8, 784, 1)

    for cell in methods.CELLS:
        plain, r, p, rp = (flops(methods.variant(loss, cell)) for loss in ("", "r", "p", "rp"))
        assert plain < r < rp and plain < p < rp, cell
    gru, lstm = (cell_fwd(config.resolve({"method": m}), 8, 784, 128) for m in ("gru", "lstm"))
    assert gru == pytest.approx(0.75 * lstm)  # three gates against four
