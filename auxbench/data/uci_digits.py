"""UCI handwritten digits, pixel by pixel, then background steps: the default scale's MNIST kind.

The data: "Optical Recognition of Handwritten Digits" (Alpaydin and Kaynak, UCI Machine Learning
Repository, 1998; CC BY 4.0), 1,797 images of 8x8 pixels, each pixel a count of inked cells in a
4x4 block of a 32x32 bitmap, so a grey level 0..16. The raw file is
``digits.csv.gz`` as scikit-learn's wheel ships it (``sklearn/datasets/data/``): 1,797 rows of 64
pixel values in raster order and the label. The project commits no dataset, so the file is read
from ``<mirror>/uci_digits/digits.csv.gz`` where a mirror holds it, else where the installed
package put it (located without importing scikit-learn), else from
``<data_root>/raw/uci_digits/digits.csv.gz``, and verified by its SHA-256
(:data:`auxbench.data.sources.UCI_DIGITS`) like every raw source.

Prepared: ``x`` uint8 ``[N, 64 + tail, 1]``: the 64 pixels in raster order, grey level ``g``
as token ``round(g * 255 / 16)`` (0 = background, 255 = full ink, as MNIST's 0..255; 17 distinct
tokens), then ``tail`` background steps (token 0) that carry no class information.

Split: class-stratified, no image index in both: ``numpy.random.default_rng(split_seed)``
permutes each class's row indices (classes in order 0..9) and the first ``quota[k]`` go to the test
set, ``quota`` being ``n_test`` shared in proportion to the class counts (largest remainder, ties
to the lower class). Both splits keep the file's row order; their row indices are stored as
``train_index.npy``/``test_index.npy``. The file's 1,797 images are all distinct, so no test
image equals a training image; the manifest counts such images anyway
(``cross_split_duplicates``), so that another split or file would show them.
"""

from __future__ import annotations

import gzip
import importlib.util
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from .download import fetch, resolve_mirror
from .hashing import sha256_file
from .progress import log
from .sources import UCI_DIGITS, Source

SIDE = 8
N_IMAGES = 1797
MAX_LEVEL = 16
CLASS_NAMES = tuple(str(d) for d in range(10))
PACKAGE_PATH = "sklearn/datasets/data/digits.csv.gz"
LICENCE = {
    "licence": "CC BY 4.0",
    "attribution": "E. Alpaydin and C. Kaynak, Optical Recognition of Handwritten Digits, UCI "
                   "Machine Learning Repository (1998), https://doi.org/10.24432/C50P49",
    "obtained_from": f"the scikit-learn wheel, {PACKAGE_PATH}",
}


def packaged_file() -> Path | None:
    """Where the installed scikit-learn keeps the file (None when it is not installed)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).parent / PACKAGE_PATH


def locate(raw_dir: Path, mirror: Any, progress: Any, source: Source, **fetch_kw) -> Path:
    """The verified raw file: the mirror's copy where it holds one, else the installed
    package's, else the one in `raw_dir`."""
    mirror_dir = resolve_mirror(mirror)
    in_mirror = mirror_dir is not None and (mirror_dir / source.mirror_path).is_file()
    packaged = None if in_mirror else packaged_file()
    if packaged is not None and packaged.is_file():
        digest = sha256_file(packaged)
        if digest != source.sha256:
            raise DataError(
                f"{packaged} has SHA-256 {digest}, not the UCI digits file auxbench expects "
                f"({source.sha256}): the installed scikit-learn's copy is corrupt or changed. "
                "Reinstall it (pip install --force-reinstall scikit-learn) or put a good copy at "
                f"<mirror>/{source.mirror_path}.")
        log(f"using {packaged} (verified sha256)", progress)
        return packaged
    try:
        return fetch(source, raw_dir, mirror, progress, **fetch_kw)
    except DataError as exc:
        raise DataError(f"{exc}\nThe file ships in scikit-learn's wheel ({PACKAGE_PATH}, "
                        f"sha256 {source.sha256}): pip install scikit-learn.") from exc


def read_digits(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 [1797, 64] of grey levels 0..16, labels int64 [1797]) from the CSV."""
    try:
        text = gzip.decompress(Path(path).read_bytes()).decode("ascii")
        table = np.loadtxt(text.splitlines(), delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path}: not a gzip CSV of integers ({exc}).") from exc
    if table.shape != (N_IMAGES, SIDE * SIDE + 1):
        raise DataError(f"{path}: a table of {table.shape}, expected ({N_IMAGES}, 65).")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > MAX_LEVEL or labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{path}: grey levels outside 0..{MAX_LEVEL} or labels outside 0..9.")
    return pixels.astype(np.uint8), labels


def tokens(levels: np.ndarray) -> np.ndarray:
    """Grey levels 0..16 as the tokens 0..255 of MNIST's ink scale."""
    return np.rint(levels.astype(np.float64) * 255 / MAX_LEVEL).astype(np.uint8)


def holdout_quota(counts: np.ndarray, n_test: int) -> np.ndarray:
    """``n_test`` shared over classes in proportion to ``counts`` (largest remainder)."""
    share = counts * n_test / counts.sum()
    quota = np.floor(share).astype(np.int64)
    order = np.lexsort((np.arange(len(counts)), -(share - quota)))
    quota[order[:n_test - quota.sum()]] += 1
    return quota


def stratified_split(labels: np.ndarray, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train row indices, test row indices), both sorted; see the module docstring."""
    rng = np.random.default_rng(seed)
    counts = np.bincount(labels, minlength=len(CLASS_NAMES))
    test = [rng.permutation(np.flatnonzero(labels == k))[:q]
            for k, q in enumerate(holdout_quota(counts, n_test))]
    test_index = np.sort(np.concatenate(test)).astype(np.int64)
    return np.setdiff1d(np.arange(len(labels)), test_index).astype(np.int64), test_index


def cross_split_duplicates(train: np.ndarray, test: np.ndarray) -> int:
    """How many test images have exactly the pixels of some training image."""
    seen = {row.tobytes() for row in train}
    return sum(row.tobytes() in seen for row in test)


def build(spec: dict, raw_dir: Path, mirror: Any = None, progress: Any = None,
          sources: dict[str, Source] | None = None, **fetch_kw
          ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and manifest info for ``uci_digits``."""
    source = (sources or {}).get("digits", UCI_DIGITS)
    path = locate(Path(raw_dir), mirror, progress, source, **fetch_kw)
    levels, labels = read_digits(path)
    train_index, test_index = stratified_split(labels, spec["n_test"], spec["split_seed"])
    x = np.zeros((N_IMAGES, SIDE * SIDE + spec["tail"], 1), np.uint8)
    x[:, :SIDE * SIDE, 0] = tokens(levels)
    arrays = {"train_x": x[train_index], "train_y": labels[train_index],
              "test_x": x[test_index], "test_y": labels[test_index],
              "train_index": train_index, "test_index": test_index}
    info: dict[str, Any] = {
        "n_classes": 10, "pad_token": None, "class_names": list(CLASS_NAMES),
        "sources": [source.record()], **LICENCE, "side": SIDE, "tail": spec["tail"],
        "pixel_order": "raster, then the tail",
        "pixel_tokens": f"grey level g (0..{MAX_LEVEL}) as round(g * 255 / {MAX_LEVEL})",
        "split": {"kind": "class-stratified, disjoint row indices", "seed": spec["split_seed"],
                  "recipe": "numpy.random.default_rng(seed).permutation per class, in class "
                            "order; largest-remainder quotas",
                  "cross_split_duplicates": cross_split_duplicates(levels[train_index],
                                                                   levels[test_index])},
    }
    log(f"UCI digits: {len(train_index)} train, {len(test_index)} test images", progress)
    return arrays, info
