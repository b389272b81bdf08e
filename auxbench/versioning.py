"""Provenance: the code version of a set of modules and the git state of the checkout."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

# What a training run's result depends on (editing a plot must not retrain; editing a model must).
TRAINING_CODE = ("models", "train", "data", "config.py", "schemas", "runtime.py")


def code_version(parts: tuple[str, ...] = TRAINING_CODE) -> str:
    """SHA-256 (16 hex) over the source files of the named package parts, in a stable order."""
    digest = hashlib.sha256()
    for part in sorted(parts):
        path = PACKAGE_DIR / part
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for f in files:
            if f.is_file() and f.suffix in (".py", ".json") and "__pycache__" not in f.parts:
                digest.update(str(f.relative_to(PACKAGE_DIR)).encode())
                digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def git_state() -> dict:
    """Commit and dirty flag of the checkout the package runs from (None outside git)."""
    def git(*args: str) -> str | None:
        try:
            return subprocess.run(["git", *args], cwd=PACKAGE_DIR, capture_output=True, text=True,
                                  timeout=10, check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}
