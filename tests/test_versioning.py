"""Code versions come from what each command imports: a plot edit leaves training's version
alone, an edit of anything training imports changes it, and every rule passes the version of
the command it runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from auxbench import versioning
from auxbench.versioning import (
    PACKAGE_DIR,
    command_modules,
    command_version,
    import_closure,
)

REPO = PACKAGE_DIR.parent


def closure_of(command: str, root: Path = PACKAGE_DIR) -> set[str]:
    return {str(f.relative_to(root)) for f in import_closure(command_modules(command, root), root)}


def test_training_closure_holds_what_training_runs_and_nothing_it_does_not():
    train = closure_of("train")
    assert {"train/objective.py", "train/engine.py", "models/lstm.py", "models/recurrent.py",
            "config.py", "methods.py", "data/registry.py", "schemas/run.schema.json",
            "__init__.py", "models/__init__.py"} <= train
    assert not {f for f in train if f.startswith(("analysis/", "report/", "resource_benchmark/"))}
    assert "cli.py" not in train and "plan.py" not in train


def test_other_commands_reach_their_code():
    # run as `python -m`, named by a string
    assert "resource_benchmark/case.py" in closure_of("resources")
    figures = closure_of("figures")  # from the aggregate's result: no plan, no training code
    assert "analysis/figures.py" in figures and "plan.py" not in figures
    assert not {f for f in figures if f.startswith(("train/", "models/"))}
    assert {"report/builder.py", "report/report.css"} <= closure_of("report")
    assert "models/lstm.py" not in closure_of("prepare")


def test_imports_point_from_the_workflow_down_to_training_never_back():
    """The report needs no plan, the planner no training code, the models no process setup."""
    assert "plan.py" not in closure_of("report")
    modules = {m: {str(f.relative_to(PACKAGE_DIR)) for f in import_closure([m])}
               for m in ("auxbench.plan", "auxbench.models")}
    assert not {f for f in modules["auxbench.plan"] if f.startswith(("train/", "models/"))}
    assert "runtime.py" not in modules["auxbench.models"]


@pytest.fixture
def package_copy(tmp_path) -> Path:
    root = tmp_path / "auxbench"
    shutil.copytree(PACKAGE_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_plot_edit_keeps_the_training_version_and_a_loss_edit_changes_it(package_copy):
    before = command_version("train", package_copy)
    assert before == command_version("train")  # paths are hashed relative to the package
    figures_before = command_version("figures", package_copy)
    append(package_copy / "analysis" / "figures.py", "\n# a new colour\n")
    append(package_copy / "report" / "builder.py", "\n# a new section\n")
    assert command_version("train", package_copy) == before
    assert command_version("figures", package_copy) != figures_before
    append(package_copy / "train" / "objective.py", "\n# a new loss\n")
    assert command_version("train", package_copy) != before


def test_a_new_import_joins_the_closure(package_copy):
    (package_copy / "train" / "new_loss.py").write_text("WEIGHT = 2\n")
    before = command_version("train", package_copy)
    append(package_copy / "train" / "objective.py", "\nfrom .new_loss import WEIGHT\n")
    assert "train/new_loss.py" in closure_of("train", package_copy)
    after = command_version("train", package_copy)
    append(package_copy / "train" / "new_loss.py", "WEIGHT = 3\n")
    assert len({before, after, command_version("train", package_copy)}) == 3


def test_unknown_command_or_module_is_an_error():
    with pytest.raises(ValueError, match="no command 'nope'"):
        command_modules("nope")
    with pytest.raises(ValueError, match="not a module"):
        import_closure(["auxbench.nope"])


def test_every_rule_passes_the_version_of_the_command_it_runs():
    rules = "\n".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    checked = 0
    for body in re.split(r"\n(?=rule \w+:)", rules):
        code = re.search(r'code=CODE\["(\w+)"\]', body)
        if code:
            assert re.search(rf'"auxbench {code.group(1)} ', body), body.splitlines()[0]
            command_modules(code.group(1))  # a command the CLI has
            checked += 1
    assert checked == 7


def test_module_file_stays_inside_the_package():
    assert versioning.module_file("auxbench.config") == PACKAGE_DIR / "config.py"
    assert versioning.module_file("auxbench.data") == PACKAGE_DIR / "data" / "__init__.py"
    assert versioning.module_file("numpy") is None
    assert versioning.module_file("auxbench.config.DEFAULTS") is None
