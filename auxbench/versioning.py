"""Provenance: the code version of what an `auxbench` command runs, and the git state.

A command's version hashes the source of every package module it imports, directly or through
other modules, found by reading the code (imports inside functions count, and so does a string
naming a package module, as `python -m auxbench.resource_benchmark.case` does), plus the package
data files those modules name (the run schema, the report's CSS). Snakemake reruns a job when its
version param changes, so editing a plot retrains nothing and editing a model retrains every run;
no list of "what training depends on" is kept by hand.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE = PACKAGE_DIR.name
_MODULE_NAME = re.compile(rf"^{PACKAGE}(\.\w+)*$")


def module_file(module: str, root: Path = PACKAGE_DIR) -> Path | None:
    """The source file of a package module (None outside the package or if there is none)."""
    if not _MODULE_NAME.match(module):
        return None
    parts = module.split(".")[1:]
    candidates = [root.joinpath(*parts, "__init__.py")]
    if parts:
        candidates.append(root.joinpath(*parts[:-1], parts[-1] + ".py"))
    return next((c for c in candidates if c.is_file()), None)


def _references(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """The module names a module's code imports (relative ones made absolute) and every string
    it holds: a superset of the package modules and files it uses."""
    found: set[str] = set()
    package = (module if is_package else module.rpartition(".")[0]).split(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: `from . import x` is this package, `..` the one above
                base = ".".join(package[:len(package) - node.level + 1] + [node.module or ""])
                base = base.rstrip(".")
            else:
                base = node.module or ""
            found.add(base)  # `from a import b`: b is a module of a, or a name a defines
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)
    return found


@functools.lru_cache(maxsize=512)
def _file_references(path: str, mtime_ns: int, size: int, module: str) -> frozenset[str]:
    """`_references` of a source file, read once per version of the file (the workflow asks for
    every command's version, and their closures overlap); the syntax tree is not kept."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), path)
    return frozenset(_references(tree, module, path.endswith("__init__.py")))


def _data_files(refs: Iterable[str], source: Path, root: Path, package_files: set[str]
                ) -> set[Path]:
    """Package files other than Python a module names by a relative path (to the package root
    or to its own folder), e.g. "schemas/run.schema.json"."""
    folders = (str(root), str(source.parent))
    return {Path(path) for ref in refs
            for path in (os.path.normpath(os.path.join(f, ref)) for f in folders)
            if path in package_files and not path.endswith(".py")}


def import_closure(modules: Iterable[str], root: Path = PACKAGE_DIR) -> list[Path]:
    """The source files of `modules`, of every package module they import (and of the packages
    above each, whose `__init__` runs first), and the data files they name; sorted."""
    package_files = {str(p) for p in root.rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts}
    todo, seen, files = list(modules), set(), set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        source = module_file(module, root)
        if source is None:
            raise ValueError(f"{module!r} is not a module of the {PACKAGE} package in {root}")
        files.add(source)
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        stat = source.stat()
        refs = _file_references(str(source), stat.st_mtime_ns, stat.st_size, module)
        todo += sorted(r for r in refs if module_file(r, root) is not None)
        files |= _data_files(refs, source, root, package_files)
    return sorted(files)


def code_version_of(modules: Iterable[str], root: Path = PACKAGE_DIR) -> str:
    """SHA-256 (16 hex) over the import closure of `modules`: paths and contents, in order."""
    digest = hashlib.sha256()
    for f in import_closure(modules, root):
        digest.update(str(f.relative_to(root)).encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def command_modules(command: str, root: Path = PACKAGE_DIR) -> list[str]:
    """The package modules `auxbench COMMAND` imports: those its `cmd_COMMAND` function in cli.py
    and the cli functions it calls import, and cli's own module-level imports (not cli.py itself:
    argument parsing is not what a result depends on)."""
    cli = root / "cli.py"
    tree = ast.parse(cli.read_text(encoding="utf-8"), str(cli))
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    if f"cmd_{command}" not in functions:
        raise ValueError(f"{cli} has no command {command!r} (no function cmd_{command})")
    top = ast.Module(body=[n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))],
                     type_ignores=[])
    modules = _references(top, f"{PACKAGE}.cli", False)
    todo, seen = [f"cmd_{command}"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        modules |= _references(functions[name], f"{PACKAGE}.cli", False)
        todo += [n.id for n in ast.walk(functions[name])
                 if isinstance(n, ast.Name) and n.id in functions]
    return sorted(m for m in modules if module_file(m, root) is not None)


def command_version(command: str, root: Path = PACKAGE_DIR) -> str:
    """The code version of `auxbench COMMAND`: a workflow rule's `code` param; for `train` also
    the `code_version` of every run and checkpoint, so the two always agree."""
    return code_version_of(command_modules(command, root), root)


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
