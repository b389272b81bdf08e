"""Stanford Dogs loader on a tiny images.tar / lists.tar in the official layout."""

from __future__ import annotations

import hashlib
import io
import tarfile

import numpy as np
import pytest
import scipy.io
from PIL import Image

from auxbench import data
from auxbench.data import stanford_dogs
from auxbench.data.sources import DOGS_SOURCES
from auxbench.errors import DataError

pytestmark = pytest.mark.usefixtures("no_mirror_env")

BREEDS = ["n02085620-Chihuahua", "n02085782-Japanese_spaniel", "n02085936-Maltese_dog"]
COLOURS = [(220, 30, 40), (30, 200, 50), (40, 60, 210)]


def jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def quadrants(w=40, h=30) -> Image.Image:
    """Top-left red, top-right green, bottom-left blue, bottom-right white."""
    a = np.zeros((h, w, 3), np.uint8)
    a[: h // 2, : w // 2] = (255, 0, 0)
    a[: h // 2, w // 2:] = (0, 255, 0)
    a[h // 2:, : w // 2] = (0, 0, 255)
    a[h // 2:, w // 2:] = (255, 255, 255)
    return Image.fromarray(a)


def cell(files):
    out = np.empty((len(files), 1), dtype=object)
    for i, f in enumerate(files):
        out[i, 0] = f
    return out


def mat_bytes(files, labels) -> bytes:
    buf = io.BytesIO()
    scipy.io.savemat(buf, {"file_list": cell(files),
                           "annotation_list": cell([f[:-4] for f in files]),
                           "labels": np.asarray(labels, dtype=np.uint8).reshape(-1, 1)})
    return buf.getvalue()


def add(tar, name, blob):
    info = tarfile.TarInfo(name)
    info.size = len(blob)
    tar.addfile(info, io.BytesIO(blob))


@pytest.fixture
def dogs(tmp_path):
    """Per breed 3 images: 2 train, 1 test; sizes, modes (L, CMYK) vary; one unlisted extra."""
    split = {"train": ([], []), "test": ([], [])}
    mirror = tmp_path / "mirror/stanford_dogs"
    mirror.mkdir(parents=True)
    images = mirror / "images.tar"
    with tarfile.open(images, "w") as tar:
        for k, breed in enumerate(BREEDS):
            wnid = breed.split("-")[0]
            for j in range(3):
                img = Image.new("RGB", (50 + 10 * j, 40 + 7 * k), COLOURS[k])
                if (k, j) == (0, 0):
                    img = quadrants()
                elif (k, j) == (1, 2):
                    img = img.convert("CMYK")
                elif (k, j) == (2, 1):
                    img = Image.new("L", (33, 21), 128)
                rel = f"{breed}/{wnid}_{100 + j}.jpg"
                add(tar, f"Images/{rel}", jpeg(img))
                s = "test" if j == 2 else "train"
                split[s][0].append(rel)
                split[s][1].append(k + 1)
            add(tar, f"Images/{breed}/{wnid}_999.jpg", b"not listed, never decoded")
    lists_origin = tmp_path / "elsewhere/lists.tar"
    lists_origin.parent.mkdir()
    with tarfile.open(lists_origin, "w") as tar:
        add(tar, "file_list.mat", mat_bytes(split["train"][0] + split["test"][0],
                                            split["train"][1] + split["test"][1]))
        add(tar, "train_list.mat", mat_bytes(*split["train"]))
        add(tar, "test_list.mat", mat_bytes(*split["test"]))

    def sha(p):
        return hashlib.sha256(p.read_bytes()).hexdigest()

    sources = {
        "images": DOGS_SOURCES["images"].with_(sha256=sha(images), size=images.stat().st_size),
        # lists.tar arrives through the download path (file:// URL), images.tar via the mirror
        "lists": DOGS_SOURCES["lists"].with_(sha256=sha(lists_origin),
                                             size=lists_origin.stat().st_size,
                                             urls=(lists_origin.as_uri(),)),
    }
    return tmp_path / "mirror", sources, split


def test_prepare(tmp_path, dogs):
    mirror, sources, split = dogs
    root = tmp_path / "root"
    path = data.prepare({"name": "stanford_dogs", "side": 8}, root, mirror=mirror,
                        progress="none", sources=sources)
    assert path.name == "stanford_dogs-s8"
    ds = data.load_prepared(path)
    assert ds.train_x.shape == (6, 64, 3) and ds.test_x.shape == (3, 64, 3)
    assert ds.seq_len == 64 and ds.channels == 3 and ds.n_classes == 3
    assert ds.train_y.tolist() == [0, 0, 1, 1, 2, 2] and ds.test_y.tolist() == [0, 1, 2]
    assert ds.manifest["class_names"] == ["Chihuahua", "Japanese_spaniel", "Maltese_dog"]
    assert (root / "raw/stanford_dogs/lists.tar").is_file()  # downloaded
    assert not (root / "raw/stanford_dogs/images.tar").exists()  # read in place from the mirror
    # raster order, RGB: step t = 8 * row + col of the resized image
    q = ds.train_x[0].reshape(8, 8, 3).astype(int)
    for (r, c), colour in {(1, 1): (255, 0, 0), (1, 6): (0, 255, 0), (6, 1): (0, 0, 255),
                           (6, 6): (255, 255, 255)}.items():
        assert np.abs(q[r, c] - colour).max() < 40, (r, c, q[r, c])
    # solid images keep their colour (JPEG tolerance), greyscale and CMYK become RGB
    assert np.abs(ds.train_x[1].astype(int) - COLOURS[0]).max() < 20
    assert np.abs(ds.test_x[2].astype(int) - COLOURS[2]).max() < 20
    assert np.abs(ds.train_x[5].astype(int) - 128).max() < 10
    assert np.abs(ds.test_x[1].astype(int) - COLOURS[1]).max() < 30
    # the same bytes decoded independently give the same pixels
    with tarfile.open(mirror / "stanford_dogs/images.tar") as tar:
        blob = tar.extractfile(f"Images/{split['train'][0][2]}").read()
    ref = Image.open(io.BytesIO(blob)).convert("RGB").resize((8, 8), Image.BILINEAR)
    assert np.array_equal(ds.train_x[2], np.asarray(ref).reshape(64, 3))


def test_checksum_of_images_tar(tmp_path, dogs):
    mirror, sources, _ = dogs
    bad = dict(sources, images=sources["images"].with_(sha256="a" * 64))
    with pytest.raises(DataError, match=r"images\.tar.*expected sha256 a{64}"):
        data.prepare({"name": "stanford_dogs", "side": 8}, tmp_path / "r", mirror=mirror,
                     progress="none", sources=bad)


def test_missing_image(tmp_path, dogs):
    mirror, sources, split = dogs
    images = mirror / "stanford_dogs/images.tar"
    missing = split["test"][0][0]
    with tarfile.open(images) as src, tarfile.open(tmp_path / "cut.tar", "w") as dst:
        for m in src.getmembers():
            if m.name != f"Images/{missing}":
                dst.addfile(m, src.extractfile(m))
    images.write_bytes((tmp_path / "cut.tar").read_bytes())
    cut = dict(sources, images=sources["images"].with_(
        sha256=hashlib.sha256(images.read_bytes()).hexdigest(), size=images.stat().st_size))
    with pytest.raises(DataError, match=f"lacks 1 listed image.*{missing}"):
        data.prepare({"name": "stanford_dogs", "side": 8}, tmp_path / "r", mirror=mirror,
                     progress="none", sources=cut)


def test_read_lists_roundtrip(dogs):
    _mirror, sources, split = dogs
    lists = stanford_dogs.read_lists(sources["lists"].urls[0].replace("file://", ""))
    assert lists["train"][0] == split["train"][0]
    assert lists["test"][1].tolist() == split["test"][1]
