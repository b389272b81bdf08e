"""The two install paths agree: every dependency of pyproject.toml (and its test extras) is in
environment.yml with the same lower bound, and environment.yml names no channel that no longer
publishes what it is there for."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch"}  # a PyPI name where conda-forge's differs
RETIRED = {"pytorch": "PyTorch stopped publishing to its conda channel after 2.5"}
RETIRED_PACKAGES = {"cpuonly": "the retired pytorch channel's CPU selector"}
EXTRAS = ("test",)  # `slurm` is for a cluster's login node, installed there with pip


def lower_bounds(specs) -> dict[str, str | None]:
    """name -> the version of its `>=` bound (None when it has none)."""
    out = {}
    for spec in specs:
        req = Requirement(spec)
        floor = [s.version for s in req.specifier if s.operator == ">="]
        out[req.name.lower()] = floor[0] if floor else None
    return out


def project_requirements() -> dict[str, str | None]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = [r for name in EXTRAS for r in project["optional-dependencies"][name]]
    return lower_bounds(project["dependencies"] + extras)


def environment() -> dict:
    return yaml.safe_load((REPO / "environment.yml").read_text())


def environment_requirements() -> dict[str, str | None]:
    conda, pip = [], []
    for dep in environment()["dependencies"]:
        if isinstance(dep, dict):
            pip += [d for d in dep["pip"] if not d.startswith("-")]
        elif dep.split("=")[0] not in ("python", "pip"):
            conda.append(dep)
    return lower_bounds(conda + pip)


def test_every_project_dependency_is_in_the_environment_with_the_same_floor():
    env = environment_requirements()
    for name, floor in project_requirements().items():
        conda = CONDA_NAMES.get(name, name)
        assert conda in env, f"{name} (conda: {conda}) is missing from environment.yml"
        assert env[conda] == floor, f"{conda}: environment.yml >= {env[conda]}, pyproject >= {floor}"


def test_the_environment_names_no_retired_channel():
    env = environment()
    for channel in env["channels"]:
        assert channel not in RETIRED, f"channel {channel}: {RETIRED[channel]}"
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            channel, _, spec = dep.rpartition("::")
            assert channel not in RETIRED, f"{dep}: {RETIRED.get(channel)}"
            name = re.split(r"[<>=!~ ]", spec)[0]
            assert name not in RETIRED_PACKAGES, f"{dep}: {RETIRED_PACKAGES.get(name)}"


def test_torch_floor_is_the_first_release_with_the_safe_checkpoint_load():
    assert project_requirements()["torch"] == "2.6"
