"""Obtain raw files: from a local mirror, from ``<data_root>/raw``, or from their canonical URLs.

:func:`fetch` gets one published file (:class:`~auxbench.data.sources.Source`):

1. the mirror (argument, else env ``AUXBENCH_DATA_MIRROR``): if ``<mirror>/<mirror_path>``
   exists it is verified (size, SHA-256) and read in place, never copied;
2. ``<dest_dir>/<mirror_path>`` (an earlier download, or a copy put there by hand): verified;
3. the URLs in order: streamed to ``<dest>.part``, resumed with an HTTP ``Range`` request when a
   partial file exists, retried with exponential backoff (bounded), then checked for size and
   SHA-256 and only then renamed atomically to ``<dest>``.

``dest_dir`` therefore has the same layout as a mirror and can itself serve as one.
``file://`` URLs work (a shared network folder, tests).

:func:`member_path` gets one content file (:class:`~auxbench.data.sources.Member`): a plain or
compressed copy in the mirror or in ``dest_dir``, else the published archive is fetched and the
needed members alone are extracted to ``<dest_dir>/<plain_path>``. The member's own SHA-256
(of the decompressed bytes) is always checked; :func:`open_member` returns a reader that checks
it as the parser reads.
"""

from __future__ import annotations

import gzip
import http.client
import lzma
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import DataError
from .hashing import CHUNK, HashingReader, sha256_file
from .progress import Progress, log
from .sources import MIRROR_ENV, Member, MirrorCopy, Source

USER_AGENT = "auxbench/0.1 (+https://github.com/; dataset preparation)"


def resolve_mirror(mirror: str | os.PathLike | None) -> Path | None:
    """The mirror folder: the argument, else ``$AUXBENCH_DATA_MIRROR``, else None."""
    if mirror is None or mirror == "":
        env = os.environ.get(MIRROR_ENV, "").strip()
        return Path(env).expanduser() if env else None
    return Path(mirror).expanduser()


def _guidance(rel: str, dest_dir: Path | None, mirror: Path | None) -> str:
    root = str(mirror) if mirror is not None else "<mirror>"
    lines = [
        "To use a manually downloaded copy, put it at",
        f"  {root}/{rel}",
        (f"and point auxbench at that folder with the environment variable {MIRROR_ENV}={root}"
        " (or runtime.data_mirror in the run config)"),
    ]
    if dest_dir is not None:
        lines.append(f"or put it at {dest_dir / rel}")
    return "\n".join(lines) + "."


def _check_file(path: Path, sha256: str, size: int | None, progress: Any) -> str | None:
    """Return None if ``path`` has the expected size and hash, else a description of the problem."""
    actual_size = path.stat().st_size
    actual = sha256_file(path, progress, desc=f"verify {path.name}")
    if actual == sha256 and (size is None or actual_size == size):
        return None
    msg = f"expected sha256 {sha256}, actual sha256 {actual}"
    if size is not None and actual_size != size:
        msg += f"; expected {size:,} bytes, actual {actual_size:,} bytes"
    return msg


class _ShortRead(OSError):
    pass


def _download_once(url: str, part: Path, source: Source, bar: Progress, timeout: float) -> None:
    """One HTTP(S)/file request into ``part``, resuming from its current size when possible."""
    have = part.stat().st_size if part.exists() else 0
    if source.size is not None and have > source.size:
        part.unlink()
        have = 0
    if source.size is not None and have == source.size:
        return  # complete already; the checksum decides
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if have and not url.startswith("file:"):
        req.add_header("Range", f"bytes={have}-")
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # nothing left to send: the partial file may be complete
            return
        raise
    with resp:
        status = getattr(resp, "status", None)
        offset = 0
        if have and status == 206:
            content_range = resp.headers.get("Content-Range", "")
            try:
                offset = int(content_range.split()[1].split("-")[0])
            except (IndexError, ValueError):
                offset = -1
            if offset != have:  # a server that answered another range: start over
                resp.close()
                part.unlink(missing_ok=True)
                raise _ShortRead(f"unexpected Content-Range {content_range!r}")
        length = resp.headers.get("Content-Length") if resp.headers else None
        expected = int(length) if length and length.isdigit() else None
        if offset:
            log(f"resuming {source.name} at byte {offset:,} from {url}", bar.mode)
        bar.total = (offset + expected) if expected is not None else source.size
        bar.reset(offset)
        got = 0
        with open(part, "ab" if offset else "wb") as out:
            while True:
                block = resp.read(CHUNK)
                if not block:
                    break
                out.write(block)
                got += len(block)
                bar.update(len(block))
            out.flush()
            os.fsync(out.fileno())
    if expected is not None and got < expected:
        raise _ShortRead(f"connection closed after {offset + got:,} of {offset + expected:,} bytes")
    if source.size is not None and part.stat().st_size < source.size:
        raise _ShortRead(f"got {part.stat().st_size:,} of {source.size:,} bytes")


def fetch(source: Source, dest_dir: str | os.PathLike, mirror: str | os.PathLike | None = None,
          progress: Any = None, *, retries: int = 4, backoff: float = 2.0,
          timeout: float = 60.0) -> Path:
    """Return a local, verified path of ``source`` (see the module docstring for the order)."""
    dest_dir = Path(dest_dir)
    mirror_dir = resolve_mirror(mirror)
    rel = source.mirror_path

    if mirror_dir is not None:
        candidate = mirror_dir / rel
        if candidate.is_file():
            problem = _check_file(candidate, source.sha256, source.size, progress)
            if problem:
                raise DataError(
                    f"Mirror file {candidate} is not the published {source.name}: {problem}. "
                    f"Replace it with a good copy from {source.urls[0] if source.urls else '?'} "
                    "or remove it so that auxbench downloads the file.")
            log(f"using {candidate} (verified sha256)", progress)
            return candidate

    dest = dest_dir / rel
    if dest.is_file():
        problem = _check_file(dest, source.sha256, source.size, progress)
        if problem:
            raise DataError(f"{dest} is not the published {source.name}: {problem}. Delete it "
                            "and run again to download it.\n" + _guidance(rel, None, mirror_dir))
        return dest

    if not source.urls:
        raise DataError(f"{source.name} is not available locally and has no download URL.\n"
                        + _guidance(rel, dest_dir, mirror_dir))

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    errors: list[str] = []
    done_url = None
    with Progress(source.size, f"download {source.name}", progress, unit="B") as bar:
        for attempt in range(max(1, retries)):
            hopeless = True  # every URL failed for good (no DNS: offline; HTTP 404...): no retry
            for url in source.urls:
                try:
                    _download_once(url, part, source, bar, timeout)
                    done_url = url
                    break
                except (urllib.error.URLError, http.client.HTTPException, OSError,
                        ValueError) as exc:
                    reason = getattr(exc, "reason", None) or exc
                    if isinstance(exc, urllib.error.HTTPError):
                        reason = f"HTTP Error {exc.code}: {exc.reason}"
                    hopeless = hopeless and (
                        isinstance(reason, socket.gaierror)
                        or (isinstance(exc, urllib.error.HTTPError)
                            and 400 <= exc.code < 500 and exc.code not in (408, 429)))
                    errors.append(f"{url}: {reason}")
                    log(f"download of {source.name} from {url} failed ({reason}); "
                        f"attempt {attempt + 1} of {max(1, retries)}", bar.mode)
            if done_url is not None or hopeless:
                break
            if attempt + 1 < max(1, retries) and backoff > 0:
                time.sleep(backoff * 2**attempt)
        if done_url is None:
            bar.abandon()

    if done_url is None:
        last = errors[-1] if errors else "no attempt made"
        raise DataError(
            f"Could not download {source.name} (tried {len(errors)} time(s); last error: {last}). "
            "If this machine is offline, fetch the file elsewhere from "
            f"{' or '.join(source.urls)} (sha256 {source.sha256}).\n"
            + _guidance(rel, dest_dir, mirror_dir))

    problem = _check_file(part, source.sha256, source.size, progress)
    if problem:
        part.unlink(missing_ok=True)
        raise DataError(
            f"Checksum mismatch for {source.name} downloaded from {done_url}: {problem}. "
            f"The partial file was deleted. Expected sha256 {source.sha256}.\n"
            + _guidance(rel, dest_dir, mirror_dir))
    os.replace(part, dest)
    log(f"downloaded {source.name} to {dest} (sha256 verified)", progress)
    return dest


# ----------------------------------------------------------------------------------- members
def _open_copy(path: Path, compression: str | None) -> BinaryIO:
    if compression is None:
        return open(path, "rb")
    if compression == "xz":
        return lzma.open(path, "rb")
    if compression == "gz":
        return gzip.open(path, "rb")
    raise ValueError(f"unknown compression {compression!r}")


def _find_copy(member: Member, roots: Iterable[Path], progress: Any
               ) -> tuple[Path, MirrorCopy] | None:
    for root in roots:
        for copy in member.copies():
            path = root / copy.path
            if path.is_file():
                if copy.sha256 is not None:
                    actual = sha256_file(path, progress, desc=f"verify {path.name}")
                    if actual != copy.sha256:
                        raise DataError(
                            f"{path} is not a good copy of {member.name}: sha256 {actual}, "
                            f"expected {copy.sha256}. Replace or remove it.")
                return path, copy
    return None


def member_path(member: Member, dest_dir: str | os.PathLike,
                mirror: str | os.PathLike | None = None, progress: Any = None,
                siblings: Iterable[Member] = (), **fetch_kw) -> tuple[Path, str | None]:
    """Return ``(path, compression)`` of a local copy of ``member``.

    The decompressed content is *not* re-hashed here: read it with :func:`open_member` or
    :func:`read_member`, which do. ``siblings`` are other members of the same archive that will
    be needed too: when the archive has to be opened they are extracted in the same pass.
    """
    dest_dir = Path(dest_dir)
    mirror_dir = resolve_mirror(mirror)
    roots = [r for r in (mirror_dir, dest_dir) if r is not None]
    found = _find_copy(member, roots, progress)
    if found is not None:
        path, copy = found
        return path, copy.compression
    if member.archive is None or member.path_in_archive is None:
        raise DataError(f"{member.name} was found neither in the mirror nor in {dest_dir}.\n"
                        + _guidance(member.plain_path, dest_dir, mirror_dir))
    try:
        archive = fetch(member.archive, dest_dir, mirror, progress, **fetch_kw)
    except DataError as exc:
        root = str(mirror_dir) if mirror_dir is not None else "<mirror>"
        raise DataError(f"{exc}\nAlternatively, put {member.name} itself (sha256 "
                        f"{member.sha256}) at {root}/{member.plain_path}.") from None
    group = [member] + [m for m in siblings
                        if m.archive == member.archive and m.name != member.name
                        and _find_copy(m, roots, "none") is None]
    targets = {m.path_in_archive: dest_dir / m.plain_path for m in group}
    by_name = {m.path_in_archive: m for m in group}
    log(f"extracting {', '.join(m.name for m in group)} from {archive.name}", progress)

    def verify(name: str, fh: BinaryIO) -> BinaryIO:
        return _VerifyingReader(fh, by_name[name], f"{archive}:{name}")

    from .archives import extract_members

    extract_members(archive, targets, on_file=verify)
    return dest_dir / member.plain_path, None


class _VerifyingReader(HashingReader):
    """A HashingReader that raises DataError at ``finish()`` unless the member's hash matches."""

    def __init__(self, raw: BinaryIO, member: Member, where: str):
        super().__init__(raw)
        self.member = member
        self.where = where

    def finish(self) -> None:
        self.drain()
        actual = self.hexdigest()
        if actual != self.member.sha256:
            raise DataError(
                f"{self.where} ({self.member.name}) has sha256 {actual}, expected "
                f"{self.member.sha256} ({self.nbytes:,} bytes read). The file is corrupt or not "
                "the published one: delete it (and its archive, if it came from one) and run "
                "again.")


def open_member(member: Member, dest_dir: str | os.PathLike,
                mirror: str | os.PathLike | None = None, progress: Any = None,
                siblings: Iterable[Member] = (), **fetch_kw) -> _VerifyingReader:
    """A binary reader of the member's bytes; call ``.finish()`` after reading to verify them.

    ``finish()`` reads whatever is left, and raises DataError if the SHA-256 of all the bytes
    differs from the registered one. Close the reader when done (it is a context manager).
    """
    path, comp = member_path(member, dest_dir, mirror, progress, siblings, **fetch_kw)
    return _VerifyingReader(_open_copy(path, comp), member, str(path))


def read_member(member: Member, dest_dir: str | os.PathLike,
                mirror: str | os.PathLike | None = None, progress: Any = None,
                siblings: Iterable[Member] = (), **fetch_kw) -> bytes:
    """All bytes of ``member``, verified against its SHA-256."""
    with open_member(member, dest_dir, mirror, progress, siblings, **fetch_kw) as reader:
        buf = bytearray()
        while True:
            block = reader.read(8 * CHUNK)
            if not block:
                break
            buf += block
        reader.finish()
    return bytes(buf)
