"""Checkpoints: written atomically (a killed or failed write keeps the previous one), loaded with
`weights_only=True` so a checkpoint can never run code."""

from __future__ import annotations

import errno
import pickle
from pathlib import Path

import torch

from auxbench.atomic import atomic_path
from auxbench.errors import TrainingError

FORMAT = 1
REFUSED = "Weights only load failed"  # how torch.load(weights_only=True) begins a refusal


def save_checkpoint(path: Path, payload: dict) -> None:
    try:
        with atomic_path(path) as tmp:
            torch.save({"format": FORMAT, **payload}, tmp)
    except OSError as err:
        hint = " (the disk is full)" if err.errno == errno.ENOSPC else ""
        raise TrainingError(
            f"could not write checkpoint {path}{hint}: {err.strerror or err}. The previous "
            f"checkpoint is intact; free space or move --checkpoint-dir, then rerun to resume."
        ) from None


def load_checkpoint(path: Path) -> dict | None:
    if not path.exists():
        return None
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unreadable file gets the same advice
        if isinstance(err, pickle.UnpicklingError) and REFUSED in str(err):
            raise TrainingError(  # a checkpoint is a file users copy between machines
                f"checkpoint {path} was refused: it holds objects other than tensors and plain "
                f"data, which could run code when loaded ({err}). Nothing of it was loaded; "
                f"delete it to restart this run from scratch.") from None
        raise TrainingError(
            f"checkpoint {path} cannot be read ({type(err).__name__}: {err}). Delete it to "
            f"restart this run from scratch.") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise TrainingError(f"checkpoint {path} has an unknown format; delete it to restart.")
    return payload
