"""Dataset specs, keys, validation; class-stratified subsets; batch iteration."""

from __future__ import annotations

import numpy as np
import pytest

from auxbench import data
from auxbench.errors import ConfigError


@pytest.mark.parametrize("spec,key", [
    ({"name": "mnist"}, "mnist"),
    ("mnist", "mnist"),
    ({"name": "pmnist"}, "pmnist"),
    ({"name": "pmnist", "permutation_seed": 92916}, "pmnist"),
    ({"name": "pmnist", "permutation_seed": 7}, "pmnist-p7"),
    ({"name": "cifar10"}, "cifar10"),
    ({"name": "dbpedia"}, "dbpedia-l1024"),
    ({"name": "dbpedia", "max_len": 300}, "dbpedia-l300"),
    ({"name": "dbpedia", "max_len": None}, "dbpedia-lmax"),
    ({"name": "stanford_dogs"}, "stanford_dogs-s64"),
    ({"name": "stanford_dogs", "side": 128}, "stanford_dogs-s128"),
])
def test_keys(spec, key):
    assert data.dataset_key(spec) == key


def test_embedded_keys_are_readable_and_hash_the_rest():
    k = data.dataset_key({"name": "embedded_mnist"})
    assert k == "embedded_mnist-s16-t0-2e238b78"  # stable across runs and machines
    assert data.dataset_key({"name": "embedded_mnist", "seed": 1}).startswith(
        "embedded_mnist-s16-t0-")
    assert data.dataset_key({"name": "embedded_mnist", "seed": 1}) != k
    assert data.dataset_key({"name": "embedded_mnist", "noise": 0.1}) == k  # default spelled out
    assert data.dataset_key({"name": "embedded_dogs", "side": 128}).startswith(
        "embedded_dogs-s128-c10-t0-")
    assert data.dataset_key({"name": "embedded_text"}).startswith("embedded_text-l256-")
    keys = {data.dataset_key({"name": n}) for n in data.dataset_names()}
    assert len(keys) == len(data.dataset_names())


def test_validate_fills_defaults():
    assert data.validate_spec({"name": "stanford_dogs"}) == {"name": "stanford_dogs", "side": 64}
    s = data.validate_spec({"name": "embedded_mnist", "tail": 100})
    assert s["side"] == 16 and s["tail"] == 100 and s["seed"] == 0
    assert data.validate_spec({"name": "embedded_mnist", "noise": 0})["noise"] == 0.0


@pytest.mark.parametrize("spec,match", [
    ({"name": "mnits"}, r"dataset.name = 'mnits': allowed values are mnist, pmnist"),
    ({}, "dataset.name = None"),
    ({"name": "mnist", "sid": 14}, r"dataset.sid is not an option of mnist; its options are: side\."),
    ({"name": "cifar10", "side": 33}, r"dataset.side = 33 for cifar10: expected an integer in 4..32"),
    ({"name": "stanford_dogs", "sid": 3}, r"dataset.sid .*options are: side\."),
    ({"name": "stanford_dogs", "side": "64"}, r"dataset.side = '64'.*an integer in 4..512"),
    ({"name": "stanford_dogs", "side": True}, r"dataset.side = True"),
    ({"name": "stanford_dogs", "side": 1000}, r"dataset.side = 1000.*4..512"),
    ({"name": "stanford_dogs", "side": 6.5}, r"dataset.side = 6.5"),
    ({"name": "dbpedia", "max_len": 0}, r"dataset.max_len = 0.*or null"),
    ({"name": "embedded_mnist", "noise": 2}, r"dataset.noise = 2.0.*<= 1.0"),
    ({"name": "embedded_mnist", "region": 0.25}, r"dataset.region = 0.25 with side 16"),
    ({"name": "embedded_text", "min_len": 500}, r"dataset.min_len = 500 exceeds"),
    ({"name": "mnist", "train_size": 100}, r"dataset.train_size .*run options: train.train_size"),
    ("nope", "allowed values"),
    (["mnist"], "expected a mapping"),
])
def test_validate_errors(spec, match):
    with pytest.raises(ConfigError, match=match):
        data.validate_spec(spec)


def test_subset_indices_stratified_and_deterministic():
    rng = np.random.default_rng(0)
    labels = rng.permutation(np.repeat(np.arange(4), [500, 300, 150, 50]))
    idx = data.subset_indices(labels, 100, seed=3)
    assert len(idx) == 100 and len(np.unique(idx)) == 100 and np.all(np.diff(idx) > 0)
    assert np.bincount(labels[idx], minlength=4).tolist() == [50, 30, 15, 5]
    np.random.seed(123)  # the global RNG plays no part
    assert np.array_equal(idx, data.subset_indices(labels, 100, seed=3))
    assert not np.array_equal(idx, data.subset_indices(labels, 100, seed=4))
    odd = data.subset_indices(labels, 7, seed=0)
    assert len(odd) == 7 and np.bincount(labels[odd], minlength=4).tolist() == [4, 2, 1, 0]
    assert np.array_equal(data.subset_indices(labels, None, 0), np.arange(1000))
    assert np.array_equal(data.subset_indices(labels, 5000, 0), np.arange(1000))
    with pytest.raises(ValueError):
        data.subset_indices(labels, 0, 0)


@pytest.mark.parametrize("spec", [
    {"name": "embedded_mnist", "side": 14, "tail": 9, "n_train": 20, "n_test": 10},
    {"name": "embedded_pmnist", "side": 14, "n_train": 20, "n_test": 10},
    {"name": "embedded_cifar", "side": 14, "tail": 3, "n_train": 20, "n_test": 10},
    {"name": "embedded_dogs", "side": 16, "n_train": 20, "n_test": 10},
    {"name": "embedded_text", "max_len": 128, "n_train": 28, "n_test": 14},
])
def test_sequence_shape_is_known_before_preparing(tmp_path, spec):
    ds = data.load_prepared(data.prepare(spec, tmp_path))
    assert data.sequence_shape(spec) == (ds.seq_len, ds.channels)
