"""What a run leaves behind: curve.csv, metrics.json and asrun.json, each written atomically."""

from __future__ import annotations

import csv
import io
import math
import platform
import socket
import sys
from pathlib import Path

import numpy as np
import torch

import auxbench
from auxbench.atomic import write_json, write_text
from auxbench.formats import CURVE_COLUMNS
from auxbench.versioning import git_state


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def write_curve(path: Path, rows: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CURVE_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in CURVE_COLUMNS])
    write_text(path, buffer.getvalue())


def finite_or_none(value):
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def write_metrics(path: Path, metrics: dict) -> None:
    write_json(path, {k: finite_or_none(v) if isinstance(v, float) else v
                      for k, v in metrics.items()})


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_model()


def environment(device: torch.device, threads: int) -> dict:
    return {
        "python": sys.version.split()[0], "torch": torch.__version__, "numpy": np.__version__,
        "auxbench": auxbench.__version__, "platform": platform.platform(),
        "hostname": socket.gethostname(), "device": str(device),
        "device_name": device_name(device),
        "threads": threads, "git": git_state(),
        "cudnn": torch.backends.cudnn.version() if device.type == "cuda" else None,
        "flush_denormal": True,
    }


def write_asrun(path: Path, record: dict) -> None:
    write_json(path, record)
