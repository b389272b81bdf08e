"""SHA-256 helpers: files, byte strings, arrays, and a reader that hashes what passes through."""

from __future__ import annotations

import hashlib
import io
import os
from typing import Any, BinaryIO

import numpy as np

CHUNK = 1 << 20


def sha256_bytes(data: bytes | bytearray | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike, progress: Any = "none", desc: str | None = None) -> str:
    from .progress import Progress

    h = hashlib.sha256()
    size = os.path.getsize(path)
    with open(path, "rb") as fh, Progress(size if size > 64 * CHUNK else None,
                                          desc or f"sha256 {os.fspath(path)}",
                                          progress if size > 64 * CHUNK else "none",
                                          unit="B") as bar:
        while True:
            block = fh.read(CHUNK)
            if not block:
                break
            h.update(block)
            bar.update(len(block))
    return h.hexdigest()


def sha256_array(arr: np.ndarray) -> str:
    """SHA-256 of an array's C-order bytes (independent of the .npy header).

    A C-contiguous memory-mapped array is hashed in blocks without being copied.
    """
    a = np.ascontiguousarray(arr)
    view = memoryview(a.reshape(-1).view(np.uint8))
    h = hashlib.sha256()
    for i in range(0, len(view), 8 * CHUNK):
        h.update(view[i:i + 8 * CHUNK])
    return h.hexdigest()


class HashingReader(io.RawIOBase):
    """Wrap a binary stream; every byte read is added to a SHA-256 and counted."""

    def __init__(self, raw: BinaryIO):
        super().__init__()
        self._raw = raw
        self._h = hashlib.sha256()
        self.nbytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self._raw.read(len(b))
        n = len(data)
        b[:n] = data
        self._h.update(data)
        self.nbytes += n
        return n

    def drain(self) -> None:
        """Read (and hash) whatever the consumer left unread."""
        while True:
            data = self._raw.read(CHUNK)
            if not data:
                return
            self._h.update(data)
            self.nbytes += len(data)

    def close(self) -> None:
        if not self.closed:
            try:
                self._raw.close()
            finally:
                super().close()

    def hexdigest(self) -> str:
        return self._h.hexdigest()
