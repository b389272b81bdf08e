"""The repository stands alone: no tracked file refers to a document or source file outside it.

A reader who clones the repository or opens the report must be able to open every file that code,
configs and docs cite. Checked in every tracked text file (URLs aside):

- Markdown file names, with or without folders: each must be a tracked file relative to the
  repository root, to the referring file's folder, or to docs/. A string literal holding only a
  bare name is a file the code reads or writes (a generated table), not a citation: skipped.
- Relative paths that climb out of their folder (starting with ../) and name a file with an
  extension: each must resolve, from the referring file's folder, to a tracked file.

This file itself is not scanned: its examples are dangling on purpose.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
MARKDOWN = re.compile(r"(?<![\w./-])(/?(?:[\w.-]+/)*[\w-][\w.-]*\.md)(?!\w)")
CLIMBING = re.compile(r"(?<![\w./-])(\.\./(?:[\w.-]+/)*[\w-][\w.-]*\.\w+)")
QUOTES = "\"'"


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True,
                          check=True).stdout


def _tracked() -> list[str]:
    """Tracked paths, or a skip when this is not a git checkout of the repository."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    try:
        top = _git("rev-parse", "--show-toplevel").strip()
    except subprocess.CalledProcessError:
        pytest.skip("not a git checkout")
    if Path(top).resolve() != REPO:
        pytest.skip(f"{REPO} is not the root of its git checkout")
    return [p for p in _git("ls-files", "-z").split("\0") if p]


def _text(path: Path) -> str | None:
    """The file's text; None for binary files, links to folders and files missing from the tree."""
    if not path.is_file():
        return None
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _bare_literal(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is exactly the content of a quoted string."""
    return (start > 0 and end < len(text) and text[start - 1] in QUOTES
            and text[end] == text[start - 1])


def _resolves(ref: str, tracked: set[str], bases: tuple[str, ...]) -> bool:
    return not ref.startswith("/") and any(
        posixpath.normpath(posixpath.join(base, ref)) in tracked for base in bases)


def dangling_references(root: Path, files: list[str]) -> list[str]:
    """`file:line: reference` for every reference that does not resolve to one of `files`."""
    tracked = set(files)
    out = []
    for name in files:
        text = _text(root / name)
        if text is None:
            continue
        text = URL.sub(lambda m: " " * len(m.group()), text)
        folder = posixpath.dirname(name)
        found = []
        for m in MARKDOWN.finditer(text):
            if "/" in m.group(1) or not _bare_literal(text, m.start(1), m.end(1)):
                found.append((m, ("", folder, "docs")))
        found += [(m, (folder,)) for m in CLIMBING.finditer(text)]
        for m, bases in found:
            if not _resolves(m.group(1), tracked, bases):
                line = text.count("\n", 0, m.start(1)) + 1
                out.append(f"{name}:{line}: {m.group(1)}")
    return sorted(set(out))


def test_every_referenced_file_is_in_the_repository():
    this = Path(__file__).resolve().relative_to(REPO).as_posix()
    dangling = dangling_references(REPO, [p for p in _tracked() if p != this])
    assert not dangling, ("references to files that are not in the repository (add the file, "
                          "or cite the repository's own docs):\n" + "\n".join(dangling))


@pytest.mark.parametrize("text, dangling", [
    ("see docs/absent.md §2", True),
    ("see `../outside/notes.md`", True),
    ("see /elsewhere/notes.md", True),
    ("caption: \"../absent/figure.rst\"", True),
    ("(ABSENT.md §1.6)", True),
    ("see docs/present.md and present.md", False),
    ("open(out / \"table2.md\")", False),
    ("f\"{name}.md\" and <table>.md", False),
    ("https://example.org/raw/README.md", False),
    ("member \"../evil\" and <repo>/../shared/data", False),
])
def test_reference_patterns(tmp_path, text, dangling):
    """The patterns flag what a reader could not open, and nothing generated or remote."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "present.md").write_text("# present\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "cite.py").write_text(text + "\n")
    found = dangling_references(tmp_path, ["docs/present.md", "src/cite.py"])
    assert bool(found) is dangling, found
