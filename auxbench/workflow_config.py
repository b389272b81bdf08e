"""The workflow config (``config/*.yaml``): reading and merging its files, checking its structure.

What the keys mean for the runs is the plan's (``auxbench.plan``); here only their shape, as
``workflow/schemas/config.schema.yaml`` gives it::

    scale: embedded                 # embedded | lite | paper | smoke: shown in the report
    description: "..."              # one paragraph for the report
    data: {root: data, mirror: null}
    results_only: false             # true: rebuild tables/figures/report from existing run folders
    seeds: [0, 1, 2]                # seeds of every experiment that does not list its own
    compute:                        # runtime only: never changes a result or a config hash
      device: cpu                   # auto | cpu | cuda
      train:   {threads: 1, mem_mb: 2000, runtime_min: 60, gpu: 0}
      prepare: {threads: 1, mem_mb: 4000, runtime_min: 60, gpu: 0}
      bench:   {threads: 1, mem_mb: 8000, runtime_min: 60, gpu: 0}
    base: {model: {...}, train: {...}}            # run-config layer for every run
    method_overrides: {transformer: {train: {...}}}
    datasets:                                     # dataset id (used in paths) -> spec
      digits:
        spec: {name: uci_digits, tail: 20, ...}
        paper_dataset: mnist                      # the paper's column it stands for (or null)
        overrides: {train: {...}}                 # run-config layer for runs on this dataset
        compute: {mem_mb: 4000}                   # optional: resources of its training jobs
    settings:                                     # named settings; full, tK, nNlL (+ _pwin) are built in
      no_pretrain: {train: {pretrain_epochs: 0}}
    experiments:
      table2:
        kind: train
        enabled: true
        datasets: [digits]
        methods: [lstm, rlstm, plstm, rplstm, transformer]
        left_out_methods: {lmlstm: "its cost"}    # optional: methods not run here, and why
        settings: [full, t300]
        seeds: [0, 1, 2]                          # optional (default: top-level seeds)
        dataset_seeds: {digits: [0, 1, 2, 3, 4]}  # optional: per dataset
        exclude: [plstm-full]                     # optional: cells of the grid to leave out
        overrides: {train: {...}}                 # optional
        dataset_overrides: {digits: {train: {...}}}  # optional
      table4:
        kind: train
        enabled: false                            # not run at this scale ...
        left_out: "its runs would double the time"   # ... and why: optional, only with
        datasets: [embedded_text]                 # enabled: false; the report lists it
        methods: [lstm, rlstm]
        settings: [full, t300]
      table3:
        kind: bench
        enabled: true
        dataset: embedded_dogs_s32                # optional: the run config's dataset
        cases: [lstm:full, rlstm:t300, transformer:full]
        lengths: [256, 1024, 4096]
        overrides: {train: {batch_size: 16}}
    analysis: {confidence: 0.95, ...}             # options of auxbench.analysis
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from auxbench import config as runcfg
from auxbench.errors import ConfigError
from auxbench.methods import NAMES

DEFAULT_SCHEMA = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / \
    "config.schema.yaml"
# The config files of the scales above each scale: where an experiment it leaves out runs.
LARGER_CONFIGS = {"smoke": ("config/lite.yaml", "config/paper.yaml"),
                  "embedded": ("config/lite.yaml", "config/paper.yaml"),
                  "lite": ("config/paper.yaml",), "paper": ()}


def merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Recursive dict update, as Snakemake merges several --configfile and --config values."""
    return runcfg.deep_merge(dict(base), dict(update))


def load(files: Iterable[str | Path], overrides: Iterable[str] = ()) -> dict:
    """Read workflow config files (later ones update earlier ones) and `key.sub=value` overrides."""
    cfg: dict[str, Any] = {}
    for path in files:
        cfg = merge(cfg, runcfg.load_file(path))
    for item in overrides:
        cfg = merge(cfg, runcfg.parse_override(item))
    return cfg


_SCHEMA_CACHE: dict[str, dict] = {}


def load_schema(path: str | Path | None = None) -> dict:
    path = Path(path) if path is not None else DEFAULT_SCHEMA
    key = str(path.resolve())
    if key not in _SCHEMA_CACHE:
        if not path.is_file():
            raise ConfigError(f"workflow config schema {path} not found")
        schema = yaml.safe_load(path.read_text())
        schema["$defs"]["method"]["enum"] = list(NAMES)  # one list of methods: the table's
        _SCHEMA_CACHE[key] = schema
    return _SCHEMA_CACHE[key]


def configs_that_run(scale: str, experiment: str, method: str | None = None
                     ) -> tuple[str, ...]:
    """The larger scales' configs (repository paths) in which ``experiment`` is enabled (and
    runs ``method``, when one is named)."""
    repo = DEFAULT_SCHEMA.parents[2]
    found = []
    for c in LARGER_CONFIGS.get(scale, ()):
        exp = yaml.safe_load((repo / c).read_text())["experiments"][experiment]
        if exp.get("enabled", True) and (method is None or method in exp["methods"]):
            found.append(c)
    return tuple(found)


def left_out(cfg: Mapping[str, Any]) -> dict[str, str | None]:
    """Each disabled experiment and why the config leaves it out (its `left_out`, or None)."""
    return {name: exp.get("left_out") for name, exp in cfg["experiments"].items()
            if not exp.get("enabled", True)}


def left_out_methods(cfg: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """Each method an experiment that runs leaves out of its grid, and why (its
    `left_out_methods`), by (experiment, method). A method in `methods` runs, whatever a
    layered config's reason says: adding it with --config needs no key removed."""
    return {(name, method): reason for name, exp in cfg["experiments"].items()
            if exp.get("enabled", True)
            for method, reason in (exp.get("left_out_methods") or {}).items()
            if method not in exp["methods"]}


def _check_left_out(cfg: Mapping[str, Any]) -> None:
    """A reason for leaving out an experiment that runs would be false in the report."""
    for name, exp in cfg["experiments"].items():
        if exp.get("enabled", True) and "left_out" in exp:
            raise ConfigError(
                f"workflow config: experiments.{name}.left_out: only an experiment with "
                f"enabled: false is left out; remove left_out or set enabled: false")


def _check_case_methods(cfg: Mapping[str, Any]) -> None:
    """The resource benchmark's cases name methods of the table (the schema's pattern checks
    only their form)."""
    for name, exp in cfg["experiments"].items():
        for i, case in enumerate(exp.get("cases") or []):
            method = case.split(":")[0]
            if method not in NAMES:
                raise ConfigError(f"workflow config: experiments.{name}.cases[{i}]: {method!r} "
                                  f"is not one of {list(NAMES)}")


def check_schema(cfg: Mapping[str, Any], schema: str | Path | dict | None = None) -> None:
    """Validate the workflow config's structure, and that only a disabled experiment carries
    `left_out`; ConfigError names the first wrong key."""
    import jsonschema

    schema = schema if isinstance(schema, dict) else load_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(dict(cfg)))
    if not errors:
        _check_left_out(cfg)
        _check_case_methods(cfg)
        return

    def depth_first(e):
        # The most specific error: descend into if/then and anyOf contexts.
        while e.context:
            e = min(e.context, key=lambda c: (-len(c.absolute_path), str(c.message)))
        return e

    errors = sorted((depth_first(e) for e in errors),
                    key=lambda e: (-len(e.absolute_path), runcfg.key_path(e.absolute_path)))
    lines = [runcfg.describe_schema_error(e) for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    raise ConfigError("workflow config: " + "; ".join(lines) + more)
