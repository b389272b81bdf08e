"""Run configuration: the paper's defaults, file loading, `key=value` overrides, validation.

One run config describes one training run completely; its hash (without seed and runtime
settings) identifies the cell a run belongs to, so runs made with different settings are never
averaged together.
"""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from auxbench.errors import ConfigError
from auxbench.losses import LOSSES
from auxbench.methods import METHODS, NAMES
from auxbench.rnn_cells import CELLS

# The paper's architecture and training defaults (docs/paper.md §2, §3, §8); every entry is a choice a
# user can override, and the comment says where an unspecified detail was decided.
DEFAULTS: dict[str, Any] = {
    "run": {"experiment": "adhoc", "dataset": None, "setting": "default", "seed": 0},
    "dataset": {"name": "mnist"},
    "method": "rlstm",
    "model": {
        "embed_dim": 128,              # stated
        "embedding_mode": "sum",       # §8.7: sum of per-channel tables (or concat + projection)
        "hidden": 128,                 # stated: 1-layer LSTM, 128 cells
        "forget_bias": 1.0,            # §8.21
        "head_hidden": 256,            # stated: 2-layer FFN, 256 hidden
        "head_layers": 1,              # §2: one hidden layer (two weight layers)
        "head_dropout": 0.5,           # stated p = 0.5 on the second FFN layer
        "dropconnect": False,          # belepi93's reading of "dropout", behind a flag
        "head_norm": "none",           # not in the paper: "batch" standardises the head's input
        "head_activation": "relu",     # §2: not given; tanh and leaky_relu cannot die
        "aux_head_hidden": 256,        # every auxiliary loss's head (lm-LSTM's token head too)
        "aux_dropout": 0.5,
        "lstm_backend": "auto",        # nn.LSTM (oneDNN on CPU, cuDNN on CUDA); or torch, fused
        "transformer": {"d_model": 128, "heads": 4, "ff": 512, "layers": 2,
                        "dropout": 0.1, "attn_dropout": 0.0},
    },
    "train": {
        "bptt": 300,                   # stated: supervised truncation 300 ("full" = whole sequence)
        "aux_bptt": 300,               # stated: auxiliary truncation 300, also in Full BP runs
        "n_anchors": 1,                # stated: one anchor in most experiments
        "aux_len": 600,                # stated: subsequence length 600
        "aux_weight": 1.0,             # stated: L = L_sup + L_aux
        "aux_combine": "sum",          # rplstm: L_r + L_p (each normalised per token) or their mean
        "aux_in_training": True,       # keep the auxiliary loss on after pretraining (stated)
        "pretrain_epochs": 2,          # §8.14: ~20% of the budget (StanfordDogs: 20 per 100)
        "epochs": 10,
        "batch_size": 128,             # §8.12
        "eval_batch_size": 256,
        "eval_every": 1,               # epochs between evaluations (the last always evaluated)
        "eval_tokens": 2**21,          # at most this many steps x examples held by one evaluation
                                       # batch (the Transformer holds all T, a scan `scan_chunk`)
        "optimizer": "rmsprop",        # §8.12
        "lr": 1.0e-3,
        "lr_schedule": "constant",
        "lr_step_epochs": 0,
        "lr_gamma": 0.5,
        "grad_clip": 1.0,              # §8.13
        "train_size": None,            # a fixed class-stratified subset (None = all)
        "test_size": None,
        "split_seed": 0,               # subsets are a property of the data, not of the run seed
        "scan_chunk": 512,             # steps per chunk of the no-gradient pass (bounds memory)
        "deterministic": False,
        "tf32": False,                 # IEEE fp32 matmuls and cuDNN LSTMs on every device, so CPU
                                       # and GPU agree (torch's own default lets cuDNN use TF32)
        "autocast": "none",            # "bf16": mixed precision (opt-in, e.g. the Transformer)
    },
    "runtime": {"device": "auto", "threads": None, "data_root": "data", "data_mirror": None,
                "progress": "auto"},
}

_SCHEMA_CACHE: dict[str, Any] = {}


def run_schema() -> dict[str, Any]:
    """The run schema, with the method table's names as the method enum and each loss's and
    cell's options from its own `schema` (run.schema.json holds the engine's)."""
    if "run" not in _SCHEMA_CACHE:
        text = resources.files("auxbench").joinpath("schemas/run.schema.json").read_text()
        schema = json.loads(text)
        schema["properties"]["method"]["enum"] = list(NAMES)
        for part in (*LOSSES.values(), *CELLS.values()):
            for section, options in part.schema.items():
                target = schema["properties"][section]
                target["properties"].update(options)
                target["required"].extend(key for key in options if key not in target["required"])
        _SCHEMA_CACHE["run"] = schema
    return _SCHEMA_CACHE["run"]


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Return `base` updated recursively by `update` (neither is modified)."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


for _part in (*LOSSES.values(), *CELLS.values()):  # each loss's and cell's own options
    DEFAULTS = deep_merge(DEFAULTS, _part.defaults)


def parse_override(text: str) -> dict[str, Any]:
    """`train.epochs=3` -> {"train": {"epochs": 3}}; the value is parsed as YAML."""
    if "=" not in text:
        raise ConfigError(f"override {text!r}: expected KEY=VALUE, e.g. train.epochs=3")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw != "" else None
    except yaml.YAMLError as err:
        raise ConfigError(f"override {key}: cannot parse value {raw!r}: {err}") from None
    out: dict[str, Any] = value
    for part in reversed(key.strip().split(".")):
        if not part:
            raise ConfigError(f"override {text!r}: empty key component")
        out = {part: out}
    return out


def load_file(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected a mapping at the top level")
    return data


def resolve(*layers: dict[str, Any]) -> dict[str, Any]:
    """Merge layers over the defaults and validate the result."""
    cfg = copy.deepcopy(DEFAULTS)
    for layer in layers:
        if layer:
            cfg = deep_merge(cfg, layer)
    validate(cfg)
    return cfg


def validate(cfg: dict[str, Any]) -> None:
    """Raise ConfigError naming the first wrong key and what it accepts."""
    validator = jsonschema.Draft202012Validator(run_schema())
    errors = sorted(validator.iter_errors(cfg), key=lambda e: (len(e.path), list(e.path)))
    if errors:
        raise ConfigError(describe_schema_error(errors[0]))
    train, model = cfg["train"], cfg["model"]
    method = METHODS[cfg["method"]]  # a known name: the schema checked it
    if not method.truncatable and train["bptt"] != "full":
        raise ConfigError(f"train.bptt: the {method.name} has no truncation; use bptt: full")
    for kind in method.losses:
        LOSSES[kind].check(cfg)
    tr = model["transformer"]
    if method.architecture == "transformer" and tr["d_model"] % tr["heads"]:
        raise ConfigError(f"model.transformer.heads: {tr['heads']} does not divide "
                          f"model.transformer.d_model ({tr['d_model']})")
    if method.cell is not None:
        CELLS[method.cell].check(cfg)
    if train["lr_schedule"] == "step" and train["lr_step_epochs"] < 1:
        raise ConfigError("train.lr_step_epochs: must be >= 1 with lr_schedule: step")


def key_path(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def describe_schema_error(err: jsonschema.ValidationError) -> str:
    """One line naming the key at fault and what it accepts (run and workflow configs alike)."""
    where = key_path(err.absolute_path)
    if err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(set(err.instance) - set(allowed))
        return f"{where}: unknown key(s) {extra}" + (f"; allowed keys: {allowed}" if allowed else "")
    if err.validator == "propertyNames":
        return f"{where}: name {err.instance!r} is not allowed ({err.message})"
    if err.validator == "enum":
        return f"{where}: {err.instance!r} is not one of {err.validator_value}"
    if err.validator == "required":
        return f"{where}: {err.message} (give it an explicit value)"
    desc = err.schema.get("description") if isinstance(err.schema, dict) else None
    msg = f"{where}: {err.message}"
    if err.validator in ("oneOf", "anyOf", "type", "pattern") and desc:
        msg += f" ({desc.strip().splitlines()[0]})"
    return msg


# Settings that change how a run computes, not what it computes (eval_every: how often it is
# measured; the final metrics and parameters do not depend on it, tests/test_eval_every.py).
NOT_IN_CELL = {"train": ("scan_chunk", "eval_batch_size", "eval_tokens", "eval_every"),
               "model": ("lstm_backend",)}


def cell_hash(cfg: dict[str, Any]) -> str:
    """Hash of everything that defines a result cell: all but the seed, run labels, runtime and
    the settings that only change speed or memory (NOT_IN_CELL)."""
    ident = {k: v for k, v in cfg.items() if k not in ("run", "runtime")}
    for section, keys in NOT_IN_CELL.items():
        ident[section] = {k: v for k, v in ident[section].items() if k not in keys}
    blob = json.dumps(ident, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def to_yaml(cfg: dict[str, Any]) -> str:
    return yaml.safe_dump(cfg, sort_keys=False, default_flow_style=False)
