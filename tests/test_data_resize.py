"""Area downsampling: the weights by hand, and known pixels of the real MNIST and CIFAR-10 files."""

from __future__ import annotations

import lzma

import numpy as np
import pytest
from test_data_mnist import tiny_idx

from auxbench import data
from auxbench.data import mnist
from auxbench.data.resize import area_downsample, area_weights
from auxbench.errors import ConfigError

pytestmark = pytest.mark.usefixtures("no_mirror_env")


def test_weights_by_hand():
    assert np.allclose(area_weights(4, 2), [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    # 3 -> 2: each output covers 1.5 inputs, the middle one split in halves
    assert np.allclose(area_weights(3, 2), [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]])
    assert np.allclose(area_weights(7, 7), np.eye(7))
    assert np.allclose(area_weights(32, 14).sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="1..3"):
        area_weights(3, 4)


def test_downsample_by_hand():
    img = np.array([[0, 30, 90], [60, 90, 150], [120, 150, 210]], np.uint8)[None, :, :, None]
    out = area_downsample(img, 2)[0, :, :, 0]
    # top-left: (4*0 + 2*30 + 2*60 + 90) / 9 = 30; bottom-right: (90 + 2*150 + 2*150 + 4*210) / 9
    assert out.tolist() == [[30, 90], [110, 170]]
    halves = np.array([[1, 2], [2, 2]], np.uint8)[None, :, :, None]  # mean 1.75 -> 2
    assert area_downsample(halves, 1).item() == 2
    assert area_downsample(np.full((2, 28, 28, 3), 77, np.uint8), 9).min() == 77
    same = np.arange(16, dtype=np.uint8).reshape(1, 4, 4, 1)
    assert area_downsample(same, 4) is same


def test_keys_shapes_and_bounds():
    assert data.dataset_key({"name": "mnist"}) == "mnist"  # the paper's size keeps its key
    assert data.dataset_key({"name": "mnist", "side": 14}) == "mnist-s14"
    assert data.dataset_key({"name": "pmnist", "side": 14}) == "pmnist-s14"
    assert data.dataset_key({"name": "pmnist", "permutation_seed": 1, "side": 14}) == "pmnist-p1-s14"
    assert data.dataset_key({"name": "cifar10", "side": 16}) == "cifar10-s16"
    assert data.sequence_shape({"name": "mnist", "side": 14}) == (196, 1)
    assert data.sequence_shape({"name": "cifar10", "side": 16}) == (256, 3)
    assert data.sequence_shape({"name": "cifar10"}) == (1024, 3)
    with pytest.raises(ConfigError, match=r"dataset.side = 29 .*4..28"):
        data.validate_spec({"name": "mnist", "side": 29})


@pytest.fixture(scope="module")
def mnist14(shared_data, tmp_path_factory):
    if not (shared_data / "mnist").is_dir():
        pytest.skip(f"{shared_data}/mnist is not there")
    root = tmp_path_factory.mktemp("mnist14")
    return [data.load_prepared(data.prepare({"name": name, "side": 14}, root,
                                            mirror=shared_data, progress="none"))
            for name in ("mnist", "pmnist")]


def test_mnist_known_pixels(mnist14, shared_data):
    ds, _ = mnist14
    assert ds.train_x.shape == (60000, 196, 1) and ds.test_x.shape == (10000, 196, 1)
    first = tiny_idx(shared_data / "mnist/train-images-idx3-ubyte.gz", 0).reshape(28, 28)
    image = ds.train_x[0, :, 0].reshape(14, 14)
    # raw rows 8-9, columns 8-9 of the first training image: 219 253 / 80 156, mean 177
    assert image[4, 4] == 177
    # rows 10-11, columns 12-13: 253 90 / 253 190, mean 196.5, rounded half up
    assert image[5, 6] == 197
    blocks = first.reshape(14, 2, 14, 2).astype(float).mean(axis=(1, 3))  # a second algorithm
    assert np.array_equal(image, np.floor(blocks + 0.5))
    assert ds.manifest["side"] == 14 and "28x28 image to 14x14" in ds.manifest["resize"]
    assert ds.train_y[:5].tolist() == [5, 0, 4, 1, 9]


def test_pmnist_permutes_the_reduced_image(mnist14):
    ds, pds = mnist14
    perm = mnist.permutation(92916, 196)
    assert np.array_equal(perm, np.random.RandomState(92916).permutation(196))
    assert np.array_equal(pds.extras["permutation"], perm)
    assert pds.manifest["permutation_recipe"] == "numpy.random.RandomState(92916).permutation(196)"
    assert pds.manifest["permutation_sha256"] == mnist.permutation_sha256(perm)
    assert np.array_equal(pds.train_x[:300], ds.train_x[:300][:, perm])
    assert np.array_equal(pds.test_x[-300:], ds.test_x[-300:][:, perm])


@pytest.mark.slow
def test_cifar10_known_pixels(shared_data, tmp_path):
    if not (shared_data / "cifar10/cifar-10-batches-bin").is_dir():
        pytest.skip(f"{shared_data}/cifar10/cifar-10-batches-bin is not there")
    ds = data.load_prepared(data.prepare({"name": "cifar10", "side": 16}, tmp_path,
                                         mirror=shared_data, progress="none"))
    assert ds.train_x.shape == (50000, 256, 3) and ds.test_x.shape == (10000, 256, 3)
    with lzma.open(shared_data / "cifar10/cifar-10-batches-bin/test_batch.bin.xz") as fh:
        planes = np.frombuffer(fh.read(3073)[1:], dtype=np.uint8).reshape(3, 32, 32)
    # the first test image (a cat), rows 0-1 and columns 0-1: R 158 159 152 151 (mean 155),
    # G 112 111 112 110 (111.25), B 49 47 51 40 (46.75)
    assert ds.test_x[0, 0].tolist() == [155, 111, 47]
    # rows 10-11, columns 20-21: means 175.5, 166.25, 156.25 -> output row 5, column 10
    assert ds.test_x[0, 16 * 5 + 10].tolist() == [176, 166, 156]
    blocks = planes.reshape(3, 16, 2, 16, 2).astype(float).mean(axis=(2, 4))
    assert np.array_equal(ds.test_x[0].T.reshape(3, 16, 16), np.floor(blocks + 0.5))
    assert ds.manifest["side"] == 16 and ds.test_y[0] == 3
