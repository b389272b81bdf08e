"""What a workflow config will cost, before it runs: training steps and device-hours.

Each run's work is counted exactly from its config: training steps (epochs, pretraining included,
times batches) and evaluated examples (the test set and an equal training subset after each
evaluated epoch: every `train.eval_every`-th and the last), each weighed by its FLOPs (`flops.step_flops`). Seconds come from a rate table: seconds
per GFLOP of each method's training step, measured on a device by `auxbench counts --out FILE`
at one or more sizes; a run takes the rate measured at the size nearest its own (in FLOPs per
step), since small models use a device less well than large ones. The result is an estimate:
the rates are one device's, at the sizes measured. A member of a grouped job (several seeds as
one model, `compute.group_seeds`) is priced at the per-member rate measured at its group's size,
where the table has one, else as a separate run.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

import pandas as pd

from auxbench import data
from auxbench.errors import ConfigError
from auxbench.losses import MAIN
from auxbench.methods import METHODS, prefix, variant
from auxbench.resource_benchmark.flops import step_flops
from auxbench.rnn_cells import PAPER
from auxbench.train.eval_schedule import evaluated_epochs

SHIPPED_RATES = {  # measured by this project (docs/benchmarks.md); --rates NAME picks one
    "cpu": ("cpu_rates.json", "2-core CPU, one thread per job"),
    "h200": ("h200_rates.json", "one NVIDIA H200, IEEE fp32, one job per GPU"),
}
EVAL_SHARE = 1.0 / 3.0  # a forward pass is about a third of forward + backward


def shipped_rates(name: str = "cpu") -> list[dict]:
    return json.loads(resources.files("auxbench.resource_benchmark")
                      .joinpath(SHIPPED_RATES[name][0]).read_text())


def load_rates(path: str | Path | None) -> tuple[list[dict], str]:
    """Rate records (auxbench counts --out, or a shipped table's name) and where they came
    from."""
    name = "cpu" if path is None else str(path)
    if name in SHIPPED_RATES:
        file, device = SHIPPED_RATES[name]
        return shipped_rates(name), f"shipped table ({file}, {device})"
    try:
        records = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ConfigError(f"--rates {path}: cannot read a rate table ({err}); write one with "
                          f"auxbench counts --out {path}, or name a shipped one: "
                          f"{', '.join(SHIPPED_RATES)}") from None
    return records, str(path)


def stand_in(records: list[dict], method: str) -> str:
    """The method whose rates a table without `method` uses (said beside the estimate): the
    same losses on the LSTM, else, for a set of losses never measured on this device, the
    paper's loss on the LSTM (r-LSTM): seconds per GFLOP of the same kind of step."""
    measured = {r["method"] for r in records}
    row = METHODS[method]
    candidates = [method]
    if row.architecture == "recurrent":
        candidates.append(variant(row.loss, PAPER))
        if row.auxiliary:
            candidates.append(variant(prefix((MAIN,)), PAPER))
    return next((m for m in candidates if m in measured), method)


def group_measured(records: list[dict], method: str, group: int) -> int:
    """The group size whose rates price a member of a grouped job of `group` seeds: `group`
    itself where the table measured it (`auxbench counts --groups`), else 1: the job is priced
    as that many separate runs, and the estimate says so."""
    method = stand_in(records, method)
    sizes = {r.get("group", 1) for r in records if r["method"] == method}
    return group if group in sizes else 1


def rate_for(records: list[dict], method: str, gflop: float, group: int = 1) -> float:
    """Seconds per GFLOP of `method`'s step (per member, in a group of `group` seeds: a rate
    table's `group` records) measured at the size nearest `gflop` per step."""
    method = stand_in(records, method)
    mine = [r for r in records if r["method"] == method and r.get("gflop")
            and r.get("group", 1) == group]
    if not mine:
        raise ConfigError(f"the rate table has no measurement of {method}; measure it with "
                          f"auxbench counts --cases {method}:full --out FILE")
    best = min(mine, key=lambda r: abs(math.log(r["gflop"] / gflop)))
    return best["step_time_s"] / best["gflop"]


def run_cost(cfg: dict, records: list[dict], group: int = 1) -> dict:
    """Training steps, GFLOP and device-seconds of one resolved run config (one member of a
    grouped job of `group` seeds: its share of the job)."""
    t = cfg["train"]
    length, channels = data.sequence_shape(cfg["dataset"])
    n_train, n_test = data.split_sizes(cfg["dataset"])
    n_train = min(n_train, t["train_size"] or n_train)
    n_test = min(n_test, t["test_size"] or n_test)
    epochs = t["epochs"] + (t["pretrain_epochs"] if METHODS[cfg["method"]].auxiliary else 0)
    steps = epochs * math.ceil(n_train / t["batch_size"])
    step_gflop = step_flops(cfg, t["batch_size"], length, channels) / 1e9
    method = METHODS[cfg["method"]]  # evaluation reads with the plain cell (or Transformer)
    reader = cfg["method"] if method.architecture == "transformer" else variant("", method.cell)
    full = {**cfg, "method": reader, "train": {**t, "bptt": "full"}}
    eval_gflop = (EVAL_SHARE * step_flops(full, 1, length, channels) / 1e9 * 2 * n_test
                  * evaluated_epochs(epochs, t["eval_every"]))
    group = group_measured(records, cfg["method"], group)
    seconds = (steps * step_gflop * rate_for(records, cfg["method"], step_gflop, group)
               + eval_gflop * rate_for(records, reader, step_gflop, group_measured(
                   records, reader, group)))
    return {"steps": steps, "gflop": steps * step_gflop + eval_gflop, "seconds": seconds}


def estimate(plan, records: list[dict]) -> pd.DataFrame:
    """Per experiment: runs that train, their steps, GFLOP and device-seconds."""
    rows = []
    for job in plan.train_jobs:
        for run in job:
            cost = run_cost(plan.run_config(run), records, len(job))
            rows.append({"experiment": run.experiment, **cost})
    df = pd.DataFrame(rows, columns=["experiment", "steps", "gflop", "seconds"])
    out = df.groupby("experiment", sort=False).agg(
        runs=("steps", "size"), steps=("steps", "sum"), gflop=("gflop", "sum"),
        seconds=("seconds", "sum")).reset_index()
    return out
