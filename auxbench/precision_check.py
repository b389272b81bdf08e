"""The precision check (`auxbench precision-check`): may a cell compute in a cheaper precision?

It trains one cell of a workflow config (by default the paper's sizes; shrink it with the
config's overrides, e.g. fewer epochs) at IEEE fp32 and at a candidate precision, the same seeds
at both, and tests equivalence of the paired final test accuracies by two one-sided tests
(auxbench.analysis.stats.paired_tost, margin 1 pp). A difference test that fails shows nothing;
equivalence must be shown, with the margin the seeds could decide printed beside the verdict.
The record it writes is what admits the precision in a workflow config (auxbench.precision).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from auxbench import data
from auxbench.analysis.stats import paired_tost
from auxbench.config import deep_merge
from auxbench.errors import ConfigError
from auxbench.precision import ALPHA, MARGIN_PP, PRECISIONS, REFERENCE
from auxbench.runtime import resolve_device
from auxbench.train.engine import train_run
from auxbench.train.records import device_name

MIN_SEEDS = 5


def cell_config(plan, dataset: str, method: str, experiment: str | None = None,
                setting: str | None = None) -> dict[str, Any]:
    """The run config of the first planned run of `method` on `dataset` (in the experiment and
    setting given, if given), without its runtime section."""
    for run in plan.runs:
        if (run.dataset, run.method) == (dataset, method) and experiment in (None, run.experiment) \
                and setting in (None, run.setting):
            cfg = plan.run_config(run)
            cfg.pop("runtime")
            return cfg
    cells = sorted({f"{r.experiment}/{r.dataset}/{r.method}-{r.setting}" for r in plan.runs})
    raise ConfigError(f"no planned run of {method} on {dataset}"
                      f"{f' in {experiment}' if experiment else ''}"
                      f"{f' at {setting}' if setting else ''}; planned cells: {cells}")


def check_device(precision: str, device: torch.device) -> None:
    """TF32 exists only on NVIDIA GPUs: on a CPU fp32 matmuls stay IEEE whatever train.tf32
    says, so a check there would compare fp32 with itself and prove nothing."""
    if PRECISIONS[precision]["tf32"] and device.type != "cuda":
        raise ConfigError(f"precision {precision}: TF32 exists only on CUDA GPUs (Ampere and "
                          f"later); on {device.type} torch computes fp32 in IEEE fp32 whatever "
                          f"train.tf32 says, so the check would compare fp32 with itself. Run it "
                          f"with --device cuda on a GPU (bf16 autocast exists on CPU)")


def run_check(cfg: dict[str, Any], precision: str, seeds: list[int], runtime: dict[str, Any],
              work_dir: str | Path, margin_pp: float = MARGIN_PP, alpha: float = ALPHA,
              log=print) -> dict[str, Any]:
    """Train every seed at IEEE fp32 and at `precision`; the record of the paired TOST."""
    if len(set(seeds)) < MIN_SEEDS or len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds: at least {MIN_SEEDS} distinct seeds are needed for a "
                          f"paired equivalence test, got {seeds}")
    device = resolve_device(runtime["device"])
    check_device(precision, device)
    runtime = {**runtime, "device": str(device)}
    started = time.time()
    last_only = {"eval_every": cfg["train"]["epochs"] + cfg["train"]["pretrain_epochs"]}
    pairs: dict[str, list[float]] = {"reference": [], "candidate": []}
    for seed in seeds:
        for role, name in (("reference", REFERENCE), ("candidate", precision)):
            run_cfg = deep_merge(cfg, {"train": {**PRECISIONS[name], **last_only},
                                       "runtime": runtime, "run": {"seed": seed}})
            folder = Path(work_dir) / role / f"seed{seed}"
            metrics = train_run(run_cfg, folder, folder / "checkpoint")
            pairs[role].append(100.0 * metrics["test_accuracy"])
        log(f"seed {seed}: {REFERENCE} {pairs['reference'][-1]:.2f}%  {precision} "
            f"{pairs['candidate'][-1]:.2f}%  difference "
            f"{pairs['candidate'][-1] - pairs['reference'][-1]:+.2f} pp")
    tost = paired_tost(pairs["reference"], pairs["candidate"], margin_pp, alpha)
    log(f"paired TOST, n = {tost.n}, margin ±{margin_pp:g} pp, alpha {alpha:g}: mean difference "
        f"{tost.mean:+.3f} pp (SD {tost.sd:.3f}), {100 * (1 - 2 * alpha):g}% CI "
        f"[{tost.ci_low:+.3f}, {tost.ci_high:+.3f}] pp, p = {tost.p:.3g}; decidable margin "
        f"{tost.decidable_margin:.3f} pp: {'PASS' if tost.equivalent else 'FAIL'}")
    return {
        "check": "paired TOST of the final test accuracy (%), candidate - fp32",
        "precision": precision, "reference": REFERENCE, "passed": tost.equivalent,
        "method": cfg["method"], "dataset_key": data.dataset_key(data.validate_spec(cfg["dataset"])),
        "device_type": device.type, "device_name": device_name(device),
        "torch": torch.__version__, "seeds": list(seeds),
        "accuracy_pct": pairs, "tost": tost.as_dict(),
        "wall_time_s": time.time() - started, "finished": time.time(), "config": cfg,
    }
