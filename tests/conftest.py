"""Shared fixtures.

``shared_data``: the folder with the real staged dataset files (mirror layout: ``mnist/``,
``cifar10/``, ``dbpedia_csv/``, ``SHA256SUMS``). It is ``$AUXBENCH_TEST_SHARED_DATA`` when set,
else ``<repo>/../shared/data``; tests that need it are skipped, with the reason, when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    env = os.environ.get("AUXBENCH_TEST_SHARED_DATA", "").strip()
    path = Path(env).expanduser() if env else (REPO / ".." / "shared" / "data")
    path = path.resolve()
    if not (path / "mnist").is_dir() and not (path / "cifar10").is_dir():
        pytest.skip(f"real dataset files not found at {path}: set AUXBENCH_TEST_SHARED_DATA to "
                    "the folder holding mnist/ and cifar10/ (mirror layout) to run this test")
    return path


@pytest.fixture
def no_mirror_env(monkeypatch):
    """Make sure a user's AUXBENCH_DATA_MIRROR does not leak into a test."""
    monkeypatch.delenv("AUXBENCH_DATA_MIRROR", raising=False)
