"""The prepared cache: format, memory-mapped loading, corruption detection, idempotence."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from auxbench import data
from auxbench.data.cache import write_prepared
from auxbench.errors import DataError

SPEC = {"name": "embedded_mnist", "n_train": 200, "n_test": 50}


@pytest.fixture
def prepared(tmp_path):
    return data.prepare(SPEC, tmp_path, progress="none")


def test_layout_and_manifest(prepared, tmp_path):
    key = data.dataset_key(SPEC)
    assert prepared == tmp_path / "prepared" / key
    assert sorted(p.name for p in prepared.iterdir()) == [
        "manifest.json", "test_x.npy", "test_y.npy", "train_x.npy", "train_y.npy"]
    m = json.loads((prepared / "manifest.json").read_text())
    assert m["format_version"] == 1 and m["dataset_key"] == key
    assert m["spec"] == data.validate_spec(SPEC)
    assert m["vocab_size"] == 256 and m["pad_token"] is None
    assert (m["n_classes"], m["seq_len"], m["channels"]) == (10, 256, 1)
    assert m["shapes"]["train_x"] == [200, 256, 1] and m["arrays"]["test_y"]["dtype"] == "int64"
    assert sum(m["label_histogram"]["train"]) == 200
    assert set(m["split_hashes"]) == {"train", "test"}
    assert len(m["class_names"]) == 10
    for entry in m["arrays"].values():
        assert len(entry["sha256"]) == 64
        assert (prepared / entry["file"]).stat().st_size == entry["bytes"]


def test_load_is_memory_mapped(prepared):
    ds = data.load_prepared(prepared)
    for arr in (ds.train_x, ds.train_y, ds.test_x, ds.test_y):
        assert isinstance(arr, np.memmap) and not arr.flags.writeable
    assert ds.train_x.dtype == np.uint8 and ds.train_y.dtype == np.int64
    assert (ds.n_classes, ds.seq_len, ds.channels, ds.pad_token) == (10, 256, 1, None)


def test_flipped_byte_is_caught_by_verify(prepared):
    data.verify_prepared(prepared)
    path = prepared / "test_x.npy"
    with open(path, "r+b") as fh:
        fh.seek(os.path.getsize(path) - 100)
        b = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([b[0] ^ 0x01]))
    data.load_prepared(prepared)  # the cheap check cannot see it (same size, shape, dtype)
    with pytest.raises(DataError) as err:
        data.verify_prepared(prepared)
    msg = str(err.value)
    assert "test_x.npy" in msg and "corrupt" in msg
    assert "Delete the folder" in msg and "auxbench prepare" in msg


def test_truncated_array_is_caught_by_load(prepared):
    path = prepared / "train_x.npy"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError, match="train_x.npy.*truncated"):
        data.load_prepared(prepared)
    assert not data.is_prepared(prepared)


def test_folder_without_manifest_is_not_trusted(prepared, tmp_path):
    before = data.load_prepared(prepared).train_x[:5].copy()
    (prepared / "manifest.json").unlink()
    with pytest.raises(DataError, match="no manifest.json"):
        data.load_prepared(prepared)
    assert not data.is_prepared(prepared)
    again = data.prepare(SPEC, tmp_path, progress="none")  # rebuilt, not reused
    assert (again / "manifest.json").is_file()
    assert np.array_equal(data.load_prepared(again).train_x[:5], before)


def test_prepare_is_idempotent(prepared, tmp_path):
    stamp = {p.name: p.stat().st_mtime_ns for p in prepared.iterdir()}
    assert data.prepare(SPEC, tmp_path, progress="none") == prepared
    assert {p.name: p.stat().st_mtime_ns for p in prepared.iterdir()} == stamp


def test_manifest_of_another_spec_is_rebuilt(prepared, tmp_path):
    m = json.loads((prepared / "manifest.json").read_text())
    m["spec"]["seed"] = 99
    (prepared / "manifest.json").write_text(json.dumps(m))
    assert not data.is_prepared(prepared, data.validate_spec(SPEC))
    data.prepare(SPEC, tmp_path, progress="none")
    assert data.load_prepared(prepared).manifest["spec"]["seed"] == 0


def test_wrong_format_version(prepared):
    m = json.loads((prepared / "manifest.json").read_text())
    m["format_version"] = 999
    (prepared / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(DataError, match="format version 999"):
        data.load_prepared(prepared)


def test_write_prepared_validates(tmp_path):
    x = np.zeros((3, 4, 1), np.uint8)
    y = np.zeros(3, np.int64)
    info = {"dataset_key": "t", "spec": {}, "n_classes": 2, "pad_token": None, "sources": [],
            "class_names": ["a", "b"]}
    with pytest.raises(ValueError, match="uint8"):
        write_prepared(tmp_path / "a", {"train_x": x.astype(np.int16), "train_y": y,
                                        "test_x": x, "test_y": y}, info)
    with pytest.raises(ValueError, match="outside 0..1"):
        write_prepared(tmp_path / "b", {"train_x": x, "train_y": y + 5, "test_x": x,
                                        "test_y": y}, info)
    out = write_prepared(tmp_path / "c", {"train_x": x, "train_y": y, "test_x": x, "test_y": y},
                         info)
    assert data.load_prepared(out).manifest["label_histogram"]["train"] == [3, 0]
