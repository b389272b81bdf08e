"""Embedded text dataset: class keywords early in a long class-free filler (see
:mod:`auxbench.data.embedded` for why).

``embedded_text``: documents of ASCII bytes. Each starts with a class-neutral pseudo-word
title and an opening sentence holding two distinct keywords of its class (4 per class, modelled
on DBpedia's 14 categories), e.g. ``"Varomel is a notable company with subsidiary."``, followed by
class-neutral filler sentences drawn from a fixed word list shared by all classes (disjoint from
every keyword) up to a length drawn uniformly in ``[min_len, max_len]``; then left-padded with byte
0 to ``max_len`` like DBpedia. The evidence is thus in the first ~60 bytes of each document and at
least ``min_len - 60`` filler bytes follow it. Stands in for character-level DBpedia.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .dbpedia import encode
from .embedded import TEXT_STREAM, balanced_labels, generator_record, split_rng
from .progress import Progress
from .sources import DBPEDIA_CLASSES

CLASS_KEYWORDS = (
    ("company", "corporation", "headquartered", "subsidiary"),
    ("school", "university", "college", "campus"),
    ("singer", "painter", "songwriter", "guitarist"),
    ("footballer", "striker", "olympic", "midfielder"),
    ("politician", "senator", "minister", "elected"),
    ("locomotive", "aircraft", "warship", "frigate"),
    ("cathedral", "skyscraper", "mansion", "chapel"),
    ("river", "mountain", "glacier", "tributary"),
    ("village", "hamlet", "municipality", "commune"),
    ("species", "mammal", "beetle", "gastropod"),
    ("flowering", "shrub", "orchid", "perennial"),
    ("album", "studio", "tracklist", "recorded"),
    ("film", "directed", "screenplay", "starring"),
    ("novel", "author", "published", "paperback"),
)
OPENING_ADJECTIVES = ("notable", "small", "large", "former", "famous", "local", "modern", "old")
OPENING_LINKS = ("and", "with", "near the", "of the", "by a")
FILLER_WORDS = (
    "the", "of", "and", "in", "a", "is", "was", "by", "on", "with", "as", "for", "from", "at",
    "which", "its", "also", "known", "first", "new", "one", "two", "three", "other", "after",
    "during", "between", "later", "name", "part", "area", "several", "many", "early", "years",
    "time", "since", "north", "south", "east", "west", "main", "century", "period", "number",
    "group", "based", "called", "used", "including", "became", "made", "second", "well", "near",
    "held", "around", "under", "their", "this", "that", "these", "has", "have", "been", "were",
    "some", "more", "most", "only", "about", "each", "into", "over", "such", "both", "today",
    "often", "long", "high", "same", "list", "work", "place", "along", "among", "according",
)
_SYLLABLES = ("ba", "ko", "ri", "ta", "mel", "va", "ro", "dun", "shi", "pe", "lor", "an", "ki",
              "zu", "mo", "fen", "tra", "gil", "no", "se", "dar", "wi", "xe", "lu")


def _title(rng: np.random.Generator) -> str:
    words = []
    for _ in range(int(rng.integers(1, 3))):
        sy = rng.integers(0, len(_SYLLABLES), size=int(rng.integers(2, 4)))
        words.append("".join(_SYLLABLES[i] for i in sy).capitalize())
    return " ".join(words)


def make_document(rng: np.random.Generator, label: int, length: int) -> str:
    """One document of at most ``length`` bytes: title, class opening, neutral filler."""
    kw = CLASS_KEYWORDS[label]
    a, b = rng.choice(len(kw), size=2, replace=False)
    adj = OPENING_ADJECTIVES[int(rng.integers(len(OPENING_ADJECTIVES)))]
    link = OPENING_LINKS[int(rng.integers(len(OPENING_LINKS)))]
    doc = f"{_title(rng)} is a {adj} {kw[a]} {link} {kw[b]}."
    if len(doc) > length:
        return doc  # the caller's minimum length guarantees room; kept whole (evidence first)
    words = rng.integers(0, len(FILLER_WORDS), size=length // 2 + 8)
    sentence_left = int(rng.integers(5, 13))
    parts = [doc]
    size = len(doc)
    start = True
    for wi in words:
        word = FILLER_WORDS[wi]
        if start:
            word = word.capitalize()
        piece = " " + word
        sentence_left -= 1
        end = sentence_left == 0
        if end:
            piece += "."
        if size + len(piece) + (0 if end else 1) > length:
            break
        parts.append(piece)
        size += len(piece)
        start = end
        if end:
            sentence_left = int(rng.integers(5, 13))
    text = "".join(parts)
    if not text.endswith("."):
        text += "."
    return text


def build(spec: dict, progress: Any = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and manifest info of one validated ``embedded_text`` spec."""
    n_classes, max_len = spec["n_classes"], spec["max_len"]
    min_len = spec["min_len"] if spec["min_len"] is not None else max_len // 2
    arrays: dict[str, np.ndarray] = {}
    stats = {}
    for split in ("train", "test"):
        n = spec[f"n_{split}"]
        rng = split_rng(spec["seed"], split, TEXT_STREAM)
        y = balanced_labels(rng, n, n_classes)
        lengths = rng.integers(min_len, max_len + 1, size=n)
        with Progress(n, f"generate embedded_text {split}",
                      progress if n > 20_000 else "none", unit="doc") as bar:
            docs = []
            for label, length in zip(y.tolist(), lengths.tolist()):
                docs.append(make_document(rng, label, length).encode("ascii"))
                bar.update()
        x, truncated = encode(docs, max_len)
        arrays[f"{split}_x"], arrays[f"{split}_y"] = x, y
        lens = np.array([len(d) for d in docs])
        stats[split] = {"documents": n, "truncated": truncated,
                        "length_bytes": {"min": int(lens.min(initial=0)),
                                         "max": int(lens.max(initial=0)),
                                         "mean": float(lens.mean()) if n else 0.0}}
    info = {
        "n_classes": n_classes, "pad_token": 0, "class_names": list(DBPEDIA_CLASSES[:n_classes]),
        "sources": [],
        "generator": generator_record("embedded_text", __name__),
        "text": {"recipe": "title + class opening (2 keywords) + neutral filler, ASCII, "
                           "left-padded with 0", "max_len": max_len, "min_len": min_len,
                 "truncated": {s: stats[s]["truncated"] for s in stats}, "stats": stats},
        "truncated": {s: stats[s]["truncated"] for s in stats},
        "evidence": {"note": "class keywords lie in the opening sentence of each document "
                             "(its first ~60 bytes); the rest is class-independent filler"},
    }
    return arrays, info
