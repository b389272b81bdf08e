"""Embedded (generated) datasets, all of them: determinism, balance, shapes, the cache."""

from __future__ import annotations

import numpy as np
import pytest

from auxbench import data
from auxbench.data.registry import DATASETS, validate_spec


def build(**spec):
    """Arrays and info of one embedded spec, built by its registry entry (no cache)."""
    s = validate_spec(spec)
    return DATASETS[s["name"]].build(s, "none")


@pytest.mark.parametrize("name", [n for n, d in DATASETS.items()
                                  if d.kind == "embedded"])
def test_deterministic_seeded_balanced(name):
    a, info = build(name=name, n_train=300, n_test=70, seed=5)
    b, _ = build(name=name, n_train=300, n_test=70, seed=5)
    c, _ = build(name=name, n_train=300, n_test=70, seed=6)
    for k in ("train_x", "train_y", "test_x", "test_y"):
        assert np.array_equal(a[k], b[k]), k
    assert not np.array_equal(a["train_x"], c["train_x"])
    assert not np.array_equal(a["test_x"], a["train_x"][:70])
    k = info["n_classes"]
    for split, n in (("train", 300), ("test", 70)):
        counts = np.bincount(a[f"{split}_y"], minlength=k)
        assert counts.max() - counts.min() <= 1 and counts.sum() == n
        assert a[f"{split}_x"].dtype == np.uint8 and a[f"{split}_y"].dtype == np.int64
    # the training set does not depend on the size of the test set
    d, _ = build(name=name, n_train=300, n_test=10, seed=5)
    assert np.array_equal(a["train_x"], d["train_x"])


def test_shapes():
    assert build(name="embedded_mnist", n_train=4, n_test=2, tail=30)[0]["train_x"].shape == \
        (4, 16 * 16 + 30, 1)
    assert build(name="embedded_cifar", n_train=4, n_test=2)[0]["train_x"].shape == (4, 1024, 3)
    dogs, info = build(name="embedded_dogs", side=128, n_train=4, n_test=2)
    assert dogs["train_x"].shape == (4, 16384, 3)
    assert build(name="embedded_text", n_train=4, n_test=2, max_len=512)[0]["train_x"].shape == \
        (4, 512, 1)
    many, info = build(name="embedded_dogs", n_classes=120, n_train=240, n_test=120)
    assert info["n_classes"] == 120 and len(set(info["class_names"])) == 120
    assert np.bincount(many["train_y"], minlength=120).tolist() == [2] * 120


def test_prepare_embedded_through_the_cache(tmp_path):
    spec = {"name": "embedded_dogs", "side": 32, "n_classes": 12, "n_train": 48, "n_test": 24,
            "tail": 10}
    path = data.prepare(spec, tmp_path, progress="none")
    ds = data.load_prepared(path)
    assert ds.train_x.shape == (48, 32 * 32 + 10, 3) and ds.n_classes == 12
    assert ds.manifest["generator"]["name"] == "embedded_dogs" and ds.manifest["sources"] == []
    data.verify_prepared(path)
