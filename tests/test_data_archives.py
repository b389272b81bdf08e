"""Safe tar handling: hostile members are refused, only what is needed is extracted."""

from __future__ import annotations

import io
import tarfile

import pytest

from auxbench.data.archives import extract_members, iter_tar, safe_extract_all
from auxbench.errors import DataError


def make_tar(path, entries, mode="w"):
    """entries: (name, kind, payload-or-linkname) with kind 'file' | 'sym' | 'hard' | 'fifo'."""
    with tarfile.open(path, mode) as tar:
        for name, kind, arg in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(arg)
                tar.addfile(info, io.BytesIO(arg))
            else:
                info.type = {"sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE,
                             "fifo": tarfile.FIFOTYPE}[kind]
                info.linkname = arg or ""
                tar.addfile(info)
    return path


HOSTILE = [
    ("/tmp/auxbench-evil", "file", b"x", "absolute path"),
    ("../evil", "file", b"x", "'..'"),
    ("a/../../evil", "file", b"x", "'..'"),
    ("link", "sym", "/etc/passwd", "symbolic link"),
    ("sub/link", "sym", "../../outside", "symbolic link"),
    ("hard", "hard", "../outside", "hard link"),
    ("pipe", "fifo", None, "FIFO"),
]


@pytest.mark.parametrize("name,kind,arg,reason", HOSTILE, ids=[h[0] for h in HOSTILE])
@pytest.mark.parametrize("compression", ["", "gz"])
def test_hostile_members_are_refused(tmp_path, name, kind, arg, reason, compression):
    suffix = ".tar.gz" if compression else ".tar"
    path = make_tar(tmp_path / f"evil{suffix}",
                    [("ok/first.txt", "file", b"fine"), (name, kind, arg)],
                    "w:gz" if compression else "w")
    dest = tmp_path / "dest"
    with pytest.raises(DataError, match=reason) as err:
        list(iter_tar(path))
    assert repr(name) in str(err.value)
    with pytest.raises(DataError, match=reason):
        extract_members(path, {"ok/first.txt": dest / "first.txt",
                               "never/there": dest / "x"})
    with pytest.raises(DataError, match=reason):
        safe_extract_all(path, dest)
    assert not (tmp_path / "evil").exists() and not (tmp_path / "outside").exists()
    assert not any(p.is_file() for p in dest.rglob("*")) if dest.exists() else True


def test_links_inside_are_fine(tmp_path):
    path = make_tar(tmp_path / "ok.tar", [("d/a.txt", "file", b"A"), ("d/l", "sym", "a.txt"),
                                         ("d/h", "hard", "d/a.txt")])
    out = safe_extract_all(path, tmp_path / "dest")
    assert (tmp_path / "dest/d/a.txt").read_bytes() == b"A"
    assert (tmp_path / "dest/d/l").resolve() == (tmp_path / "dest/d/a.txt").resolve()
    assert [p.name for p in out] == ["a.txt"]


def test_extract_only_what_is_needed(tmp_path):
    path = make_tar(tmp_path / "a.tgz", [("./top/a.bin", "file", b"a" * 10),
                                         ("top/b.bin", "file", b"b" * 10),
                                         ("top/c.bin", "file", b"c" * 10)], "w:gz")
    got = extract_members(path, {"top/b.bin": tmp_path / "out/b.bin"})
    assert got == {"top/b.bin": tmp_path / "out/b.bin"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["b.bin"]
    assert (tmp_path / "out/b.bin").read_bytes() == b"b" * 10
    with pytest.raises(DataError, match="lacks the member"):
        extract_members(path, {"top/zzz.bin": tmp_path / "out/z"})
    names = [n for n, fh in iter_tar(path, lambda n: n.endswith((".bin",)))]
    assert names == ["top/a.bin", "top/b.bin", "top/c.bin"]


def test_corrupt_archive(tmp_path):
    path = make_tar(tmp_path / "a.tar.gz", [("x", "file", b"x" * 100_000)], "w:gz")
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataError, match="truncated or corrupt"):
        for _, fh in iter_tar(path):
            fh.read()
    (tmp_path / "junk.tar").write_bytes(b"not a tar at all" * 100)
    with pytest.raises(DataError):
        list(iter_tar(tmp_path / "junk.tar"))
