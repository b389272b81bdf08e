"""Embedded datasets: generated deterministically from a seed, no download, same cache format.

They stand in for the paper's datasets in the default 30-minute CPU run. What they keep of the
paper's task is the *structure*: a sequence read pixel by pixel (or byte by byte) whose class
evidence sits in a short stretch **early** in the sequence, followed by a **long stretch of
class-independent background**. A classifier whose supervised gradient only reaches the last K
steps (truncated BPTT, ``tK``) gets no gradient signal telling it to store that evidence, and so
cannot solve the task once K is shorter than the background stretch; a model that learns to
remember (full BPTT, or an auxiliary loss that reconstructs/predicts over the early part) can.

The generators: :mod:`auxbench.data.embedded_images` (``embedded_mnist``, ``embedded_pmnist``,
``embedded_cifar``, ``embedded_dogs``) and :mod:`auxbench.data.embedded_text`
(``embedded_text``). This module holds what they share.

Labels are exactly balanced (counts differ by at most one). Train and test come from independent
random streams of ``SeedSequence([seed, split, stream])``: changing ``n_test`` does not change the
training set. Generation is vectorised numpy, in chunks (10,000 images of 16x16 take well under a
second; 2,000 colour images of 128x128 a few seconds).
"""

from __future__ import annotations

import numpy as np

GENERATOR_VERSION = 1

# The random stream of each generator: distinct, so that datasets made with one seed are
# independent of each other (embedded_pmnist permutes embedded_mnist's images, so it shares them).
GREY_STREAM, CIFAR_STREAM, DOGS_STREAM, TEXT_STREAM = 1, 2, 3, 4
_SPLIT_CODE = {"train": 0, "test": 1}


def split_rng(seed: int, split: str, stream: int) -> np.random.Generator:
    """The generator of one split of one dataset."""
    return np.random.default_rng(np.random.SeedSequence([seed, _SPLIT_CODE[split], stream]))


def balanced_labels(rng: np.random.Generator, n: int, n_classes: int) -> np.ndarray:
    """``n`` labels, each class ``n // n_classes`` or one more times, in random order."""
    return rng.permutation(np.arange(n, dtype=np.int64) % n_classes)


def generator_record(name: str, module: str) -> dict:
    """The manifest's ``generator`` entry: what made the arrays, so a reader can make them again."""
    return {"name": name, "version": GENERATOR_VERSION, "module": module}
