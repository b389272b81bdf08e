"""Safe reading and extraction of tar archives (``.tar``, ``.tar.gz``/``.tgz``, ``.tar.xz``).

Every member that is looked at is checked first. A member with an absolute path, a ``..``
component, a symbolic or hard link whose target leaves the archive root, or a device/FIFO entry
is refused with a :class:`DataError` naming the member: an archive that contains one is not
the published file, whatever else it holds.

Only what is needed is read: :func:`iter_tar` streams members one after the other (the 800 MB
Stanford Dogs ``images.tar`` is never unpacked to disk) and :func:`extract_members` writes only
the requested regular files, each atomically.
"""

from __future__ import annotations

import io
import lzma
import os
import posixpath
import shutil
import tarfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from ..atomic import atomic_path
from ..errors import DataError
from .hashing import CHUNK


def _outside(path: str) -> bool:
    norm = posixpath.normpath(path)
    return norm == ".." or norm.startswith(("../", "/"))


def check_member(member: tarfile.TarInfo, archive: str | os.PathLike = "archive") -> None:
    """Raise DataError if ``member`` could write or point outside the extraction folder."""
    name = member.name
    where = f"tar member {name!r} in {os.fspath(archive)}"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise DataError(f"Refusing {where}: absolute path. The archive is not the published "
                        "file; delete it and download it again.")
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        raise DataError(f"Refusing {where}: the path contains '..'. The archive is not the "
                        "published file; delete it and download it again.")
    if member.issym():
        target = member.linkname
        resolved = posixpath.join(posixpath.dirname(name), target)
        if target.startswith("/") or _outside(resolved):
            raise DataError(f"Refusing {where}: symbolic link to {target!r} points outside the "
                            "extraction folder.")
    elif member.islnk():
        target = member.linkname
        if target.startswith("/") or _outside(target):
            raise DataError(f"Refusing {where}: hard link to {target!r} points outside the "
                            "extraction folder.")
    elif member.ischr() or member.isblk() or member.isfifo() or member.isdev():
        raise DataError(f"Refusing {where}: device or FIFO entry.")


def _normname(name: str) -> str:
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    return name


_READ_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError)


class _MemberReader(io.RawIOBase):
    """A member's file object whose read errors (a truncated archive) become DataError."""

    def __init__(self, fh: BinaryIO, where: str):
        super().__init__()
        self._fh = fh
        self._where = where

    def readable(self) -> bool:
        return True

    def _fail(self, exc: BaseException) -> DataError:
        return DataError(f"{self._where} cannot be read: the archive is truncated or corrupt "
                         f"({exc}). Delete it and download it again.")

    def read(self, size: int = -1) -> bytes:
        try:
            return self._fh.read(size)
        except _READ_ERRORS as exc:
            raise self._fail(exc) from exc

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        return self.read(-1)


def iter_tar(path: str | os.PathLike, wanted: Callable[[str], bool] | None = None
             ) -> Iterator[tuple[str, BinaryIO]]:
    """Stream ``(member name, readable file)`` for each regular file accepted by ``wanted``.

    The archive is read once, front to back (``tarfile`` stream mode), so compressed archives are
    decompressed once and nothing is written to disk. Each file object is only valid until the
    next item is requested. All members, wanted or not, are safety-checked.
    """
    try:
        tar = tarfile.open(path, mode="r|*")  # noqa: SIM115 - closed by the `with` below
    except (tarfile.TarError, OSError) as exc:
        raise DataError(f"Cannot open archive {os.fspath(path)}: {exc}. Delete it and download "
                        "it again.") from exc
    with tar:
        try:
            for member in tar:
                check_member(member, path)
                name = _normname(member.name)
                if not member.isfile() or (wanted is not None and not wanted(name)):
                    continue
                fh = tar.extractfile(member)
                if fh is None:  # pragma: no cover - isfile() members always have data
                    continue
                yield name, _MemberReader(fh, f"{os.fspath(path)}:{name}")
        except _READ_ERRORS as exc:
            raise DataError(f"Archive {os.fspath(path)} is truncated or corrupt ({exc}). "
                            "Delete it and download it again.") from exc


def extract_members(path: str | os.PathLike, members: dict[str, str | os.PathLike],
                    on_file: Callable[[str, BinaryIO], Any] | None = None) -> dict[str, Path]:
    """Extract the regular files named in ``members`` (archive name -> destination path).

    Each destination is written atomically. ``on_file(name, reader)`` may wrap the reader (to hash
    it on the fly); it must return a readable object. Raises DataError if a requested member is
    missing or an unsafe member is met.
    """
    wanted = {_normname(k): Path(v) for k, v in members.items()}
    done: dict[str, Path] = {}
    try:
        for name, fh in iter_tar(path, lambda n: n in wanted and n not in done):
            reader = on_file(name, fh) if on_file else fh
            with atomic_path(wanted[name]) as tmp, open(tmp, "wb") as out:
                shutil.copyfileobj(reader, out, CHUNK)
                if hasattr(reader, "finish"):
                    reader.finish()
            done[name] = wanted[name]
            if len(done) == len(wanted):
                break
    except BaseException:
        for written in done.values():  # an archive found bad leaves nothing behind
            written.unlink(missing_ok=True)
        raise
    missing = sorted(set(wanted) - set(done))
    if missing:
        raise DataError(f"Archive {os.fspath(path)} lacks the member(s) {', '.join(missing)}. "
                        "It is not the published file: delete it and download it again.")
    return done


def safe_extract_all(path: str | os.PathLike, dest: str | os.PathLike,
                     names: Iterable[str] | None = None) -> list[Path]:
    """Extract all (or the named) members of ``path`` into ``dest`` after checking every member.

    Links that stay inside ``dest`` are kept; directories are created; nothing is written outside
    ``dest``. Returns the extracted file paths.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    keep = {_normname(n) for n in names} if names is not None else None
    out: list[Path] = []
    try:
        with tarfile.open(path, mode="r:*") as tar:
            members = tar.getmembers()
            for m in members:
                check_member(m, path)
            chosen = [m for m in members if keep is None or _normname(m.name) in keep]
            tar.extractall(dest, members=chosen, filter="data")
            out = [dest / _normname(m.name) for m in chosen if m.isfile()]
    except tarfile.FilterError as exc:
        raise DataError(f"Refusing tar member in {os.fspath(path)}: {exc}") from exc
    except (tarfile.TarError, EOFError) as exc:
        raise DataError(f"Archive {os.fspath(path)} is truncated or corrupt ({exc}). "
                        "Delete it and download it again.") from exc
    return out
