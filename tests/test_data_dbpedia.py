"""DBpedia loader on small CSV files written in the real format, through the checksum path."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import tarfile

import numpy as np
import pytest

from auxbench import data
from auxbench.data import dbpedia
from auxbench.data.sources import DBPEDIA_ARCHIVE, DBPEDIA_MEMBERS
from auxbench.errors import DataError

pytestmark = pytest.mark.usefixtures("no_mirror_env")

TRAIN_ROWS = [
    (1, "TY KU", (' TY KU /taɪkuː/ is an American alcoholic beverage company that specializes '
                 'in sake and other spirits.')),
    (3, 'Bob "the Brush" Ross', (' Robert Norman Ross was an American painter, art '
                                'instructor, and television host, "quoted", with commas.')),
    (9, "Zürich-Höngg", " A village\nwith a newline inside the quoted field."),
    (14, "Short", " x"),
] + [(k, f"Title {k}", f" Content for class {k}.") for k in range(1, 15)]
TEST_ROWS = [(2, "École", " Une école 🎓 with emoji and accents " + "é" * 40),
             (13, "Film", ' A "film".')]


def write_csv(rows) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    for label, title, content in rows:
        w.writerow([label, title, content])
    text = buf.getvalue()
    assert '""' in text or all('"' not in t + c for _, t, c in rows)  # quotes doubled
    return text.encode("utf-8")


def expected_doc(title, content, max_len):
    b = f"{title.strip()} {content.strip()}".encode()
    return b[:max_len]


@pytest.fixture
def tgz_sources(tmp_path):
    train, test = write_csv(TRAIN_ROWS), write_csv(TEST_ROWS)
    assert train.startswith(b'1,"TY KU"," TY KU /ta')
    archive = tmp_path / "mirror/dbpedia_csv.tgz"
    archive.parent.mkdir(parents=True)
    with tarfile.open(archive, "w:gz") as tar:
        for name, blob in (("classes.txt", b"Company\n"), ("train.csv", train),
                           ("test.csv", test), ("readme.txt", b"readme")):
            info = tarfile.TarInfo(f"dbpedia_csv/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    blob = archive.read_bytes()
    src = DBPEDIA_ARCHIVE.with_(sha256=hashlib.sha256(blob).hexdigest(), size=len(blob),
                                urls=())
    members = {
        "train": DBPEDIA_MEMBERS["train"].with_(archive=src, size=len(train),
                                                sha256=hashlib.sha256(train).hexdigest()),
        "test": DBPEDIA_MEMBERS["test"].with_(archive=src, size=len(test),
                                              sha256=hashlib.sha256(test).hexdigest()),
    }
    return tmp_path / "mirror", members, train, test


def test_prepare_from_archive(tmp_path, tgz_sources):
    mirror, members, _, _ = tgz_sources
    root = tmp_path / "root"
    path = data.prepare({"name": "dbpedia", "max_len": 64}, root, mirror=mirror,
                        progress="none", sources=members)
    assert path.name == "dbpedia-l64"
    ds = data.load_prepared(path)
    assert ds.train_x.shape == (len(TRAIN_ROWS), 64, 1) and ds.test_x.shape == (2, 64, 1)
    assert ds.pad_token == 0 and ds.n_classes == 14 and ds.manifest["vocab_size"] == 256
    assert ds.train_y.tolist() == [r[0] - 1 for r in TRAIN_ROWS]
    assert ds.manifest["class_names"][0] == "Company"
    for split, rows in (("train", TRAIN_ROWS), ("test", TEST_ROWS)):
        x = getattr(ds, f"{split}_x")[:, :, 0]
        for i, (_, title, content) in enumerate(rows):
            want = expected_doc(title, content, 64)
            assert bytes(x[i, 64 - len(want):]) == want  # right-aligned: last step = last char
            assert not x[i, : 64 - len(want)].any()  # left padding with byte 0
    long_train = sum(len(expected_doc(t, c, 10**6)) > 64 for _, t, c in TRAIN_ROWS)
    assert long_train == 2
    assert ds.manifest["truncated"] == {"train": long_train, "test": 1}
    # "Bob \"the Brush\" Ross": doubled quotes decoded, one space between title and content
    assert bytes(ds.train_x[1, -64:, 0]).lstrip(b"\0").startswith(b'Bob "the Brush" Ross Robert')
    # the archive was verified and only the two CSV members extracted
    raw = sorted(p.name for p in (root / "raw/dbpedia_csv").iterdir())
    assert raw == ["test.csv", "train.csv"]
    assert {s["sha256"] for s in ds.manifest["sources"]} == {m.sha256 for m in members.values()}


def test_max_len_none_pads_to_longest(tmp_path, tgz_sources):
    mirror, members, _, _ = tgz_sources
    path = data.prepare({"name": "dbpedia", "max_len": None}, tmp_path / "r", mirror=mirror,
                        progress="none", sources=members)
    ds = data.load_prepared(path)
    longest = max(len(expected_doc(t, c, 10**6)) for _, t, c in TRAIN_ROWS + TEST_ROWS)
    assert ds.seq_len == longest and path.name == "dbpedia-lmax"
    assert ds.manifest["truncated"] == {"train": 0, "test": 0}


def test_plain_csv_mirror_and_checksum(tmp_path, tgz_sources):
    _, members, train, test = tgz_sources
    mirror = tmp_path / "plain"
    (mirror / "dbpedia_csv").mkdir(parents=True)
    (mirror / "dbpedia_csv/train.csv").write_bytes(train)
    (mirror / "dbpedia_csv/test.csv").write_bytes(test)
    path = data.prepare({"name": "dbpedia", "max_len": 128}, tmp_path / "r", mirror=mirror,
                        progress="none", sources=members)
    assert data.load_prepared(path).train_x.shape == (len(TRAIN_ROWS), 128, 1)
    # a changed byte in the CSV is caught by its SHA-256, with the file and hash in the message
    (mirror / "dbpedia_csv/train.csv").write_bytes(train.replace(b"sake", b"saki"))
    with pytest.raises(DataError, match=f"train.csv.*expected {members['train'].sha256}"):
        data.prepare({"name": "dbpedia", "max_len": 100}, tmp_path / "r", mirror=mirror,
                     progress="none", sources=members)
    assert not (tmp_path / "r/prepared/dbpedia-l100/manifest.json").exists()


def test_parser_rejects_malformed_rows():
    with pytest.raises(DataError, match="row 1: 2 fields"):
        dbpedia.parse_csv(io.StringIO('1,"only title"\n'), "x.csv")
    with pytest.raises(DataError, match="label 15 outside 1..14"):
        dbpedia.parse_csv(io.StringIO('15,"a","b"\n'), "x.csv")
    with pytest.raises(DataError, match="not an integer"):
        dbpedia.parse_csv(io.StringIO('one,"a","b"\n'), "x.csv")


def test_real_staged_subset_parses(shared_data):
    path = shared_data / "dbpedia_csv/test_subset_first641rows_reconstructed.csv.gz"
    if not path.is_file():
        pytest.skip(f"{path} not staged")
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        docs, labels, nul = dbpedia.parse_csv(fh, path.name)
    assert len(docs) == 641 and set(labels.tolist()) == {0} and nul == 0
    assert docs[0].startswith("TY KU TY KU /taɪkuː/ is an American alcoholic".encode())
    x, truncated = dbpedia.encode(docs, 1024)
    assert x.shape == (641, 1024, 1) and x[:, -1, 0].all()
    assert truncated == sum(len(d) > 1024 for d in docs)
    assert np.array_equal(x[0, 1024 - len(docs[0]):, 0], np.frombuffer(docs[0], np.uint8))
    classes = (shared_data / "dbpedia_csv/classes.txt").read_text().split()
    assert tuple(classes) == dbpedia.DBPEDIA_CLASSES
