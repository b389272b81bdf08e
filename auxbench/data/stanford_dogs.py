"""Stanford Dogs (Khosla et al. 2011), pixel by pixel in RGB at a chosen resolution.

Raw files: ``images.tar`` (``Images/<wnid>-<Breed>/<wnid>_<n>.jpg``, 20,580 JPEGs, 120 breeds)
and ``lists.tar`` (``train_list.mat``/``test_list.mat``, MATLAB v5, read with
:func:`scipy.io.loadmat`: ``file_list`` = relative paths ``<wnid>-<Breed>/<file>.jpg``,
``labels`` = 1..120). Both are verified by SHA-256 (from TensorFlow Datasets' url_checksums).

Split: the official one, 12,000 train (100 per class) / 8,580 test, in the order of the lists.

Images: decoded with Pillow, converted to RGB (a few files are greyscale or CMYK), the *whole*
image resized to ``side x side`` with bilinear filtering (``Image.Resampling.BILINEAR``; Pillow
widens the filter support when shrinking, so it also anti-aliases), no crop and no aspect
preservation. Prepared: uint8 ``[N, side*side, 3]`` in raster order (T = side², 16,384 at side
128), labels 0..119 (= list label - 1), class names = breed names from the folder names.

``images.tar`` is streamed once, front to back, and never unpacked to disk; decoding runs in a
small thread pool (Pillow releases the GIL while decoding and resizing).
"""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from .archives import iter_tar
from .download import fetch
from .progress import Progress, log
from .sources import DOGS_SOURCES, Source

LISTS = {"train": "train_list.mat", "test": "test_list.mat"}


def _mat_strings(cell: np.ndarray) -> list[str]:
    out = []
    for item in np.asarray(cell, dtype=object).ravel():
        arr = np.asarray(item).ravel()
        if arr.size != 1:
            raise DataError(f"unexpected entry {item!r} in a Stanford Dogs list")
        out.append(str(arr[0]))
    return out


def read_lists(lists_tar: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    """``{"train": (relative paths, labels 1..K), "test": ...}`` from ``lists.tar``."""
    import scipy.io

    wanted = {v: k for k, v in LISTS.items()}
    found: dict[str, tuple[list[str], np.ndarray]] = {}
    for name, fh in iter_tar(lists_tar, lambda n: os.path.basename(n) in wanted):
        split = wanted[os.path.basename(name)]
        try:
            mat = scipy.io.loadmat(io.BytesIO(fh.read()))
        except Exception as exc:  # scipy raises several kinds for a bad file
            raise DataError(f"{lists_tar}:{name}: not a readable MATLAB file ({exc}).") from exc
        for key in ("file_list", "labels"):
            if key not in mat:
                raise DataError(f"{lists_tar}:{name}: no variable {key!r}.")
        files = _mat_strings(mat["file_list"])
        labels = np.asarray(mat["labels"]).ravel().astype(np.int64)
        if len(files) != len(labels):
            raise DataError(f"{lists_tar}:{name}: {len(files)} files but {len(labels)} labels.")
        found[split] = (files, labels)
    missing = [LISTS[s] for s in LISTS if s not in found]
    if missing:
        raise DataError(f"{lists_tar} lacks {', '.join(missing)}.")
    return found


def decode(data: bytes, side: int, name: str = "image") -> np.ndarray:
    """JPEG bytes -> uint8 ``[side*side, 3]`` (RGB, whole image, bilinear, raster order)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img = img.convert("RGB").resize((side, side), Image.Resampling.BILINEAR)
            arr = np.asarray(img, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DataError(f"{name}: cannot decode the image ({exc}).") from exc
    return arr.reshape(side * side, 3)


def build(spec: dict, raw_dir: Path, mirror: Any = None, progress: Any = None,
          sources: dict[str, Source] | None = None, threads: int | None = None, **fetch_kw
          ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    sources = DOGS_SOURCES if sources is None else sources
    side = int(spec["side"])
    lists_path = fetch(sources["lists"], raw_dir, mirror, progress, **fetch_kw)
    images_path = fetch(sources["images"], raw_dir, mirror, progress, **fetch_kw)
    lists = read_lists(lists_path)

    # where each image goes; a file may appear in one split only
    where: dict[str, tuple[str, int]] = {}
    breed_of: dict[int, str] = {}
    for split, (files, labels) in lists.items():
        for i, (rel, lab) in enumerate(zip(files, labels)):
            rel = rel.replace("\\", "/")
            if rel in where:
                raise DataError(f"{lists_path}: {rel} is listed twice.")
            where[rel] = (split, i)
            folder = rel.split("/")[0]
            if breed_of.setdefault(int(lab), folder) != folder:
                raise DataError(f"{lists_path}: label {lab} is used for both "
                                f"{breed_of[int(lab)]} and {folder}.")
    all_labels = np.concatenate([lists[s][1] for s in lists])
    if all_labels.size == 0 or all_labels.min() < 1:
        raise DataError(f"{lists_path}: labels must be 1..K.")
    n_classes = int(all_labels.max())
    if set(breed_of) != set(range(1, n_classes + 1)):
        missing = sorted(set(range(1, n_classes + 1)) - set(breed_of))
        raise DataError(f"{lists_path}: labels {missing[:5]} have no images.")

    xs = {s: np.zeros((len(lists[s][0]), side * side, 3), dtype=np.uint8) for s in lists}
    seen: set[str] = set()
    threads = threads or max(1, min(4, os.cpu_count() or 1))

    def work(rel: str, data: bytes) -> None:
        split, i = where[rel]
        xs[split][i] = decode(data, side, f"{images_path}:Images/{rel}")

    def wanted(name: str) -> bool:
        return name.startswith("Images/") and name[len("Images/"):] in where

    with Progress(len(where), f"decode Stanford Dogs at {side}x{side}", progress,
                  unit="img") as bar, ThreadPoolExecutor(threads) as pool:
        pending = []
        for name, fh in iter_tar(images_path, wanted):
            rel = name[len("Images/"):]
            if rel in seen:
                raise DataError(f"{images_path}: {name} appears twice.")
            seen.add(rel)
            pending.append(pool.submit(work, rel, fh.read()))
            if len(pending) >= 4 * threads:
                for f in pending:
                    f.result()
                    bar.update()
                pending = []
        for f in pending:
            f.result()
            bar.update()
    missing = sorted(set(where) - seen)
    if missing:
        raise DataError(f"{images_path} lacks {len(missing)} listed image(s), e.g. "
                        f"Images/{missing[0]}. It is not the published images.tar.")

    arrays = {}
    for split in ("train", "test"):
        arrays[f"{split}_x"] = xs[split]
        arrays[f"{split}_y"] = lists[split][1] - 1
    folders = [breed_of[k] for k in range(1, n_classes + 1)]
    log(f"Stanford Dogs: {len(where)} images, {n_classes} classes, side {side}", progress)
    info = {
        "n_classes": n_classes,
        "pad_token": None,
        "class_names": [f.split("-", 1)[1] if "-" in f else f for f in folders],
        "class_folders": folders,
        "sources": [sources["images"].record(), sources["lists"].record()],
        "pixel_order": "raster, RGB per step",
        "resize": f"whole image to {side}x{side}, Pillow BILINEAR, RGB, no crop",
    }
    return arrays, info
