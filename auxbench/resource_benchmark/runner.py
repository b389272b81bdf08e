"""Run the benchmark grid (method x setting x length), one subprocess per case, and write the
records as JSON and a Markdown table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from auxbench.atomic import write_json, write_text
from auxbench.config import deep_merge, resolve
from auxbench.errors import ConfigError
from auxbench.methods import METHODS
from auxbench.runtime import resolve_device


def parse_cases(text: str) -> list[tuple[str, str]]:
    """'lstm:full,rlstm:t300' -> [("lstm", "full"), ("rlstm", "t300")]."""
    cases = []
    for item in text.split(","):
        method, _, setting = item.strip().partition(":")
        if not setting or not (setting == "full" or (setting[0] == "t" and setting[1:].isdigit())):
            raise ConfigError(f"--cases: {item!r} must be METHOD:full or METHOD:tK, e.g. rlstm:t300")
        cases.append((method, setting))
    return cases


def case_config(base: dict, method: str, setting: str, device: str) -> dict:
    bptt = "full" if setting == "full" else int(setting[1:])
    return resolve(deep_merge(base, {"method": method, "train": {"bptt": bptt},
                                     "run": {"setting": setting},
                                     "runtime": {"device": device}}))


def matmul_peak_gflops(device: torch.device, size: int = 2048, repeats: int = 5) -> float:
    """The machine's float32 matrix-multiply rate: the ceiling a training step is compared to."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    best = float("inf")
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        a @ b
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def run_case(cfg: dict, length: int, batch: int, channels: int, steps: int, warmup: int,
             threads: int | None, timeout: float, memory_limit_mb: int | None,
             baseline: bool) -> dict:
    cmd = [sys.executable, "-m", "auxbench.resource_benchmark.case", "--config-json", json.dumps(cfg),
           "--length", str(length), "--batch", str(batch), "--channels", str(channels),
           "--steps", str(steps), "--warmup", str(warmup)]
    if threads:
        cmd += ["--threads", str(threads)]
    if memory_limit_mb:
        cmd += ["--memory-limit-mb", str(memory_limit_mb)]
    if baseline:
        cmd.append("--no-flush-denormal")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "error": f"no result within {timeout:.0f} s"}
    if proc.returncode != 0:
        killed = proc.returncode in (-9, 137)
        return {"status": "oom" if killed else "error",
                "error": (proc.stderr.strip().splitlines() or ["killed"])[-1][:300]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _num(record: dict, key: str, fmt: str) -> str:
    return format(record[key], fmt) if record.get(key) is not None else "-"


def format_table(records: list[dict]) -> str:
    head = ("| method | setting | backend | T | batch | step (s) | samples/s | peak MiB | "
            "activations MiB | GFLOP | GFLOP/s | status |")
    lines = [head, "|" + "---|" * 12]
    for r in records:
        lines.append(f"| {r['method']} | {r['setting']} | {r['backend']} | {r['seq_len']} | "
                     f"{r['batch_size']} | {_num(r, 'step_time_s', '.3f')} | "
                     f"{_num(r, 'samples_per_s', '.1f')} | {_num(r, 'peak_memory_mb', '.0f')} | "
                     f"{_num(r, 'activation_mb', '.1f')} | {_num(r, 'gflop', '.3g')} | "
                     f"{_num(r, 'gflops_per_s', '.3g')} | {r['status']} |")
    return "\n".join(lines) + "\n"


def backend_name(cfg: dict, baseline: bool) -> str:
    """The LSTM backend of a case (its baseline: PyTorch's defaults); another cell's own code."""
    cell = METHODS[cfg["method"]].cell
    if cell not in (None, "lstm"):
        return cell
    return "torch-default" if baseline else cfg["model"]["lstm_backend"]


def run_benchmark(base: dict, cases: list[tuple[str, str]], lengths: list[int],
                  extra_truncated: list[int], batch: int, channels: int, steps: int, warmup: int,
                  threads: int | None, device: str, timeout: float, memory_limit_mb: int | None,
                  baseline: bool, out: Path, log=print) -> list[dict]:
    dev = resolve_device(device)
    if threads:
        torch.set_num_threads(threads)
    peak = matmul_peak_gflops(dev)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else (os.uname().machine)
    log(f"matmul peak on {name}: {peak:.0f} GFLOP/s")
    records = []
    variants = [False, True] if baseline else [False]
    for method, setting in cases:
        grid = lengths + (extra_truncated if setting != "full" else [])
        stopped = False
        for length in grid:
            for is_baseline in variants:
                cfg = case_config(base, method, setting, str(dev))
                if is_baseline:
                    cfg["model"]["lstm_backend"] = "torch"
                record = {"method": method, "setting": setting, "seq_len": length,
                          "batch_size": batch, "device": str(dev), "device_name": name,
                          "backend": backend_name(cfg, is_baseline),
                          "threads": threads or torch.get_num_threads(),
                          "machine_peak_gflops": peak}
                if stopped:
                    record.update(status="skipped", error="a shorter length already failed")
                else:
                    record.update(run_case(cfg, length, batch, channels, steps, warmup, threads,
                                           timeout, memory_limit_mb, is_baseline))
                if record["status"] in ("oom", "timeout") and not is_baseline:
                    stopped = True
                records.append(record)
                log(format_table([record]).splitlines()[-1])
            write_json(out, records)
    write_text(out.with_suffix(".md"), format_table(records))
    return records
