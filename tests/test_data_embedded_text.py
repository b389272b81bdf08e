"""Embedded text: class keywords early, neutral filler, left padding."""

from __future__ import annotations

import re

import numpy as np
from test_data_embedded import build

from auxbench.data import embedded_text


def test_text_keywords_early_filler_neutral():
    a, info = build(name="embedded_text", n_train=700, n_test=140, max_len=256)
    x, y = a["train_x"][:, :, 0], a["train_y"]
    assert info["pad_token"] == 0 and info["n_classes"] == 14
    assert (x[:, -1] != 0).all()  # left-padded: the last step is always a real character
    all_kw = {w for kws in embedded_text.CLASS_KEYWORDS for w in kws}
    assert not all_kw & set(embedded_text.FILLER_WORDS)
    min_len = 128
    for row, label in zip(x, y):
        nz = np.nonzero(row)[0]
        assert (row[nz[0]:] != 0).all()  # padding only on the left
        doc = bytes(row[nz[0]:]).decode("ascii")
        assert min_len - 10 <= len(doc) <= 256
        opening, _, rest = doc.partition(".")
        words = re.findall(r"[a-z]+", opening.lower())
        assert len(set(words) & set(embedded_text.CLASS_KEYWORDS[label])) == 2
        assert not set(words[:3]) & all_kw  # the title is class-neutral
        assert len(opening) < 70
        assert not set(re.findall(r"[a-z]+", rest.lower())) & all_kw
    counts = np.bincount(y, minlength=14)
    assert counts.min() == 50 and counts.max() == 50
