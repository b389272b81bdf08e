"""The precisions a run may compute in, and the recorded equivalence checks that admit them.

IEEE fp32 is every config's default (train.tf32: false, train.autocast: none). Another precision
is named by those two keys; a workflow config may use one only where a recorded pass of the
precision check (`auxbench precision-check`, auxbench.precision_check) covers the run: the same
method, dataset, model and device type. The records are JSON files a user commits under
`config/precision/`; the plan refuses a config without one (`require_recorded_passes`).
Importable without torch (the Snakefile's plan imports it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from auxbench.errors import ConfigError

REFERENCE = "fp32"
# name -> the run config's train keys that select it
PRECISIONS: dict[str, dict[str, Any]] = {
    "fp32": {"tf32": False, "autocast": "none"},
    "tf32": {"tf32": True, "autocast": "none"},
    "bf16": {"tf32": False, "autocast": "bf16"},
    "tf32+bf16": {"tf32": True, "autocast": "bf16"},
}
RECORDS = Path("config") / "precision"  # from the working directory, as config/*.yaml
MARGIN_PP = 1.0  # the equivalence margin a pass must have been shown at, at most
ALPHA = 0.05     # and the level, at most
RECORD_KEYS = {"passed", "precision", "method", "dataset_key", "device_type", "config", "tost"}


def precision_name(train: dict[str, Any]) -> str:
    """The name of the precision a run config's `train` section selects."""
    return next(n for n, keys in PRECISIONS.items()
                if all(train[k] == v for k, v in keys.items()))


def record_name(method: str, dataset_key: str, precision: str, device_type: str) -> str:
    """The file a check's record is written to under RECORDS (one per method, dataset,
    precision and device type: a later check replaces an earlier one)."""
    return f"{method}-{dataset_key}-{precision}-{device_type}.json"


def load_records(folder: str | Path) -> list[dict[str, Any]]:
    """Every record in `folder` (none when it does not exist)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}: not a precision-check record ({err})") from None
        missing = sorted(RECORD_KEYS - set(record if isinstance(record, dict) else ()))
        if missing:
            raise ConfigError(f"{path}: not a precision-check record (lacks {missing}); "
                              f"`auxbench precision-check` writes them")
        out.append(record)
    return out


def covers(record: dict[str, Any], cfg: dict[str, Any], dataset_key: str, device: str) -> bool:
    """Whether a passed record speaks for a run config: its precision, method, dataset and model
    (sizes included), at no wider margin or laxer level than the check's own, on the device type
    the run uses. Under `auto` no record speaks: the device type is known only when a job starts.
    A record speaks for every setting and budget of the cell (the check trains fewer epochs)."""
    tost = record["tost"]
    return (record.get("passed") is True
            and record["precision"] == precision_name(cfg["train"])
            and record["method"] == cfg["method"] and record["dataset_key"] == dataset_key
            and record["config"]["model"] == cfg["model"]
            and tost["margin"] <= MARGIN_PP and tost["alpha"] <= ALPHA
            and device != "auto" and record["device_type"] == device.split(":")[0])


def require_recorded_passes(runs: Iterable[tuple[str, dict[str, Any], str]], device: str,
                            folder: str | Path = RECORDS) -> None:
    """Refuse a run that computes in another precision than IEEE fp32 without a recorded pass
    covering it. `runs`: (label, run config, dataset key) of every run that trains."""
    records = None
    for label, cfg, key in runs:
        name = precision_name(cfg["train"])
        if name == REFERENCE:
            continue
        records = load_records(folder) if records is None else records
        if not any(covers(r, cfg, key, device) for r in records):
            raise ConfigError(
                f"run {label}: precision {name} (train.tf32: {cfg['train']['tf32']}, "
                f"train.autocast: {cfg['train']['autocast']}) is used only with a recorded pass "
                f"of the precision check for {cfg['method']} on {key} at this model's sizes on "
                f"{device}, and {folder} holds none; run `auxbench precision-check --method "
                f"{cfg['method']} --precision {name} ...` on that device and commit its record "
                f"there (docs/method.md, \"Training\"), or leave train.tf32: false and "
                f"train.autocast: none (IEEE fp32)")
