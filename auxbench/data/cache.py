"""The prepared cache: ``<data_root>/prepared/<dataset_key>/`` (format fixed in docs/architecture.md).

Files:

- ``train_x.npy`` uint8 ``[N_train, T, C]``, ``train_y.npy`` int64 ``[N_train]``, and the same
  for ``test``; optional extra arrays (``permutation.npy`` for permuted datasets);
- ``manifest.json``, written **last**: a folder without a manifest is never trusted.

Every array is written atomically (temporary file, fsync, rename) and hashed as written; the
manifest records for each array its file name, shape, dtype, byte size and the SHA-256 of the
whole ``.npy`` file, plus the dataset's provenance (source files and their SHA-256, the spec that
made it, label histograms, split hashes, class names, format version).

:func:`load_prepared` is cheap (manifest, shapes, dtypes, file sizes; arrays memory-mapped);
:func:`verify_prepared` re-hashes every file.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_path, write_json
from ..errors import DataError
from .hashing import sha256_array, sha256_file

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SPLIT_ARRAYS = ("train_x", "train_y", "test_x", "test_y")
VOCAB_SIZE = 256


def _fix_hint(folder: Path) -> str:
    return (f"Delete the folder {folder} and run `auxbench prepare` again (or rerun the "
            "workflow's prepare rule) to rebuild it.")


def write_array(path: Path, arr: np.ndarray) -> tuple[str, int]:
    """Write ``arr`` as .npy atomically; return (sha256 of the file, size in bytes)."""
    h = hashlib.sha256()

    class _Hashing:
        def __init__(self, fh):
            self.fh = fh
            self.n = 0

        def write(self, data) -> int:
            mv = memoryview(data).cast("B")
            h.update(mv)
            self.n += len(mv)
            return self.fh.write(mv)

    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        w = _Hashing(fh)
        np.lib.format.write_array(w, np.ascontiguousarray(arr), allow_pickle=False)
        fh.flush()
    return h.hexdigest(), w.n


def label_histogram(y: np.ndarray, n_classes: int) -> list[int]:
    return np.bincount(np.asarray(y, dtype=np.int64), minlength=n_classes).tolist()


def split_hash(x: np.ndarray, y: np.ndarray) -> str:
    """SHA-256 identifying a split's content: of the x hash and y hash (C-order bytes)."""
    return hashlib.sha256((sha256_array(x) + sha256_array(y)).encode()).hexdigest()


def write_prepared(folder: str | os.PathLike, arrays: dict[str, np.ndarray],
                   info: dict[str, Any]) -> Path:
    """Write a prepared folder: arrays first (atomically, hashed), the manifest last.

    ``arrays`` must hold ``train_x``, ``train_y``, ``test_x``, ``test_y`` (plus any extras);
    ``info`` holds at least ``dataset_key``, ``spec``, ``n_classes``, ``channels``, ``pad_token``,
    ``sources``, ``class_names``. Shapes, dtypes, hashes and histograms are filled in here.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)  # the old folder is no longer valid from here on
    for name in SPLIT_ARRAYS:
        if name not in arrays:
            raise ValueError(f"write_prepared: missing array {name}")
    train_x, test_x = arrays["train_x"], arrays["test_x"]
    for split in ("train", "test"):
        x, y = arrays[f"{split}_x"], arrays[f"{split}_y"]
        if x.dtype != np.uint8 or x.ndim != 3:
            raise ValueError(f"{split}_x must be uint8 [N, T, C], got {x.dtype} {x.shape}")
        if y.dtype != np.int64 or y.shape != (x.shape[0],):
            raise ValueError(f"{split}_y must be int64 [{x.shape[0]}], got {y.dtype} {y.shape}")
    if train_x.shape[1:] != test_x.shape[1:]:
        raise ValueError(f"train/test step shapes differ: {train_x.shape} vs {test_x.shape}")
    n_classes = int(info["n_classes"])
    for split in ("train", "test"):
        y = arrays[f"{split}_y"]
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"{split}_y has labels outside 0..{n_classes - 1}")

    files: dict[str, Any] = {}
    for name, arr in arrays.items():
        fname = f"{name}.npy"
        digest, nbytes = write_array(folder / fname, arr)
        files[name] = {"file": fname, "sha256": digest, "bytes": nbytes,
                       "shape": list(arr.shape), "dtype": str(arr.dtype)}

    from .. import __version__

    manifest = dict(info)
    manifest.update({
        "format_version": FORMAT_VERSION,
        "arrays": files,
        "shapes": {name: files[name]["shape"] for name in files},
        "n_train": int(train_x.shape[0]),
        "n_test": int(test_x.shape[0]),
        "seq_len": int(train_x.shape[1]),
        "channels": int(train_x.shape[2]),
        "vocab_size": VOCAB_SIZE,
        "label_histogram": {s: label_histogram(arrays[f"{s}_y"], n_classes)
                            for s in ("train", "test")},
        "split_hashes": {s: split_hash(arrays[f"{s}_x"], arrays[f"{s}_y"])
                         for s in ("train", "test")},
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "created_by": {"auxbench": __version__, "numpy": np.__version__,
                       "python": platform.python_version()},
    })
    write_json(folder / MANIFEST, manifest)
    return folder


def read_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise DataError(f"{folder} has no {MANIFEST}: it is not a prepared dataset or its "
                        f"preparation did not finish. {_fix_hint(folder)}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path} cannot be read ({exc}). {_fix_hint(folder)}") from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        version = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise DataError(f"{path} has format version {version!r}; this auxbench reads version "
                        f"{FORMAT_VERSION}. {_fix_hint(folder)}")
    for key in ("arrays", "n_classes", "seq_len", "channels", "dataset_key"):
        if key not in manifest:
            raise DataError(f"{path} lacks the key {key!r}. {_fix_hint(folder)}")
    for name in SPLIT_ARRAYS:
        if name not in manifest["arrays"]:
            raise DataError(f"{path} does not list {name}.npy. {_fix_hint(folder)}")
    return manifest


@dataclass
class PreparedDataset:
    """A prepared dataset: memory-mapped arrays and their manifest."""

    path: Path
    manifest: dict[str, Any]
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.manifest["dataset_key"]

    @property
    def n_classes(self) -> int:
        return int(self.manifest["n_classes"])

    @property
    def seq_len(self) -> int:
        return int(self.manifest["seq_len"])

    @property
    def channels(self) -> int:
        return int(self.manifest["channels"])

    @property
    def pad_token(self) -> int | None:
        return self.manifest.get("pad_token")

    @property
    def vocab_size(self) -> int:
        return int(self.manifest.get("vocab_size", VOCAB_SIZE))

    @property
    def class_names(self) -> list[str]:
        return list(self.manifest.get("class_names") or
                    [str(i) for i in range(self.n_classes)])

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {name!r}")
        return getattr(self, f"{name}_x"), getattr(self, f"{name}_y")

    def __repr__(self) -> str:
        return (f"PreparedDataset({self.key!r}, train={tuple(self.train_x.shape)}, "
                f"test={tuple(self.test_x.shape)}, n_classes={self.n_classes})")


def load_prepared(folder: str | os.PathLike, mmap: bool = True) -> PreparedDataset:
    """Open a prepared folder after cheap checks; arrays are memory-mapped (read-only)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    loaded: dict[str, np.ndarray] = {}
    for name, entry in manifest["arrays"].items():
        path = folder / entry["file"]
        if not path.is_file():
            raise DataError(f"{path} is missing. {_fix_hint(folder)}")
        if path.stat().st_size != entry["bytes"]:
            raise DataError(f"{path} has {path.stat().st_size:,} bytes, the manifest says "
                            f"{entry['bytes']:,}: the file is truncated or was replaced. "
                            f"{_fix_hint(folder)}")
        try:
            arr = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise DataError(f"{path} cannot be read as .npy ({exc}). {_fix_hint(folder)}") from exc
        if list(arr.shape) != list(entry["shape"]) or str(arr.dtype) != entry["dtype"]:
            raise DataError(f"{path} has shape {list(arr.shape)} dtype {arr.dtype}, the manifest "
                            f"says {entry['shape']} {entry['dtype']}. {_fix_hint(folder)}")
        loaded[name] = arr
    tx = loaded["train_x"]
    if (tx.shape[1] != manifest["seq_len"] or tx.shape[2] != manifest["channels"]
            or loaded["test_x"].shape[1:] != tx.shape[1:]):
        raise DataError(f"{folder}: array shapes disagree with seq_len/channels in the manifest. "
                        f"{_fix_hint(folder)}")
    extras = {k: v for k, v in loaded.items() if k not in SPLIT_ARRAYS}
    return PreparedDataset(folder, manifest, loaded["train_x"], loaded["train_y"],
                           loaded["test_x"], loaded["test_y"], extras)


def verify_prepared(folder: str | os.PathLike, progress: Any = "none") -> dict[str, Any]:
    """Re-hash every array file against the manifest; raise DataError naming a bad file."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    for name, entry in sorted(manifest["arrays"].items()):
        path = folder / entry["file"]
        if not path.is_file():
            raise DataError(f"{path} is missing. {_fix_hint(folder)}")
        actual = sha256_file(path, progress, desc=f"verify {entry['file']}")
        if actual != entry["sha256"]:
            raise DataError(f"{path} is corrupt: sha256 {actual}, the manifest records "
                            f"{entry['sha256']}. {_fix_hint(folder)}")
    load_prepared(folder)  # shapes and dtypes too
    return manifest


def is_prepared(folder: str | os.PathLike, spec: dict | None = None) -> bool:
    """True if ``folder`` passes the cheap checks (and was made from ``spec``, if given)."""
    try:
        ds = load_prepared(folder)
    except DataError:
        return False
    return spec is None or ds.manifest.get("spec") == spec


__all__ = [
    "FORMAT_VERSION", "MANIFEST", "PreparedDataset", "is_prepared", "load_prepared",
    "read_manifest", "split_hash", "verify_prepared", "write_array", "write_prepared",
]
