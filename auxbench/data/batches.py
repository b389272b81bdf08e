"""Fixed subsets and mini-batch index streams.

:func:`subset_indices` draws the class-stratified subset used by the run options
``dataset.train_size``/``dataset.test_size``. It has its own seed (default
:data:`DEFAULT_SUBSET_SEED`), independent of any run seed, so every method and every seed of an
experiment sees the same examples.

:func:`iterate_batches` yields index arrays. Evaluation uses ``shuffle=False`` and keeps the last
short batch, so every test example is evaluated exactly once (never ``drop_last`` on test).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

DEFAULT_SUBSET_SEED = 20180716


def subset_indices(labels: np.ndarray, size: int | None, seed: int = DEFAULT_SUBSET_SEED
                   ) -> np.ndarray:
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


def iterate_batches(n: int, batch_size: int, rng: np.random.Generator | None = None,
                    shuffle: bool = True, drop_last: bool = False) -> Iterator[np.ndarray]:
    """Yield int64 index arrays covering ``range(n)`` in batches of ``batch_size``.

    ``shuffle=True`` draws one permutation from ``rng`` (required then); ``shuffle=False`` keeps
    the order. The last, shorter batch is yielded unless ``drop_last`` (never use it on test data).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if shuffle:
        if rng is None:
            raise ValueError("iterate_batches(shuffle=True) needs an rng")
        order = rng.permutation(n).astype(np.int64)
    else:
        order = np.arange(n, dtype=np.int64)
    stop = (n // batch_size) * batch_size if drop_last else n
    for i in range(0, stop, batch_size):
        yield order[i:i + batch_size]
