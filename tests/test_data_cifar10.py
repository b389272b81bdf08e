"""Real CIFAR-10 from the staged .bin.xz batches; the archive route on a tiny built archive."""

from __future__ import annotations

import hashlib
import io
import lzma
import tarfile

import numpy as np
import pytest

from auxbench import data
from auxbench.data import cifar10
from auxbench.data.sources import CIFAR10_MEMBERS, Member, MirrorCopy, Source
from auxbench.errors import DataError

pytestmark = pytest.mark.usefixtures("no_mirror_env")


@pytest.fixture(scope="module")
def test_batch(shared_data, tmp_path_factory):
    if not (shared_data / "cifar10/cifar-10-batches-bin").is_dir():
        pytest.skip(f"{shared_data}/cifar10/cifar-10-batches-bin is not there")
    raw = tmp_path_factory.mktemp("cifar_raw")
    x, y = cifar10.load_batch("test_batch", raw, mirror=shared_data, progress="none")
    return x, y, raw


def test_test_batch_counts_and_shape(test_batch):
    x, y, raw = test_batch
    assert x.shape == (10000, 1024, 3) and x.dtype == np.uint8
    assert np.bincount(y, minlength=10).tolist() == [1000] * 10
    assert y[0] == 3  # the first test image is a cat
    assert not any(raw.rglob("*.bin"))  # the mirror copy was read in place


def test_raster_order_and_channels_against_raw_bytes(test_batch, shared_data):
    x, y, _ = test_batch
    path = shared_data / "cifar10/cifar-10-batches-bin/test_batch.bin.xz"
    with lzma.open(path) as fh:
        head = fh.read(3073 * 3)
    for i in range(3):
        rec = head[3073 * i: 3073 * (i + 1)]
        assert y[i] == rec[0]
        for ch in range(3):
            plane = np.frombuffer(rec[1 + 1024 * ch: 1 + 1024 * (ch + 1)], dtype=np.uint8)
            assert np.array_equal(x[i, :, ch], plane)
        for r, c in ((0, 0), (0, 31), (5, 7), (31, 0), (31, 31)):
            for ch in range(3):
                assert x[i, 32 * r + c, ch] == rec[1 + 1024 * ch + 32 * r + c]


def test_parse_batch_rejects_bad_input():
    with pytest.raises(DataError, match="3073-byte records"):
        cifar10.parse_batch(bytes(3073 + 5))
    rec = bytearray(3073)
    rec[0] = 11
    with pytest.raises(DataError, match="label 11"):
        cifar10.parse_batch(bytes(rec))


def _fake_batch(n, seed):
    rng = np.random.default_rng(seed)
    rec = rng.integers(0, 256, size=(n, 3073), dtype=np.uint8)
    rec[:, 0] = np.arange(n) % 10
    return rec.tobytes()


def test_decompressed_hash_is_checked(tmp_path):
    good = _fake_batch(4, 0)
    mirror = tmp_path / "mirror"
    (mirror / "cifar10/cifar-10-batches-bin").mkdir(parents=True)
    xz = mirror / "cifar10/cifar-10-batches-bin/test_batch.bin.xz"
    xz.write_bytes(lzma.compress(good))
    member = CIFAR10_MEMBERS["test_batch"].with_(
        sha256=hashlib.sha256(good).hexdigest(), size=len(good),
        mirror_copies=(MirrorCopy("cifar10/cifar-10-batches-bin/test_batch.bin.xz", "xz",
                                  hashlib.sha256(xz.read_bytes()).hexdigest()),))
    x, y = cifar10.load_batch("test_batch", tmp_path / "raw", mirror, "none",
                              members={"test_batch": member})
    assert x.shape == (4, 1024, 3) and y.tolist() == [0, 1, 2, 3]
    # the .xz is intact but holds other content: the decompressed sha256 catches it
    bad = member.with_(mirror_copies=(MirrorCopy(member.mirror_copies[0].path, "xz", None),),
                       sha256="0" * 64)
    with pytest.raises(DataError, match="test_batch.bin.*expected 0000"):
        cifar10.load_batch("test_batch", tmp_path / "raw", mirror, "none",
                           members={"test_batch": bad})
    # the .xz file's own sha256 is checked too
    wrong_xz = member.with_(mirror_copies=(MirrorCopy(member.mirror_copies[0].path, "xz",
                                                      "f" * 64),))
    with pytest.raises(DataError, match="test_batch.bin.xz"):
        cifar10.load_batch("test_batch", tmp_path / "raw", mirror, "none",
                           members={"test_batch": wrong_xz})


def test_archive_route_extracts_and_verifies_members(tmp_path):
    batches = {"data_batch_1": _fake_batch(3, 1), "test_batch": _fake_batch(2, 2)}
    archive = tmp_path / "cifar-10-binary.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, blob in list(batches.items()) + [("readme.html", b"<html/>")]:
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}"
                                   + (".bin" if name != "readme.html" else ""))
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    blob = archive.read_bytes()
    src = Source("cifar-10-binary.tar.gz", (archive.as_uri(),), hashlib.sha256(blob).hexdigest(),
                 len(blob), "cifar10/cifar-10-binary.tar.gz")
    members = {n: CIFAR10_MEMBERS[n].with_(archive=src, sha256=hashlib.sha256(b).hexdigest(),
                                           size=len(b), mirror_copies=())
               for n, b in batches.items()}
    raw = tmp_path / "raw"
    x, _ = cifar10.load_batch("test_batch", raw, None, "none", members=members)
    assert x.shape == (2, 1024, 3)
    # the archive was downloaded (file:// URL), and only the needed members were extracted
    assert (raw / "cifar10/cifar-10-binary.tar.gz").is_file()
    assert sorted(p.name for p in (raw / "cifar10/cifar-10-batches-bin").iterdir()) == \
        ["data_batch_1.bin", "test_batch.bin"]
    x1, _ = cifar10.load_batch("data_batch_1", raw, None, "none", members=members)
    assert x1.shape == (3, 1024, 3)
    # a member whose content differs from its registered hash is refused during extraction
    raw2 = tmp_path / "raw2"
    bad = dict(members, test_batch=members["test_batch"].with_(sha256="1" * 64))
    with pytest.raises(DataError, match="test_batch.bin.*expected 1111"):
        cifar10.load_batch("test_batch", raw2, None, "none", members=bad)
    assert not (raw2 / "cifar10/cifar-10-batches-bin/test_batch.bin").exists()


def test_member_without_any_copy_or_archive(tmp_path):
    m = Member("x.bin", "0" * 64, None, None, None, "cifar10/x.bin")
    with pytest.raises(DataError, match="AUXBENCH_DATA_MIRROR"):
        data.download.member_path(m, tmp_path, None, "none")


@pytest.mark.slow
def test_full_prepare(shared_data, tmp_path):
    path = data.prepare({"name": "cifar10"}, tmp_path, mirror=shared_data, progress="none")
    ds = data.load_prepared(path)
    assert ds.train_x.shape == (50000, 1024, 3) and ds.test_x.shape == (10000, 1024, 3)
    assert np.bincount(ds.train_y, minlength=10).tolist() == [5000] * 10
    assert np.bincount(ds.train_y[:10000], minlength=10).tolist() == \
        [1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981]
    assert ds.manifest["class_names"][3] == "cat"
    assert len(ds.manifest["sources"]) == 6
    data.verify_prepared(path)
