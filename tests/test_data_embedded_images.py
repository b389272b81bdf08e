"""Embedded image datasets: where the evidence lies, the permutation, fonts, ink and levels."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2_contingency
from test_data_embedded import build

from auxbench import data
from auxbench.data import embedded_images


def nearest_centroid_accuracy(x_train, y_train, x_test, y_test, k):
    xt = x_train.reshape(len(x_train), -1).astype(np.float32)
    xe = x_test.reshape(len(x_test), -1).astype(np.float32)
    cent = np.stack([xt[y_train == c].mean(0) for c in range(k)])
    d = ((xe[:, None, :] - cent[None]) ** 2).sum(-1)
    return float((d.argmin(1) == y_test).mean())


def independent_of_class(values, labels, bins=8):
    """Chi-square test of independence between binned values and the class."""
    edges = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
    b = np.digitize(values, np.unique(edges))
    table = np.zeros((labels.max() + 1, b.max() + 1))
    np.add.at(table, (labels, b), 1)
    table = table[:, table.sum(0) > 0]
    return chi2_contingency(table).pvalue


def test_grey_evidence_is_early_and_background_is_class_free():
    side, tail = 16, 64
    a, info = build(name="embedded_mnist", side=side, tail=tail, n_train=3000, n_test=1000)
    x, y = a["train_x"][:, :, 0], a["train_y"]
    ev = info["evidence"]["evidence_steps"]
    assert ev == 8 * 16 and x.shape[1] == side * side + tail
    assert info["evidence"]["background_steps_after_evidence"] == side * side - ev + tail
    # every image has glyph ink (>= 170 minus noise) in the evidence steps, none afterwards
    assert (x[:, :ev] >= 150).any(axis=1).all()
    assert x[:, ev:].max() < 150
    # the tail and the lower image are distributed identically for every class
    for part in (x[:, side * side:], x[:, ev:side * side]):
        assert independent_of_class(part.mean(1), y) > 1e-3
        assert independent_of_class(part[:, -1].astype(float), y) > 1e-3
    # the evidence is learnable from the early steps and absent from the late ones
    xt, yt = a["test_x"][:, :, 0], a["test_y"]
    early = nearest_centroid_accuracy(x[:, :ev], y, xt[:, :ev], yt, 10)
    late = nearest_centroid_accuracy(x[:, ev:], y, xt[:, ev:], yt, 10)
    assert early > 0.3 and late < 0.15, (early, late)  # chance = 0.1


def test_colour_evidence_and_background():
    a, info = build(name="embedded_cifar", n_train=2000, n_test=500)
    x, y = a["train_x"].astype(int), a["train_y"]
    ev = info["evidence"]["evidence_steps"]
    assert ev == 16 * 32
    # the colour family is a class cue: red classes 0-4 have red ink, blue classes 5-9 blue ink
    top = x[:, :ev]
    strongest = top.max(axis=1)  # [N, 3]
    assert (strongest[y < 5, 0] > 160).all() and (strongest[y >= 5, 2] > 160).all()
    # background after the evidence: the same distribution for every class, per channel
    for ch in range(3):
        assert independent_of_class(x[:, ev:, ch].mean(1), y) > 1e-3
    assert info["class_names"][:2] == ["red-0", "red-1"] and info["class_names"][5] == "blue-0"


def test_pmnist_is_a_permutation_of_mnist_and_keeps_the_tail():
    kw = {"n_train": 50, "n_test": 20, "tail": 40, "seed": 3}
    plain, _ = build(name="embedded_mnist", **kw)
    perm_a, info = build(name="embedded_pmnist", **kw)
    perm = perm_a["permutation"]
    assert np.array_equal(perm, np.random.RandomState(92916).permutation(256))
    assert info["permutation_sha256"] == data.mnist.permutation_sha256(perm)
    for s in ("train", "test"):
        assert np.array_equal(perm_a[f"{s}_x"][:, :256], plain[f"{s}_x"][:, perm])
        assert np.array_equal(perm_a[f"{s}_x"][:, 256:], plain[f"{s}_x"][:, 256:])
        assert np.array_equal(perm_a[f"{s}_y"], plain[f"{s}_y"])
    other, _ = build(name="embedded_pmnist", permutation_seed=1, **kw)
    assert not np.array_equal(other["permutation"], perm)


def test_dots_font_draws_fixed_random_patterns_per_class():
    base = {"name": "embedded_mnist", "side": 14, "region": 0.58, "noise": 0.0,
            "n_train": 200, "n_test": 10}
    digits = build(**base)[0]
    dots = build(**base, font="dots")[0]
    assert dots["train_y"].tolist() == digits["train_y"].tolist()  # same labels and placements
    assert not np.array_equal(dots["train_x"], digits["train_x"])
    assert np.array_equal(dots["train_x"], build(**base, font="dots")[0]["train_x"])
    assert embedded_images.DOTS.shape == embedded_images.FONT.shape
    assert len({p.tobytes() for p in embedded_images.DOTS}) == len(embedded_images.DOTS)  # all distinct


def test_ink_min_sets_the_range_of_the_grey_ink():
    base = {"name": "embedded_mnist", "side": 10, "region": 1.0, "noise": 0.0,
            "n_train": 300, "n_test": 10}
    varied = build(**base)[0]["train_x"]
    constant = build(**base, ink_min=255)[0]["train_x"]
    assert set(np.unique(constant).tolist()) == {0, 255}
    assert np.unique(varied).size > 50 and varied[varied > 0].min() >= 170
    assert np.array_equal(constant > 0, varied > 0)  # same glyphs, same places


def test_levels_rounds_every_channel_to_evenly_spaced_values():
    base = {"name": "embedded_cifar", "side": 8, "region": 1.0, "noise": 0.0, "tail": 5,
            "n_train": 200, "n_test": 10}
    full = build(**base)[0]
    four = build(**base, levels=4)[0]
    assert set(np.unique(four["train_x"]).tolist()) <= {0, 85, 170, 255}
    assert np.unique(full["train_x"]).size > 100
    assert four["train_y"].tolist() == full["train_y"].tolist()
    # each value moves to its nearest level: never more than half a step
    diff = np.abs(four["train_x"].astype(int) - full["train_x"].astype(int))
    assert diff.max() <= 43
    # the background (here the tail) stays dark, the glyph's own colour family bright
    assert (four["train_x"][:, -5:] <= 85).all()
    bright = full["train_x"] >= 180  # family channels of glyph pixels (170..255 before)
    assert bright.any() and (four["train_x"][bright] >= 170).all()
