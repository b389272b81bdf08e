"""Read run folders, training curves and resource benchmarks into tidy tables.

Run folder: `<runs_dir>/<experiment>/<dataset>/<method>-<setting>/seed<k>/` holding
`metrics.json`, `curve.csv` and `asrun.json` (docs/architecture.md). The folder path is the key;
`metrics.json` must agree with it, or loading stops with a `DataError` naming the file.
A seed folder without `metrics.json` is kept with status `missing`, so that it is reported and
never silently left out.

Accuracies are fractions in the files; the tables here carry them in percent (`*_pct`).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from auxbench.errors import DataError
from auxbench.formats import CURVE_COLUMNS
from auxbench.paths import KEY_FIELDS, RUN_GLOB, RUN_TEMPLATE, RunKey

RUN_COLUMNS = [
    "experiment", "dataset", "method", "setting", "seed", "status",
    "test_accuracy_pct", "test_loss", "train_accuracy_pct", "epochs", "pretrain_epochs",
    "wall_time_s", "peak_memory_mb", "seq_len", "n_classes", "n_parameters", "resumed",
    "config_hash", "code_version", "error", "run_dir", "shared_from",
]
RESOURCE_COLUMNS = [
    "method", "setting", "seq_len", "batch_size", "device", "backend", "step_time_s",
    "samples_per_s", "peak_memory_mb", "activation_mb", "gflop", "gflops_per_s", "status",
    "error",
]
RESOURCE_STATUSES = ("ok", "oom", "error", "timeout", "skipped")


def _keys_from_path(seed_dir: Path, runs_dir: Path) -> dict:
    key = RunKey.parse(seed_dir.relative_to(runs_dir))
    if key is None:
        raise DataError(f"{seed_dir}: expected {RUN_TEMPLATE}")
    return key.as_keys()


def _read_json(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            obj = json.load(fh)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); rerun the job that writes it") from exc
    if not isinstance(obj, dict):
        raise DataError(f"{path}: expected a JSON object")
    return obj


def _fraction_to_pct(value, path: Path, key: str) -> float:
    if value is None:
        return math.nan
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{path}: {key} must be a number, got {value!r}") from exc
    if not (0.0 <= v <= 1.0):
        raise DataError(f"{path}: {key}={v} is not a fraction in [0, 1]")
    return 100.0 * v


def _num(value) -> float:
    try:
        return math.nan if value is None else float(value)
    except (TypeError, ValueError):
        return math.nan


def read_run(seed_dir: str | Path, runs_dir: str | Path, as_key: RunKey | None = None) -> dict:
    """One row of the run table for one seed folder (status `missing` where it has no
    metrics.json, or does not exist); `as_key`: the row of that run, read from the folder of
    the identical run another experiment trained (`shared_from` names it)."""
    row = _read_seed_dir(Path(seed_dir), Path(runs_dir))
    if as_key is not None and as_key != RunKey.of(row):
        row["shared_from"] = RunKey.of(row).rel
        row.update(as_key.as_keys())
    return row


def _read_seed_dir(seed_dir: Path, runs_dir: Path) -> dict:
    row = {c: None for c in RUN_COLUMNS}
    row.update(_keys_from_path(seed_dir, runs_dir))
    row["run_dir"] = str(seed_dir)
    if not seed_dir.is_dir():
        row["status"] = "missing"
        row["error"] = "no run folder (never run, or not unpacked)"
        return _finish(row)
    mpath = seed_dir / "metrics.json"
    if not mpath.is_file():
        row["status"] = "missing"
        row["error"] = "no metrics.json (run not finished or killed)"
        return _finish(row)
    m = _read_json(mpath)
    for key in ("experiment", "dataset", "method", "setting", "seed"):
        if key in m and m[key] is not None and str(m[key]) != str(row[key]):
            raise DataError(
                f"{mpath}: {key}={m[key]!r} disagrees with its folder ({key}={row[key]!r}); "
                "the run folder was moved or written by a different job"
            )
    status = m.get("status")
    if status not in ("completed", "failed"):
        raise DataError(f"{mpath}: status must be 'completed' or 'failed', got {status!r}")
    row["status"] = status
    row["error"] = m.get("error")
    row["test_accuracy_pct"] = _fraction_to_pct(m.get("test_accuracy"), mpath, "test_accuracy")
    row["train_accuracy_pct"] = _fraction_to_pct(m.get("train_accuracy"), mpath, "train_accuracy")
    if status == "completed" and not np.isfinite(row["test_accuracy_pct"]):
        raise DataError(f"{mpath}: a completed run must have test_accuracy")
    if status == "failed":
        row["test_accuracy_pct"] = math.nan
        if not row["error"]:
            row["error"] = "failed (no error message recorded)"
    for key in ("test_loss", "epochs", "pretrain_epochs", "wall_time_s", "peak_memory_mb",
                "seq_len", "n_classes", "n_parameters", "resumed"):
        row[key] = _num(m.get(key))
    row["config_hash"] = m.get("config_hash")
    row["code_version"] = m.get("code_version")
    return _finish(row)


def _finish(row: dict) -> dict:
    for key in ("test_accuracy_pct", "train_accuracy_pct", "test_loss", "epochs",
                "pretrain_epochs", "wall_time_s", "peak_memory_mb", "seq_len", "n_classes",
                "n_parameters", "resumed"):
        if row.get(key) is None:
            row[key] = math.nan
    return row


def seed_dirs(runs_dir: str | Path, keys: Iterable[RunKey] | None = None) -> list[Path]:
    """The folders of the runs `keys` (None: of every run under `runs_dir`), in path order."""
    runs_dir = Path(runs_dir)
    if keys is not None:
        return sorted(k.folder(runs_dir) for k in keys)
    if not runs_dir.is_dir():
        raise DataError(f"runs folder {runs_dir} does not exist; train something first")
    return [p for p in sorted(runs_dir.glob(RUN_GLOB))
            if p.is_dir() and not p.name.startswith(".")]


def unplanned_dirs(runs_dir: str | Path, keys: Iterable[RunKey]) -> list[str]:
    """Run folders under `runs_dir` that are not among `keys` (left out of the analysis)."""
    if not Path(runs_dir).is_dir():
        return []
    planned = set(seed_dirs(runs_dir, keys))
    return [str(p) for p in seed_dirs(runs_dir) if p not in planned]


NUMERIC_RUN_COLUMNS = ("test_accuracy_pct", "test_loss", "train_accuracy_pct", "epochs",
                       "pretrain_epochs", "wall_time_s", "peak_memory_mb", "seq_len", "n_classes",
                       "n_parameters", "resumed")


def normalize_runs(df: pd.DataFrame) -> pd.DataFrame:
    """A run table with numeric columns as floats and seeds as ints, whoever built it."""
    df = df.copy()
    for c in RUN_COLUMNS:
        if c not in df.columns:
            df[c] = None
    for c in NUMERIC_RUN_COLUMNS:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    df["seed"] = pd.to_numeric(df["seed"], errors="coerce").astype(int)
    return df


def check_consistent(runs: pd.DataFrame) -> None:
    """Refuse to combine the seeds of one cell made with different configs or training code.

    Averaging a stale seed with fresh ones would give a number no configuration produced; the
    message names the cell, the differing values and the seeds behind each.
    """
    present = runs[runs["status"] != "missing"]
    for cell, group in present.groupby(["experiment", "dataset", "method", "setting"]):
        for column, what in (("config_hash", "configurations"), ("code_version", "training code")):
            values = group[column].dropna().unique()
            if len(values) > 1:
                detail = "; ".join(
                    f"{v}: seeds {sorted(group.loc[group[column] == v, 'seed'].tolist())}"
                    for v in values)
                raise DataError(
                    f"cell {'/'.join(map(str, cell))} mixes runs made with different {what} "
                    f"({column} {detail}); rerun the stale seeds (snakemake --forcerun their "
                    f"metrics.json) or move their folders away, then aggregate again")


def load_runs(runs_dir: str | Path, keys: Iterable[RunKey] | None = None,
              shared: Mapping[RunKey, RunKey] | None = None) -> pd.DataFrame:
    """Tidy per-seed table (columns `RUN_COLUMNS`) of the runs `keys`, in their order, a run
    without a folder as `missing`, a run in `shared` read from its trained twin's folder; or,
    with no keys, of every run under `runs_dir`, sorted."""
    if keys is not None:
        shared = shared or {}
        rows = [read_run(shared.get(k, k).folder(runs_dir), runs_dir, as_key=k) for k in keys]
        return normalize_runs(pd.DataFrame(rows, columns=RUN_COLUMNS))
    rows = [read_run(p, runs_dir) for p in seed_dirs(runs_dir)]
    df = normalize_runs(pd.DataFrame(rows, columns=RUN_COLUMNS))
    if df.empty:
        return df
    return df.sort_values(["experiment", "dataset", "method", "setting", "seed"],
                          kind="stable").reset_index(drop=True)


# curve.csv written before train numbers were measured in eval mode: its train_* columns were
# running averages over the epoch's batches (dropout on), read under the names they now have.
OLD_RUNNING_COLUMNS = {"train_loss_sup": "running_loss_sup", "train_loss_aux": "running_loss_aux",
                       "train_accuracy": "running_accuracy"}


def read_curve(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: unreadable curve CSV ({exc})") from exc
    if "train_loss_sup" in df.columns:
        df = df.rename(columns=OLD_RUNNING_COLUMNS)
    missing = [c for c in ("epoch", "phase") if c not in df.columns]
    if missing:
        raise DataError(f"{path}: curve.csv lacks columns {missing}")
    for c in CURVE_COLUMNS:
        if c not in df.columns:
            df[c] = math.nan
        elif c != "phase":
            df[c] = pd.to_numeric(df[c], errors="coerce")
    return df[list(CURVE_COLUMNS)]


def load_curves(runs_dir: str | Path, keys: Iterable[RunKey] | None = None,
                shared: Mapping[RunKey, RunKey] | None = None) -> pd.DataFrame:
    """Every `curve.csv` (of the runs `keys`, a run in `shared` from its trained twin's folder;
    or of all) in long form, keyed like the run table; accuracies in percent."""
    frames = []
    if keys is None:
        folders = [(p, RunKey(**_keys_from_path(p, Path(runs_dir)))) for p in seed_dirs(runs_dir)]
    else:
        shared = shared or {}
        folders = [((shared.get(k, k)).folder(runs_dir), k) for k in keys]
    for p, key in sorted(folders, key=lambda item: item[1].rel):
        cpath = p / "curve.csv"
        if not cpath.is_file():
            continue
        df = read_curve(cpath)
        for k, v in key.as_keys().items():
            df[k] = v
        frames.append(df)
    cols = ["experiment", "dataset", "method", "setting", "seed", *CURVE_COLUMNS]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)[cols]
    for c in ("train_accuracy", "test_accuracy", "running_accuracy"):
        out[c] = out[c] * 100.0
    return out


def load_resources(path: str | Path | None) -> pd.DataFrame:
    """The resource benchmark JSON of `auxbench resources` (a list of records)."""
    if path is None:
        return pd.DataFrame(columns=[*RESOURCE_COLUMNS, "series"])
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as fh:
            records = json.load(fh)
    except FileNotFoundError as exc:
        raise DataError(f"{path}: resource benchmark file not found; run `auxbench resources`") from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from exc
    if isinstance(records, dict) and "records" in records:
        records = records["records"]
    if not isinstance(records, list):
        raise DataError(f"{path}: expected a list of benchmark records")
    rows = []
    for i, r in enumerate(records):
        if not isinstance(r, dict) or not {"method", "setting", "seq_len", "status"} <= set(r):
            raise DataError(f"{path}: record {i} lacks method/setting/seq_len/status")
        if r["status"] not in RESOURCE_STATUSES:
            raise DataError(f"{path}: record {i} has status {r['status']!r} "
                            f"({'|'.join(RESOURCE_STATUSES)})")
        rows.append({c: r.get(c) for c in RESOURCE_COLUMNS})
    df = pd.DataFrame(rows, columns=RESOURCE_COLUMNS)
    # Several backends for one (method, setting), e.g. the `torch-default` baseline beside the
    # fast LSTM, are kept apart by folding the backend into the setting shown.
    multi = df.groupby(["method", "setting"])["backend"].transform(
        lambda b: b.fillna("").nunique() > 1)
    df["series"] = np.where(multi, df["setting"] + " [" + df["backend"].fillna("?") + "]",
                            df["setting"])
    for c in ("seq_len", "batch_size", "step_time_s", "samples_per_s", "peak_memory_mb",
              "activation_mb", "gflop", "gflops_per_s"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


JOB_USAGE_COLUMNS = ["s", "h:m:s", "max_rss", "max_vms", "max_uss", "max_pss", "io_in", "io_out",
                     "mean_load", "cpu_time"]


def load_job_usage(job_usage_dir: str | Path | None,
                   keys: Iterable[RunKey] | None = None) -> pd.DataFrame:
    """Snakemake `benchmark:` TSVs under `job_usage_dir`, one row per file (its last line); only
    those of the runs `keys` when given.

    The path relative to `job_usage_dir` is kept as `job`; when it ends like a run folder
    (auxbench.paths.RUN_PATTERN, plus .tsv) the run's keys are filled in too.
    """
    wanted = None if keys is None else set(keys)
    cols = ["job", "experiment", "dataset", "method", "setting", "seed"] + JOB_USAGE_COLUMNS
    if job_usage_dir is None or not Path(job_usage_dir).is_dir():
        return pd.DataFrame(columns=cols)
    job_usage_dir = Path(job_usage_dir)
    rows = []
    for path in sorted(job_usage_dir.rglob("*.tsv")):
        with open(path, encoding="utf-8", newline="") as fh:
            recs = list(csv.DictReader(fh, delimiter="\t"))
        if not recs:
            continue
        rec = recs[-1]
        rel = path.relative_to(job_usage_dir)
        key = RunKey.parse(rel.with_suffix(""))
        if wanted is not None and key not in wanted:
            continue
        row = {"job": str(rel), **(key.as_keys() if key else dict.fromkeys(KEY_FIELDS))}
        for c in JOB_USAGE_COLUMNS:
            v = rec.get(c)
            row[c] = v if c == "h:m:s" else _num(v if v not in ("", "-", "NA") else None)
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)
