"""The method table is the one list of methods: the schemas, the CLI default and the paper's data
name exactly its methods, and the rules that read it behave as the table says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from auxbench import config, losses, methods, rnn_cells, workflow_config
from auxbench.analysis.paper import CLAIMS
from auxbench.cli import build_parser
from auxbench.errors import ConfigError
from auxbench.losses.steps import STEPS
from auxbench.models.layers import LAYERS
from auxbench.resource_benchmark.flops import cell_fwd, step_flops
from auxbench.resource_benchmark.runner import parse_cases

ROOT = Path(__file__).resolve().parent.parent


def test_run_schema_takes_its_enum_from_the_table():
    schema = json.loads((ROOT / "auxbench/schemas/run.schema.json").read_text())
    assert "enum" not in schema["properties"]["method"]  # one list: the table's
    assert tuple(config.run_schema()["properties"]["method"]["enum"]) == methods.NAMES
    with pytest.raises(ConfigError, match=r"method: 'xlstm' is not one of \['lstm', 'rlstm'"):
        config.resolve({"method": "xlstm"})


@pytest.mark.parametrize("part", [*losses.LOSSES.values(), *rnn_cells.CELLS.values()],
                         ids=lambda part: type(part).__name__)
def test_the_run_schema_enforces_each_option_a_loss_or_cell_declares(part):
    """The assembled schema holds each part's fragment as required, and a wrong value of any of
    them is refused by name (the schema checks every option, whichever the method)."""
    schema = config.run_schema()
    for section, options in part.schema.items():
        target = schema["properties"][section]
        for key, fragment in options.items():
            assert target["properties"][key] == fragment and key in target["required"]
            with pytest.raises(ConfigError, match=key):
                config.resolve({"method": "lstm", section: {key: "__wrong__"}})


@pytest.mark.parametrize("part", [*losses.LOSSES.values(), *rnn_cells.CELLS.values()],
                         ids=lambda part: type(part).__name__)
def test_each_option_of_a_loss_or_cell_has_its_default_and_schema_in_its_module(part):
    file_schema = json.loads((ROOT / "auxbench/schemas/run.schema.json").read_text())
    assert part.defaults.keys() == part.schema.keys()
    for section, options in part.schema.items():
        assert options.keys() == part.defaults[section].keys(), section
        assert not options.keys() & file_schema["properties"][section]["properties"].keys()


def test_an_option_several_parts_share_they_declare_alike():
    """run_schema and DEFAULTS keep one declaration of a shared option: all must be the same."""
    seen: dict[tuple[str, str], tuple] = {}
    for part in (*losses.LOSSES.values(), *rnn_cells.CELLS.values()):
        for section, options in part.schema.items():
            for key, fragment in options.items():
                declared = (fragment, part.defaults[section][key])
                assert seen.setdefault((section, key), declared) == declared, (section, key)


def test_workflow_schema_takes_its_enum_from_the_table_and_names_no_method():
    text = (ROOT / "workflow/schemas/config.schema.yaml").read_text()
    assert "enum" not in yaml.safe_load(text)["$defs"]["method"]  # one list: the table's
    assert not re.search(r"\b(rlstm|plstm|gru|transformer)\|", text)  # no alternation of names
    assert tuple(workflow_config.load_schema()["$defs"]["method"]["enum"]) == methods.NAMES


def test_workflow_config_rejects_a_method_not_in_the_table_naming_the_key():
    cfg = yaml.safe_load((ROOT / "config/smoke.yaml").read_text())
    cfg["experiments"]["table2"]["methods"].append("xlstm")
    with pytest.raises(ConfigError, match=r"xlstm.*is not one of \['lstm', 'rlstm'"):
        workflow_config.check_schema(cfg)
    cfg["experiments"]["table2"]["methods"].pop()
    bench = next(name for name, e in cfg["experiments"].items() if e["kind"] == "bench")
    cfg["experiments"][bench]["cases"].append("xlstm:t300")
    with pytest.raises(ConfigError, match=rf"experiments.{bench}.cases\[\d+\]: 'xlstm' is not"):
        workflow_config.check_schema(cfg)


@pytest.mark.parametrize("command", ["resources", "counts"])
def test_cli_default_bench_cases_cover_every_loss_and_every_cell_in_a_setting_it_has(command):
    default = build_parser().parse_args([command, "--out", "x.json"]).cases
    cases = parse_cases(default)
    named = {methods.METHODS[m] for m, _ in cases}
    assert {m.name for m in named if m.cell == "lstm"} == {
        m.name for m in methods.METHODS.values() if m.cell == "lstm"}
    assert {(m.cell, m.loss) for m in named if m.cell not in (None, "lstm")} == {
        (cell, loss) for cell in methods.CELLS if cell != rnn_cells.PAPER for loss in ("", "r")}
    assert "transformer" in {m.name for m in named}
    for name, setting in cases:
        assert methods.METHODS[name].truncatable or setting == "full"


def test_claims_name_only_methods_we_run():
    named = set()  # the paper's own numbers also cite baselines we do not run (IRNN, uRNN)
    for claim in CLAIMS:
        for pair in claim.comparisons:
            named |= {cell[0] for cell in pair if cell is not None}
    assert named <= set(methods.NAMES)


def test_methods_are_each_cell_with_each_set_of_losses():
    sets = losses.loss_sets()
    assert sets[0] == () and set(losses.COMBINATIONS) <= set(sets)
    assert {(kind,) for kind in losses.LOSSES} <= set(sets)
    recurrent = [m for m in methods.METHODS.values() if m.architecture == "recurrent"]
    assert len(recurrent) == len(methods.CELLS) * len(sets)
    for cell in methods.CELLS:
        for kinds in sets:
            m = methods.METHODS[methods.variant(methods.prefix(kinds), cell)]
            assert (m.cell, m.losses, m.auxiliary) == (cell, kinds, bool(kinds))
    assert {"lstm", "rlstm", "plstm", "rplstm", "rgru", "rlru"} <= set(methods.NAMES)  # as run


def test_every_loss_has_its_step_module_and_a_prefix_of_its_own():
    assert tuple(STEPS) == tuple(losses.LOSSES)
    prefixes = [loss.prefix for loss in losses.LOSSES.values()]
    assert len(set(prefixes)) == len(prefixes)
    names = [methods.prefix(kinds) for kinds in losses.loss_sets()]
    assert len(set(names)) == len(names)  # no two sets of losses spell the same prefix


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
        plain = flops(cell)
        for kinds in losses.loss_sets()[1:]:
            with_set = flops(methods.variant(methods.prefix(kinds), cell))
            assert with_set > plain, (cell, kinds)
            for kind in kinds if len(kinds) > 1 else ():  # a set costs more than each member
                assert with_set > flops(methods.variant(methods.prefix((kind,)), cell))
    gru, lstm = (cell_fwd(config.resolve({"method": m}), 8, 784, 128) for m in ("gru", "lstm"))
    assert gru == pytest.approx(0.75 * lstm)  # three gates against four


@pytest.mark.parametrize("cell", methods.CELLS)
def test_every_cell_has_its_layer_with_the_cell_interface_and_its_flops(cell):
    """A cell is its declaration (auxbench/rnn_cells/) and its layer (models/layers.py): the layer
    built from the config, with LSTMLayer's interface, and a FLOP count that grows with width."""
    cfg = config.resolve({"method": cell, "model": {"embed_dim": 4, "hidden": 6,
                                                     **rnn_cells.small_options()}})
    layer = LAYERS[cell](cfg["model"])
    for name in ("forward", "states_after", "zero_state", "output", "decoder_state"):
        assert callable(getattr(layer, name)), name
    wide = config.resolve({"method": cell, "model": {"embed_dim": 4, "hidden": 12,
                                                      **rnn_cells.small_options()}})
    assert 0 < cell_fwd(cfg, 2, 10, 4) < cell_fwd(wide, 2, 10, 4)
    assert rnn_cells.CELLS[cell].label in methods.METHODS[cell].label
