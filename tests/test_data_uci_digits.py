"""The UCI handwritten digits, prepared from the file the scikit-learn wheel ships."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from auxbench import data
from auxbench.data import uci_digits
from auxbench.data.hashing import sha256_file
from auxbench.data.sources import UCI_DIGITS
from auxbench.errors import DataError

pytestmark = pytest.mark.usefixtures("no_mirror_env")

# The file's first image (a 0), row by row, as its first CSV line gives it.
FIRST_IMAGE = [[0, 0, 5, 13, 9, 1, 0, 0], [0, 0, 13, 15, 10, 15, 5, 0],
               [0, 3, 15, 2, 0, 11, 8, 0], [0, 4, 12, 0, 0, 8, 8, 0],
               [0, 5, 8, 0, 0, 9, 8, 0], [0, 4, 11, 0, 1, 12, 7, 0],
               [0, 2, 14, 5, 10, 12, 0, 0], [0, 0, 6, 13, 10, 0, 0, 0]]
CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


@pytest.fixture(scope="module")
def raw():
    path = uci_digits.packaged_file()
    if path is None or not path.is_file():
        pytest.skip("scikit-learn is not installed")
    return path


@pytest.fixture(scope="module")
def prepared(raw, tmp_path_factory):
    root = tmp_path_factory.mktemp("digits")
    folder = data.prepare({"name": "uci_digits", "tail": 20}, root, progress="none")
    return folder, data.load_prepared(folder)


def test_the_packaged_file_is_the_registered_one(raw):
    assert sha256_file(raw) == UCI_DIGITS.sha256
    assert raw.stat().st_size == UCI_DIGITS.size


def test_shapes_tokens_and_tail(prepared):
    _, ds = prepared
    assert ds.train_x.shape == (1347, 84, 1) and ds.test_x.shape == (450, 84, 1)
    assert ds.train_x.dtype == np.uint8 and ds.train_y.dtype == np.int64
    assert ds.seq_len == 84 and ds.n_classes == 10
    assert not ds.train_x[:, 64:].any() and not ds.test_x[:, 64:].any()  # the tail: background
    tokens = set(np.unique(ds.train_x)) | set(np.unique(ds.test_x))
    assert tokens <= {round(g * 255 / 16) for g in range(17)} and {0, 255} <= tokens


def test_first_image_pixels_by_hand(prepared, raw):
    _, ds = prepared
    first_line = gzip.decompress(raw.read_bytes()).decode().splitlines()[0]
    assert [int(v) for v in first_line.split(",")] == [*np.ravel(FIRST_IMAGE).tolist(), 0]
    in_train = np.flatnonzero(ds.extras["train_index"] == 0)
    x, y, row = ((ds.train_x, ds.train_y, in_train[0]) if len(in_train) else
                 (ds.test_x, ds.test_y, np.flatnonzero(ds.extras["test_index"] == 0)[0]))
    expected = np.rint(np.array(FIRST_IMAGE) * 255 / 16).astype(np.uint8)
    np.testing.assert_array_equal(x[row, :64, 0].reshape(8, 8), expected)
    assert expected[1, 3] == 239 and y[row] == 0  # level 15 -> 239


def test_split_is_disjoint_by_index_and_stratified(prepared):
    _, ds = prepared
    train, test = ds.extras["train_index"], ds.extras["test_index"]
    assert len(np.intersect1d(train, test)) == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(1797))
    counts = np.bincount(np.concatenate([ds.train_y, ds.test_y]), minlength=10)
    assert counts.tolist() == CLASS_COUNTS
    test_counts = np.bincount(ds.test_y, minlength=10)
    assert test_counts.sum() == 450
    assert np.abs(test_counts - counts * 450 / 1797).max() < 1  # proportional, to one image


def test_manifest_records_source_licence_split_and_hashes(prepared):
    folder, _ = prepared
    m = json.loads((folder / "manifest.json").read_text())
    assert m["sources"][0]["sha256"] == UCI_DIGITS.sha256
    assert m["licence"] == "CC BY 4.0" and "Alpaydin" in m["attribution"]
    assert m["split"]["seed"] == 0 and m["split"]["cross_split_duplicates"] == 0
    for name in ("train_x", "test_x", "train_index", "test_index"):
        assert len(m["arrays"][name]["sha256"]) == 64
    assert data.verify_prepared(folder)


def test_split_depends_on_its_seed_only(raw, tmp_path):
    a = data.prepare({"name": "uci_digits", "split_seed": 1}, tmp_path, progress="none")
    b = data.prepare({"name": "uci_digits", "split_seed": 1, "tail": 5}, tmp_path,
                     progress="none")
    c = data.prepare({"name": "uci_digits", "split_seed": 2}, tmp_path, progress="none")
    idx = [np.load(f / "test_index.npy") for f in (a, b, c)]
    np.testing.assert_array_equal(idx[0], idx[1])
    assert not np.array_equal(idx[0], idx[2])


def test_cross_split_duplicates_are_counted():
    train = np.array([[1, 2], [3, 4]], np.uint8)
    assert uci_digits.cross_split_duplicates(train, np.array([[3, 4], [5, 6], [1, 2]], np.uint8)) == 2


def test_a_corrupt_file_is_a_clear_error(raw, tmp_path):
    wrong = UCI_DIGITS.with_(sha256="0" * 64)
    with pytest.raises(DataError, match=r"digits.csv.gz has SHA-256 .*force-reinstall"):
        data.prepare({"name": "uci_digits"}, tmp_path, progress="none",
                     sources={"digits": wrong})


def test_without_scikit_learn_the_error_names_file_checksum_and_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(uci_digits, "packaged_file", lambda: None)
    with pytest.raises(DataError) as err:
        data.prepare({"name": "uci_digits"}, tmp_path, progress="none")
    text = str(err.value)
    assert "uci_digits/digits.csv.gz" in text and UCI_DIGITS.sha256 in text
    assert "pip install scikit-learn" in text


def test_a_mirror_copy_comes_first_and_a_bad_one_is_refused(raw, tmp_path):
    """With scikit-learn installed, a mirror holding the file is still read (and checked)."""
    bad = tmp_path / "mirror" / UCI_DIGITS.mirror_path
    bad.parent.mkdir(parents=True)
    bad.write_bytes(gzip.compress(b"1,2,3\n"))
    with pytest.raises(DataError, match="not the published digits.csv.gz"):
        data.prepare({"name": "uci_digits"}, tmp_path / "root", mirror=tmp_path / "mirror",
                     progress="none")
