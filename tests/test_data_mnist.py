"""Real MNIST and pMNIST, prepared from the staged IDX files through the mirror path."""

from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest

from auxbench import data
from auxbench.data import mnist
from auxbench.errors import DataError

pytestmark = pytest.mark.usefixtures("no_mirror_env")

TRAIN_HIST = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_HIST = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
# sha256 of RandomState(92916).permutation(784) as little-endian int64
PERM_SHA = "96240fe27409981c3ed3e92c20d995f7103a94c2282307bc776923030113be74"


def tiny_idx(path, index):
    """An independent IDX reader: (image index as 784 bytes) from a .gz image file."""
    with gzip.open(path, "rb") as fh:
        magic, n, rows, cols = struct.unpack(">IIII", fh.read(16))
        assert magic == 2051 and rows == cols == 28
        if index < 0:
            index += n
        fh.seek(16 + index * 784)
        return np.frombuffer(fh.read(784), dtype=np.uint8)


def tiny_label(path, index):
    with gzip.open(path, "rb") as fh:
        magic, n = struct.unpack(">II", fh.read(8))
        assert magic == 2049
        if index < 0:
            index += n
        fh.seek(8 + index)
        return fh.read(1)[0]


@pytest.fixture(scope="module")
def prepared(shared_data, tmp_path_factory):
    if not (shared_data / "mnist").is_dir():
        pytest.skip(f"{shared_data}/mnist is not there")
    root = tmp_path_factory.mktemp("mnist_root")
    m = data.prepare({"name": "mnist"}, root, mirror=shared_data, progress="none")
    p = data.prepare({"name": "pmnist"}, root, mirror=shared_data, progress="none")
    return root, data.load_prepared(m), data.load_prepared(p)


def test_counts_shapes_histograms(prepared):
    _, ds, _ = prepared
    assert ds.train_x.shape == (60000, 784, 1) and ds.test_x.shape == (10000, 784, 1)
    assert ds.train_x.dtype == np.uint8 and ds.train_y.dtype == np.int64
    assert np.bincount(ds.train_y, minlength=10).tolist() == TRAIN_HIST
    assert np.bincount(ds.test_y, minlength=10).tolist() == TEST_HIST
    assert ds.manifest["label_histogram"] == {"train": TRAIN_HIST, "test": TEST_HIST}
    assert (ds.n_classes, ds.seq_len, ds.channels, ds.pad_token) == (10, 784, 1, None)
    assert ds.manifest["vocab_size"] == 256


def test_known_pixels_against_independent_reader(prepared, shared_data):
    _, ds, _ = prepared
    first = tiny_idx(shared_data / "mnist/train-images-idx3-ubyte.gz", 0)
    # computed once from the file: the first training image (a 5) has 166 ink pixels summing
    # to 27525; the last test image (a 6) 240 pixels summing to 41833
    assert (first > 0).sum() == 166 and int(first.sum()) == 27525
    assert np.array_equal(ds.train_x[0, :, 0], first)
    assert ds.train_x[0, 28 * 14 + 14, 0] == 240  # raster order: row 14, column 14
    last = tiny_idx(shared_data / "mnist/t10k-images-idx3-ubyte.gz", -1)
    assert (last > 0).sum() == 240 and int(last.sum()) == 41833
    assert np.array_equal(ds.test_x[-1, :, 0], last)
    assert ds.train_y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert ds.test_y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert tiny_label(shared_data / "mnist/t10k-labels-idx1-ubyte.gz", -1) == ds.test_y[-1] == 6


def test_sources_recorded(prepared, shared_data):
    _, ds, _ = prepared
    sums = dict(line.split()[::-1] for line in (shared_data / "SHA256SUMS").read_text().splitlines()
                if line.strip())
    recorded = {s["mirror_path"]: s["sha256"] for s in ds.manifest["sources"]}
    assert len(recorded) == 4
    for path, sha in recorded.items():
        assert sums[path] == sha


def test_pmnist_permutation_fixed_and_consistent(prepared):
    _, ds, pds = prepared
    perm = mnist.permutation()
    assert np.array_equal(perm, np.random.RandomState(92916).permutation(784))
    assert np.array_equal(perm, mnist.permutation(92916))  # identical across calls
    assert mnist.permutation_sha256(perm) == PERM_SHA
    assert pds.manifest["permutation_sha256"] == PERM_SHA
    stored = pds.extras["permutation"]
    assert hashlib.sha256(np.asarray(stored, dtype="<i8").tobytes()).hexdigest() == PERM_SHA
    # train and test permuted with the same permutation: step t holds raster pixel perm[t]
    assert np.array_equal(pds.train_x[:500], ds.train_x[:500][:, perm])
    assert np.array_equal(pds.test_x[-500:], ds.test_x[-500:][:, perm])
    assert np.array_equal(pds.train_y, ds.train_y) and np.array_equal(pds.test_y, ds.test_y)
    assert not np.array_equal(pds.train_x[0], ds.train_x[0])
    assert pds.manifest["label_histogram"] == ds.manifest["label_histogram"]


def test_pmnist_other_seed_is_another_dataset():
    assert data.dataset_key({"name": "pmnist"}) == "pmnist"
    assert data.dataset_key({"name": "pmnist", "permutation_seed": 1}) == "pmnist-p1"
    assert mnist.permutation_sha256(mnist.permutation(1)) != PERM_SHA


def test_idx_validation():
    good = struct.pack(">IIII", 2051, 2, 28, 28) + bytes(2 * 784)
    assert mnist.parse_idx(good, 2051).shape == (2, 28, 28)
    with pytest.raises(DataError, match="magic number 2049"):
        mnist.parse_idx(struct.pack(">II", 2049, 0) + bytes(8), 2051)
    with pytest.raises(DataError, match="truncated"):
        mnist.parse_idx(good[:-1], 2051)
    with pytest.raises(DataError, match="too short"):
        mnist.parse_idx(b"\x00\x00", 2051)
