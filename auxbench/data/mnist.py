"""MNIST and permuted MNIST (pMNIST), pixel by pixel.

Raw files: the four original IDX files (gzip), see :data:`auxbench.data.sources.MNIST_SOURCES`.
IDX: a big-endian header ``00 00 <dtype> <ndim>`` (magic 2051 = ``0x00000803`` for the image
file, 2049 = ``0x00000801`` for labels; dtype ``0x08`` = unsigned byte), then ``ndim`` 32-bit
sizes, then the data in C order. Magic numbers, sizes and the exact file length are checked.

Prepared: ``x`` uint8 ``[N, side*side, 1]`` in raster order (row by row, left to right), labels
0..9, the standard 60,000 / 10,000 split. ``side`` 28 is the original; a smaller side is the
image area-downsampled first (:mod:`auxbench.data.resize`; 14: 196 steps, the lite scale).

pMNIST: one fixed permutation of the ``side*side`` positions, a property of the *dataset* (never
of a run): ``perm = numpy.random.RandomState(permutation_seed).permutation(side*side)`` with the
common default seed 92916, drawn over the reduced length (downsample, then permute); step ``t`` of
a permuted sequence is pixel ``perm[t]`` of the raster sequence
(``x_perm = x[:, perm, :]``), the same for train and test. The permutation is stored in the cache
as ``permutation.npy`` (int64) and its SHA-256 (of the little-endian int64 bytes) in the manifest
as ``permutation_sha256``.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from .download import fetch
from .hashing import sha256_bytes
from .progress import log
from .resize import area_downsample, describe
from .sources import MNIST_SOURCES, Source

SIDE = 28
IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
DEFAULT_PERMUTATION_SEED = 92916
CLASS_NAMES = tuple(str(d) for d in range(10))


def parse_idx(data: bytes, magic: int, name: str = "IDX file") -> np.ndarray:
    """Parse an (uncompressed) IDX file of unsigned bytes, checking the magic and the length."""
    if len(data) < 8:
        raise DataError(f"{name}: only {len(data)} bytes, too short for an IDX header.")
    (got,) = struct.unpack(">I", data[:4])
    if got != magic:
        raise DataError(f"{name}: magic number {got} (0x{got:08x}), expected {magic} "
                        f"(0x{magic:08x}). Not an IDX file of the expected kind.")
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(data) != expected:
        raise DataError(f"{name}: {len(data):,} bytes, but its header {dims} implies "
                        f"{expected:,} bytes. The file is truncated or corrupt.")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def read_idx_gz(path: Path, magic: int) -> np.ndarray:
    try:
        data = gzip.decompress(Path(path).read_bytes())
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: not a valid gzip file ({exc}). Delete it and run again.") from exc
    return parse_idx(data, magic, str(path))


def permutation(seed: int = DEFAULT_PERMUTATION_SEED, n: int = 784) -> np.ndarray:
    """The pMNIST permutation: ``RandomState(seed).permutation(n)`` as int64."""
    return np.random.RandomState(seed).permutation(n).astype(np.int64)


def permutation_sha256(perm: np.ndarray) -> str:
    return sha256_bytes(np.asarray(perm, dtype="<i8").tobytes())


def permutation_info(perm: np.ndarray, seed: int) -> dict[str, Any]:
    """The manifest entries that let a reader check and remake a permutation."""
    return {"permutation_seed": seed, "permutation_sha256": permutation_sha256(perm),
            "permutation_recipe": f"numpy.random.RandomState({seed}).permutation({len(perm)})"}


def load_mnist(raw_dir: Path, mirror: Any = None, progress: Any = None,
               sources: dict[str, Source] | None = None, **fetch_kw
               ) -> tuple[dict[str, np.ndarray], list[dict]]:
    """Fetch, verify and parse the four files; return the raster arrays and source records."""
    sources = dict(MNIST_SOURCES if sources is None else sources)
    out: dict[str, np.ndarray] = {}
    records = []
    for split in ("train", "test"):
        img_src, lab_src = sources[f"{split}_images"], sources[f"{split}_labels"]
        img_path = fetch(img_src, raw_dir, mirror, progress, **fetch_kw)
        lab_path = fetch(lab_src, raw_dir, mirror, progress, **fetch_kw)
        records += [img_src.record(), lab_src.record()]
        images = read_idx_gz(img_path, IMAGE_MAGIC)
        labels = read_idx_gz(lab_path, LABEL_MAGIC)
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise DataError(f"{img_path}: images of shape {images.shape[1:]}, expected (28, 28).")
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise DataError(f"{lab_path}: {labels.shape[0]} labels for {images.shape[0]} images.")
        if labels.max(initial=0) > 9:
            raise DataError(f"{lab_path}: label {labels.max()} outside 0..9.")
        out[f"{split}_x"] = images.reshape(images.shape[0], 784, 1).copy()
        out[f"{split}_y"] = labels.astype(np.int64)
        log(f"MNIST {split}: {images.shape[0]} images", progress)
    return out, records


def build(spec: dict, raw_dir: Path, mirror: Any = None, progress: Any = None,
          sources: dict[str, Source] | None = None, **fetch_kw
          ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and manifest info for ``mnist`` at ``spec["side"]``."""
    arrays, records = load_mnist(raw_dir, mirror, progress, sources, **fetch_kw)
    side = spec["side"]
    for split in ("train", "test"):
        x = arrays[f"{split}_x"].reshape(-1, SIDE, SIDE, 1)
        arrays[f"{split}_x"] = area_downsample(x, side).reshape(-1, side * side, 1)
    info: dict[str, Any] = {
        "n_classes": 10, "pad_token": None, "class_names": list(CLASS_NAMES),
        "sources": records, "pixel_order": "raster", "side": side,
        "resize": describe(SIDE, side),
    }
    return arrays, info


def build_permuted(spec: dict, raw_dir: Path, mirror: Any = None, progress: Any = None,
                   sources: dict[str, Source] | None = None, **fetch_kw
                   ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and manifest info for ``pmnist``: MNIST with one fixed pixel permutation."""
    arrays, info = build(spec, raw_dir, mirror, progress, sources, **fetch_kw)
    perm = permutation(spec["permutation_seed"], spec["side"] ** 2)
    for split in ("train", "test"):
        arrays[f"{split}_x"] = np.ascontiguousarray(arrays[f"{split}_x"][:, perm, :])
    arrays["permutation"] = perm
    info.update({"pixel_order": "permuted: step t holds raster pixel permutation[t]",
                 **permutation_info(perm, spec["permutation_seed"])})
    return arrays, info
