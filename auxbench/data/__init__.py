"""auxbench.data: raw files, verification, parsing, the prepared cache, subsets and batches.

Public API::

    validate_spec(spec) -> dict              fill defaults; ConfigError on unknown names/keys/values
    sequence_shape(spec) -> (steps, channels) known before preparing
    split_sizes(spec) -> (training, test) examples known before preparing
    dataset_key(spec) -> str                 e.g. "mnist", "pmnist", "stanford_dogs-s64"
    prepare(spec, data_root, mirror=None, progress=None) -> Path
    load_prepared(path) -> PreparedDataset   memory-mapped, cheap checks
    verify_prepared(path) -> dict            re-hash every array against the manifest
    subset_indices(labels, size, seed) -> np.ndarray
    fetch(source, dest_dir, mirror=None, progress=None) -> Path

See docs/architecture.md for the cache format and the module docstrings for each dataset.
"""

from .batches import subset_indices
from .cache import PreparedDataset, is_prepared, load_prepared, read_manifest, verify_prepared
from .download import fetch, resolve_mirror
from .registry import (
    DATASETS,
    dataset_key,
    dataset_names,
    prepare,
    prepared_path,
    sequence_shape,
    split_sizes,
    validate_spec,
)
from .sources import MIRROR_ENV, Member, MirrorCopy, Source

__all__ = [
    "DATASETS",
    "MIRROR_ENV",
    "Member",
    "MirrorCopy",
    "PreparedDataset",
    "Source",
    "dataset_key",
    "dataset_names",
    "fetch",
    "is_prepared",
    "load_prepared",
    "prepare",
    "prepared_path",
    "read_manifest",
    "resolve_mirror",
    "sequence_shape",
    "split_sizes",
    "subset_indices",
    "validate_spec",
    "verify_prepared",
]
