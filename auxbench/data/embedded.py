"""Embedded datasets: generated deterministically from a seed, no download, same cache format.

They stand in for the paper's datasets in the default 30-minute CPU run. What they keep of the
paper's task is the *structure*: a sequence read pixel by pixel (or byte by byte) whose class
evidence sits in a short stretch **early** in the sequence, followed by a **long stretch of
class-independent background**. A classifier whose supervised gradient only reaches the last K
steps (truncated BPTT, ``tK``) gets no gradient signal telling it to store that evidence, and so
cannot solve the task once K is shorter than the background stretch; a model that learns to
remember (full BPTT, or an auxiliary loss that reconstructs/predicts over the early part) can.

Images (``embedded_mnist``, ``embedded_pmnist``, ``embedded_cifar``, ``embedded_dogs``):

- a ``side x side`` canvas of background: greyscale = 0 plus Gaussian noise of standard deviation
  ``noise * 255`` (clipped to 0..255); colour = a random dark colour per image (each channel
  uniform in 0..90, drawn independently of the class) plus the same noise per channel;
- one glyph from a 5x7 dot-matrix font defined below (digits 0-9, then letters A-Z), scaled by a
  random integer factor (from half the largest factor that fits up to that factor), with a random
  1-pixel horizontal stroke thickening (p = 0.5), at a random position inside the **top region**
  (the first ``floor(region * side)`` rows; default half the image); glyph pixels get the glyph's
  ink (greyscale: uniform ``ink_min``..255, default 170; colour: see below) plus the same noise;
- ``font``: ``digits`` (default) draws the 5x7 strokes below; ``dots`` draws, per glyph, a fixed
  random 5x7 dot pattern (half the cells inked), which a reconstruction loss can only predict by
  remembering the glyph, where strokes are largely predictable from the previous pixel;
- ``levels``: the colour depth: every value (canvas, glyph and tail, each channel) is rounded to
  the nearest of ``levels`` evenly spaced values in 0..255, themselves rounded to integers
  (``round(k * 255 / (levels - 1))``; default 256: to integers); a few
  levels make each colour a token the embedding sees often, as constant ink does for greyscale;
- the image is read in raster order (row by row), then ``tail`` extra background steps (the same
  class-independent background process, no glyph) are appended: ``T = side² + tail``.

So every step after ``floor(region * side) * side`` carries no class information: its
distribution is the same for every class (the tests check this). Default ``embedded_mnist``
(side 16, region 0.5, tail 0): the evidence lies in steps 0..127 of 256, followed by >= 128 steps
of background; ``tail`` stretches the background to any length.

- ``embedded_mnist``: greyscale digit glyphs 0-9, 10 classes. Stands in for pixel MNIST.
- ``embedded_pmnist``: the same images with one fixed permutation of the ``side²`` image
  positions, ``RandomState(permutation_seed).permutation(side²)`` (a property of the dataset,
  stored as ``permutation.npy`` with its SHA-256 in the manifest); the tail is *not* permuted and
  stays at the end. As in pMNIST, the permutation spreads the evidence over the whole image part,
  so dependencies span the image rather than its top rows. Stands in for pMNIST.
- ``embedded_cifar``: colour (3 channels per step), 10 classes = 5 glyph shapes (digits 0-4) x 2
  colour families (red, blue): class ``k`` has shape ``k % 5`` and family ``k // 5``; a glyph's
  colour has its family's channels uniform in 180..255 and the others in 0..70, on the random dark
  background. Solving it needs both the shape and the colour. Stands in for sequential CIFAR-10
  (RGB, one step per pixel, 1024 steps at side 32).
- ``embedded_dogs``: the colour kind at any ``side`` up to 128 (T up to 16,384) and
  ``n_classes`` classes (default 10, at most 120): ``n_families = clip(ceil(n_classes / 20), 2, 6)``
  colour families (red, blue, green, yellow, magenta, cyan) x ``ceil(n_classes / n_families)``
  shapes. Stands in for Stanford Dogs at growing resolutions (Figure 3).

Text (``embedded_text``): documents of ASCII bytes. Each starts with a class-neutral pseudo-word
title and an opening sentence holding two distinct keywords of its class (4 per class, modelled
on DBpedia's 14 categories), e.g. ``"Varomel is a notable company with subsidiary."``, followed by
class-neutral filler sentences drawn from a fixed word list shared by all classes (disjoint from
every keyword) up to a length drawn uniformly in ``[min_len, max_len]``; then left-padded with byte
0 to ``max_len`` like DBpedia. The evidence is thus in the first ~60 bytes of each document and at
least ``min_len - 60`` filler bytes follow it. Stands in for character-level DBpedia.

Labels are exactly balanced (counts differ by at most one). Train and test come from independent
random streams of ``SeedSequence([seed, split, kind])``: changing ``n_test`` does not change the
training set. Generation is vectorised numpy, in chunks (10,000 images of 16x16 take well under a
second; 2,000 colour images of 128x128 a few seconds).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .mnist import permutation_sha256
from .progress import Progress
from .sources import DBPEDIA_CLASSES

GENERATOR_VERSION = 1

# ---------------------------------------------------------------------------------- the font
_FONT_ROWS = {
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
    "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####",
    "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
    "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.",
    "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.",
    "9": ".###. #...# #...# .#### ....# ...#. .##..",
    "A": ".###. #...# #...# ##### #...# #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "###.. #..#. #...# #...# #...# #..#. ###..",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
}
GLYPH_CHARS = tuple(_FONT_ROWS)
GLYPH_H, GLYPH_W = 7, 5
FONT = np.array([[[c == "#" for c in row] for row in rows.split()]
                 for rows in _FONT_ROWS.values()], dtype=bool)  # [36, 7, 5]

# The "dots" font: per glyph a fixed random 7x5 pattern (half the cells inked). Unlike strokes,
# whose next pixel mostly repeats the previous one, a dot pattern can only be predicted by
# remembering which glyph it is: a reconstruction loss then rewards memory, not local smoothness.
DOTS = np.random.RandomState(20180301).rand(len(FONT), GLYPH_H, GLYPH_W) < 0.5
FONTS = {"digits": FONT, "dots": DOTS}

FAMILIES = ("red", "blue", "green", "yellow", "magenta", "cyan")
_FAMILY_MASK = np.array([[1, 0, 0], [0, 0, 1], [0, 1, 0], [1, 1, 0], [1, 0, 1], [0, 1, 1]],
                        dtype=bool)
_SPLIT_CODE = {"train": 0, "test": 1}
_KIND_CODE = {"embedded_mnist": 1, "embedded_pmnist": 1, "embedded_cifar": 2,
              "embedded_dogs": 3, "embedded_text": 4}
_CHUNK_VALUES = 1 << 22  # float32 values per chunk (16 MiB)


def _rng(seed: int, split: str, kind: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, _SPLIT_CODE[split],
                                                         _KIND_CODE[kind]]))


def balanced_labels(rng: np.random.Generator, n: int, n_classes: int) -> np.ndarray:
    """``n`` labels, each class ``n // n_classes`` or one more times, in random order."""
    return rng.permutation(np.arange(n, dtype=np.int64) % n_classes)


def _stencils(font: np.ndarray, scale: int, thick: int) -> np.ndarray:
    """All glyphs scaled by ``scale`` (nearest), optionally thickened by one pixel: [36, h, w]."""
    g = font.repeat(scale, axis=1).repeat(scale, axis=2)
    if thick:
        pad = np.zeros((g.shape[0], g.shape[1], g.shape[2] + 1), dtype=bool)
        pad[:, :, :-1] |= g
        pad[:, :, 1:] |= g
        g = pad
    return g


def region_rows(side: int, region: float) -> int:
    return math.floor(region * side + 1e-9)


def render_images(rng: np.random.Generator, glyphs: np.ndarray, ink: np.ndarray, bg: np.ndarray,
                  side: int, region: float, noise: float, tail: int,
                  progress: Any = None, desc: str = "generate",
                  font: str = "digits", levels: int = 256) -> np.ndarray:
    """Render glyph images + tail: uint8 ``[n, side*side + tail, C]`` (C = ink.shape[1]).

    ``glyphs`` [n] font indices, ``ink`` [n, C] glyph colour, ``bg`` [n, C] background colour.
    Scale, thickness and position are drawn here from ``rng``; then the noise, chunk by chunk.
    """
    n, channels = ink.shape
    rows = region_rows(side, region)
    s_max = max(1, min(rows // GLYPH_H, side // (GLYPH_W + 1)))
    s_min = max(1, (s_max + 1) // 2)
    scale = rng.integers(s_min, s_max + 1, size=n)
    thick = rng.integers(0, 2, size=n)
    h = GLYPH_H * scale
    w = GLYPH_W * scale + thick
    r0 = (rng.random(n) * (rows - h + 1)).astype(np.int64)
    c0 = (rng.random(n) * (side - w + 1)).astype(np.int64)
    sigma = np.float32(noise * 255.0)
    steps = side * side + tail
    out = np.empty((n, steps, channels), dtype=np.uint8)
    chunk = max(1, _CHUNK_VALUES // (steps * channels))
    stencil_cache: dict[tuple[int, int], np.ndarray] = {}
    with Progress(n, desc, progress if n * steps * channels > 50_000_000 else "none",
                  unit="img") as bar:
        for i0 in range(0, n, chunk):
            i1 = min(n, i0 + chunk)
            m = i1 - i0
            canvas = rng.standard_normal((m, side, side, channels), dtype=np.float32)
            canvas *= sigma
            canvas += bg[i0:i1, None, None, :]
            for s, t in {(int(a), int(b)) for a, b in zip(scale[i0:i1], thick[i0:i1])}:
                sel = np.nonzero((scale[i0:i1] == s) & (thick[i0:i1] == t))[0]
                if (s, t) not in stencil_cache:
                    stencil_cache[(s, t)] = _stencils(FONTS[font], s, t)
                st = stencil_cache[(s, t)]
                gh, gw = st.shape[1], st.shape[2]
                k = sel[:, None, None]
                rr = r0[i0 + sel][:, None, None] + np.arange(gh)[None, :, None]
                cc = c0[i0 + sel][:, None, None] + np.arange(gw)[None, None, :]
                patch = canvas[k, rr, cc]  # [k, gh, gw, C]
                mask = st[glyphs[i0 + sel]][..., None]
                shift = (ink[i0 + sel] - bg[i0 + sel])[:, None, None, :]
                canvas[k, rr, cc] = np.where(mask, patch + shift, patch)
            _to_levels(canvas, levels)
            out[i0:i1, :side * side] = canvas.reshape(m, side * side, channels)
            if tail:
                tl = rng.standard_normal((m, tail, channels), dtype=np.float32)
                tl *= sigma
                tl += bg[i0:i1, None, :]
                _to_levels(tl, levels)
                out[i0:i1, side * side:] = tl
            bar.update(m)
    return out


def _to_levels(a: np.ndarray, levels: int) -> None:
    """Round float pixel values in place to the nearest of ``levels`` evenly spaced values in
    0..255, each then rounded to an integer (256: just to integers), clipping to 0..255."""
    if levels < 256:
        step = np.float32(255.0 / (levels - 1))
        a /= step
        np.rint(a, out=a)
        a *= step
    np.rint(a, out=a)
    np.clip(a, 0, 255, out=a)


def colour_classes(n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(glyph index, colour family) of each class of the colour datasets."""
    n_fam = min(6, max(2, math.ceil(n_classes / 20)))
    n_shapes = math.ceil(n_classes / n_fam)
    k = np.arange(n_classes)
    return k % n_shapes, k // n_shapes


# ---------------------------------------------------------------------------------- images
def _grey_split(spec: dict, split: str, n: int, progress: Any) -> tuple[np.ndarray, np.ndarray]:
    rng = _rng(spec["seed"], split, spec["name"])
    y = balanced_labels(rng, n, 10)
    ink = rng.uniform(float(spec["ink_min"]), 255.0, size=(n, 1)).astype(np.float32)
    bg = np.zeros((n, 1), dtype=np.float32)
    x = render_images(rng, y, ink, bg, spec["side"], spec["region"], spec["noise"],
                      spec["tail"], progress, f"generate {spec['name']} {split}", spec["font"],
                      spec["levels"])
    return x, y


def _colour_split(spec: dict, split: str, n: int, n_classes: int, progress: Any
                  ) -> tuple[np.ndarray, np.ndarray]:
    rng = _rng(spec["seed"], split, spec["name"])
    y = balanced_labels(rng, n, n_classes)
    shape_of, family_of = colour_classes(n_classes)
    fam = _FAMILY_MASK[family_of[y]]
    hi = rng.uniform(180.0, 255.0, size=(n, 3))
    lo = rng.uniform(0.0, 70.0, size=(n, 3))
    ink = np.where(fam, hi, lo).astype(np.float32)
    bg = rng.uniform(0.0, 90.0, size=(n, 3)).astype(np.float32)
    x = render_images(rng, shape_of[y], ink, bg, spec["side"], spec["region"], spec["noise"],
                      spec["tail"], progress, f"generate {spec['name']} {split}", spec["font"],
                      spec["levels"])
    return x, y


def _image_info(spec: dict, n_classes: int, class_names: list[str], channels: int) -> dict:
    side, tail = spec["side"], spec["tail"]
    rows = region_rows(side, spec["region"])
    return {
        "n_classes": n_classes, "pad_token": None, "class_names": class_names,
        "channels": channels, "sources": [],
        "generator": {"name": spec["name"], "version": GENERATOR_VERSION,
                      "module": "auxbench.data.embedded"},
        "evidence": {
            "image_steps": side * side, "tail_steps": tail,
            "evidence_steps": rows * side,
            "background_steps_after_evidence": side * side - rows * side + tail,
            "note": "glyphs lie in the first evidence_steps steps (before any permutation); "
                    "all later steps are class-independent background",
        },
        "pixel_order": "raster",
    }


def build(spec: dict, progress: Any = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and manifest info for one embedded spec (already validated)."""
    name = spec["name"]
    if name == "embedded_text":
        return _build_text(spec, progress)
    arrays: dict[str, np.ndarray] = {}
    if name in ("embedded_mnist", "embedded_pmnist"):
        for split in ("train", "test"):
            x, y = _grey_split(spec, split, spec[f"n_{split}"], progress)
            arrays[f"{split}_x"], arrays[f"{split}_y"] = x, y
        info = _image_info(spec, 10, list(GLYPH_CHARS[:10]), 1)
        if name == "embedded_pmnist":
            s2 = spec["side"] ** 2
            perm = np.random.RandomState(spec["permutation_seed"]).permutation(s2).astype(np.int64)
            for split in ("train", "test"):
                x = arrays[f"{split}_x"]
                x[:, :s2] = x[:, perm]
            arrays["permutation"] = perm
            info.update({
                "pixel_order": "permuted image (step t holds raster pixel permutation[t]), "
                               "then the unpermuted tail",
                "permutation_seed": spec["permutation_seed"],
                "permutation_sha256": permutation_sha256(perm),
                "permutation_recipe": f"numpy.random.RandomState({spec['permutation_seed']})"
                                      f".permutation({s2})",
            })
        return arrays, info
    n_classes = 10 if name == "embedded_cifar" else spec["n_classes"]
    for split in ("train", "test"):
        x, y = _colour_split(spec, split, spec[f"n_{split}"], n_classes, progress)
        arrays[f"{split}_x"], arrays[f"{split}_y"] = x, y
    shape_of, family_of = colour_classes(n_classes)
    names = [f"{FAMILIES[f]}-{GLYPH_CHARS[g]}" for g, f in zip(shape_of, family_of)]
    return arrays, _image_info(spec, n_classes, names, 3)


# ---------------------------------------------------------------------------------- text
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


def _build_text(spec: dict, progress: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    from .dbpedia import encode

    n_classes, max_len = spec["n_classes"], spec["max_len"]
    min_len = spec["min_len"] if spec["min_len"] is not None else max_len // 2
    arrays: dict[str, np.ndarray] = {}
    stats = {}
    for split in ("train", "test"):
        n = spec[f"n_{split}"]
        rng = _rng(spec["seed"], split, "embedded_text")
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
        "generator": {"name": "embedded_text", "version": GENERATOR_VERSION,
                      "module": "auxbench.data.embedded"},
        "text": {"recipe": "title + class opening (2 keywords) + neutral filler, ASCII, "
                           "left-padded with 0", "max_len": max_len, "min_len": min_len,
                 "truncated": {s: stats[s]["truncated"] for s in stats}, "stats": stats},
        "truncated": {s: stats[s]["truncated"] for s in stats},
        "evidence": {"note": "class keywords lie in the opening sentence of each document "
                             "(its first ~60 bytes); the rest is class-independent filler"},
    }
    return arrays, info
