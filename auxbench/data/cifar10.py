"""CIFAR-10, pixel by pixel in RGB: 1024 steps of 3 channels, raster order.

Raw files: the official *binary* version (``cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin``),
from the published ``cifar-10-binary.tar.gz`` or from a mirror holding the batches directly
(plain, or ``.bin.xz`` as staged in ``/work/shared/data``). Each batch is verified by the SHA-256
of its decompressed bytes. The Python pickles are never read (unpickling downloaded files runs
arbitrary code).

Record format: 10,000 records of 3073 bytes: ``<1 label byte><1024 R><1024 G><1024 B>``, each
colour plane 32x32 row-major. Prepared: ``x[n, t, c] = plane_c[t]`` with ``t = 32 * row + col``,
i.e. uint8 ``[N, 1024, 3]`` (RGB, *not* the 3072-step channel-major sequence), labels 0..9.
Train = data_batch_1..5 in order (50,000), test = test_batch (10,000). A ``side`` below 32 is the
image area-downsampled per channel first (:mod:`auxbench.data.resize`; 16: 256 steps, lite).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from .download import read_member
from .progress import Progress
from .resize import area_downsample, describe
from .sources import CIFAR10_CLASSES, CIFAR10_MEMBERS, Member

SIDE = 32
RECORD = 3073
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCHES = ("test_batch",)


def parse_batch(data: bytes, name: str = "CIFAR-10 batch") -> tuple[np.ndarray, np.ndarray]:
    """Parse binary records into ``x`` uint8 ``[N, 1024, 3]`` and ``y`` int64 ``[N]``."""
    if len(data) == 0 or len(data) % RECORD:
        raise DataError(f"{name}: {len(data):,} bytes is not a whole number of 3073-byte records.")
    rec = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
    y = rec[:, 0].astype(np.int64)
    if y.max() > 9:
        raise DataError(f"{name}: label {int(y.max())} outside 0..9; not the binary CIFAR-10 format.")
    x = rec[:, 1:].reshape(-1, 3, 1024).transpose(0, 2, 1)
    return np.ascontiguousarray(x), y


def load_batch(name: str, raw_dir: Path, mirror: Any = None, progress: Any = None,
               members: dict[str, Member] | None = None, **fetch_kw
               ) -> tuple[np.ndarray, np.ndarray]:
    """One verified, parsed batch (``name`` like ``"test_batch"``)."""
    members = CIFAR10_MEMBERS if members is None else members
    data = read_member(members[name], raw_dir, mirror, progress,
                       siblings=members.values(), **fetch_kw)
    return parse_batch(data, members[name].name)


def build(spec: dict, raw_dir: Path, mirror: Any = None, progress: Any = None,
          sources: dict[str, Member] | None = None, **fetch_kw
          ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    members = CIFAR10_MEMBERS if sources is None else sources
    arrays: dict[str, np.ndarray] = {}
    with Progress(len(TRAIN_BATCHES) + len(TEST_BATCHES), "CIFAR-10 batches", progress,
                  unit="batch", min_interval=0) as bar:
        for split, names in (("train", TRAIN_BATCHES), ("test", TEST_BATCHES)):
            xs, ys = [], []
            for name in names:
                x, y = load_batch(name, raw_dir, mirror, progress, members, **fetch_kw)
                xs.append(x)
                ys.append(y)
                bar.update()
            x = np.concatenate(xs).reshape(-1, SIDE, SIDE, 3)
            arrays[f"{split}_x"] = area_downsample(x, spec["side"]).reshape(-1, spec["side"] ** 2, 3)
            arrays[f"{split}_y"] = np.concatenate(ys)
    info = {
        "n_classes": 10, "pad_token": None, "class_names": list(CIFAR10_CLASSES),
        "sources": [members[n].record() for n in TRAIN_BATCHES + TEST_BATCHES],
        "pixel_order": "raster, RGB per step", "side": spec["side"],
        "resize": describe(SIDE, spec["side"]),
    }
    return arrays, info
