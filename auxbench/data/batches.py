"""Fixed subsets of a prepared dataset.

:func:`subset_indices` draws the class-stratified subset used by the run options
``train.train_size``/``train.test_size``. It takes its own seed (``train.split_seed``),
independent of the run seed, so every method and every seed of an experiment sees the same
examples.
"""

from __future__ import annotations

import numpy as np


def subset_indices(labels: np.ndarray, size: int | None, seed: int) -> np.ndarray:
    """Sorted indices of a class-stratified subset of ``size`` examples (all if None or >= N).

    Each class gets ``size`` times its share, rounded by largest remainder (ties to the smaller
    class index), so the subset's class proportions match the full set's as closely as integers
    allow; within a class the examples are a uniform random draw from
    ``numpy.random.default_rng(seed)``. Deterministic for (labels, size, seed).
    """
    labels = np.asarray(labels)
    n = labels.shape[0]
    if size is None or size >= n:
        return np.arange(n, dtype=np.int64)
    if isinstance(size, bool) or int(size) != size or size < 1:
        raise ValueError(f"subset size must be a positive integer or None, got {size!r}")
    size = int(size)
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * (size / n)
    take = np.floor(exact).astype(np.int64)
    remainder = exact - take
    order = np.lexsort((np.arange(len(classes)), -remainder))
    for i in order[: size - int(take.sum())]:
        take[i] += 1
    rng = np.random.default_rng(seed)
    chosen = []
    for c, k in zip(classes, take):
        idx = np.nonzero(labels == c)[0]
        if k:
            chosen.append(rng.choice(idx, size=int(k), replace=False))
    return np.sort(np.concatenate(chosen)).astype(np.int64)

